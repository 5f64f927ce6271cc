package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"bilag/connectors/orgnr"
	"bilag/db"
	"bilag/server/csvout"
)

const (
	// maxCompanyImportBytes and maxCompanyImportRows bound one CSV import.
	maxCompanyImportBytes = 1 << 20
	maxCompanyImportRows  = 2000
)

// companyImportRow is one line of an imported CSV, checked: its company, its
// members' ids, and what is wrong with it (translation keys with args).
type companyImportRow struct {
	Line      int
	Name      string
	Country   string
	OrgNumber string
	Members   []string
	memberIDs []int64
	Errors    []companyImportErr
}

// companyImportErr is what is wrong with a row: a translation key, and the value
// it names, if any.
type companyImportErr struct{ Key, Arg string }

// OK reports whether the row can be imported.
func (r companyImportRow) OK() bool { return len(r.Errors) == 0 }

type companyImportPage struct {
	Rows []companyImportRow
	// CSV is the checked file, sent back with the confirmation and
	// checked again there.
	CSV        string
	Valid, Bad int
	// Error is a key for a file that could not be read at all.
	Error string
}

// Example is the example file the page shows, written as Bilag writes
// every CSV it hands out (csvout): the members, separated by ";", are
// quoted, so a spreadsheet splitting on ";" keeps them in one cell.
func (companyImportPage) Example() string {
	var b strings.Builder
	w := csvout.NewWriter(&b, ',')
	for _, rec := range [][]string{
		{"name", "country", "orgnr", "members"},
		{"Fjällbacka Snickeri AB", "SE", "556812-3474", "anders@firma.se;vera@firma.se"},
		{"Norrsken Design AB", "SE", "559104-3210", ""},
	} {
		_ = w.Write(rec)
	}
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}

func (s *Server) showCompanyImport(c echo.Context) error {
	return s.render(c, "admin_import", s.t(c, "import.title"), companyImportPage{})
}

// previewCompanyImport reads an uploaded CSV and shows each row checked; nothing
// is stored.
func (s *Server) previewCompanyImport(c echo.Context) error {
	text, key := readUpload(c)
	p := companyImportPage{Error: key}
	if key == "" {
		p = s.checkCompanyImport(c.Request().Context(), text)
	}
	status := http.StatusOK
	if p.Error != "" {
		status = http.StatusUnprocessableEntity
	}
	return c.Render(status, "admin_import", s.page(c, s.t(c, "import.title"), p))
}

// confirmCompanyImport stores the valid rows of a previewed CSV, checked again,
// in one transaction; rows with errors are left out, as the preview said.
func (s *Server) confirmCompanyImport(c echo.Context) error {
	text := c.FormValue("csv")
	p := s.checkCompanyImport(c.Request().Context(), text)
	if p.Error != "" || p.Valid == 0 {
		return c.Render(http.StatusUnprocessableEntity, "admin_import", s.page(c, s.t(c, "import.title"), p))
	}
	var rows []db.ImportRow
	for _, r := range p.Rows {
		if r.OK() {
			rows = append(rows, db.ImportRow{Company: &db.Company{Name: r.Name, Country: r.Country, OrgNumber: r.OrgNumber, Active: true}, Members: r.memberIDs})
		}
	}
	if err := s.db.ImportCompanies(c.Request().Context(), rows); err != nil {
		if errors.Is(err, db.ErrDuplicate) {
			return s.flashTo(c, s.t(c, "import.raced"), "/admin/companies/import")
		}
		return err
	}
	for _, r := range rows {
		s.audit(c, db.AuditCompanyCreate, &r.Company.ID, r.Company.Name, r.Company.Country+" "+r.Company.OrgNumber+" (import)")
	}
	return s.flashTo(c, s.t(c, "import.done", len(rows)), "/admin/companies")
}

// readUpload is the uploaded file's text, or the key of why there is none.
func readUpload(c echo.Context) (string, string) {
	fh, err := c.FormFile("file")
	if err != nil {
		return "", "import.err.nofile"
	}
	if fh.Size > maxCompanyImportBytes {
		return "", "import.err.toobig"
	}
	f, err := fh.Open()
	if err != nil {
		return "", "import.err.nofile"
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCompanyImportBytes+1))
	switch {
	case err != nil:
		return "", "import.err.nofile"
	case len(b) > maxCompanyImportBytes:
		return "", "import.err.toobig"
	case !utf8.Valid(b):
		return "", "import.err.encoding"
	}
	return string(bytes.TrimPrefix(b, []byte("\ufeff"))), ""
}

// checkCompanyImport parses and checks a CSV of companies: name, country,
// organisation number, members (e-mails separated by ";"); a first line
// naming the columns is skipped.
func (s *Server) checkCompanyImport(ctx context.Context, text string) companyImportPage {
	p := companyImportPage{CSV: text}
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord, r.TrimLeadingSpace = -1, true
	recs, err := r.ReadAll()
	switch {
	case err != nil:
		p.Error = "import.err.csv"
		return p
	case len(recs) > 0 && isHeader(recs[0]):
		recs = recs[1:]
	}
	if len(recs) == 0 {
		p.Error = "import.err.empty"
		return p
	}
	if len(recs) > maxCompanyImportRows {
		p.Error = "import.err.toomany"
		return p
	}
	users, err := s.companyImportUsers(ctx)
	if err != nil {
		p.Error = "import.err.users"
		return p
	}
	seen := map[string]int{}
	for i, rec := range recs {
		row := s.checkRow(ctx, i+1, rec, users, seen)
		if row.OK() {
			p.Valid++
		} else {
			p.Bad++
		}
		p.Rows = append(p.Rows, row)
	}
	return p
}

func isHeader(rec []string) bool {
	first := strings.ToLower(strings.TrimSpace(rec[0]))
	return first == "name" || first == "namn" || first == "company" || first == "företag"
}

// companyImportUsers maps the e-mail of every user who may be a member (not an
// admin, who sees everything anyway) to their id.
func (s *Server) companyImportUsers(ctx context.Context) (map[string]int64, error) {
	us, err := s.db.Users(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, u := range us {
		if !u.IsAdmin() {
			out[db.NormalizeEmail(u.Email)] = u.ID
		}
	}
	return out, nil
}

// checkRow checks one record; seen maps the organisation numbers of the
// rows before it to their lines.
func (s *Server) checkRow(ctx context.Context, line int, rec []string, users map[string]int64, seen map[string]int) companyImportRow {
	for len(rec) < 4 {
		rec = append(rec, "")
	}
	row := companyImportRow{Line: line, Name: strings.TrimSpace(rec[0]), Country: strings.ToUpper(strings.TrimSpace(rec[1])), OrgNumber: strings.TrimSpace(rec[2])}
	fail := func(key string, arg ...any) {
		row.Errors = append(row.Errors, companyImportErr{Key: key, Arg: fmt.Sprint(arg...)})
	}
	if len(rec) > 4 {
		fail("import.err.columns")
	}
	switch {
	case row.Name == "":
		fail("import.err.name")
	case utf8.RuneCountInString(row.Name) > 200:
		fail("import.err.name.long")
	}
	if !slices.Contains(countries(), row.Country) {
		fail("import.err.country")
	} else if norm, err := orgnr.Validate(row.Country, row.OrgNumber); err != nil {
		fail(strings.Replace(orgErrorKey(err), "err.", "import.err.", 1))
	} else {
		row.OrgNumber = norm
		if prev, dup := seen[norm]; dup {
			fail("import.err.dupline", prev)
		} else if _, err := s.db.CompanyByOrg(ctx, norm); err == nil {
			fail("import.err.exists")
		}
		seen[norm] = line
	}
	for m := range strings.SplitSeq(rec[3], ";") {
		if m = db.NormalizeEmail(m); m == "" {
			continue
		}
		row.Members = append(row.Members, m)
		if id, ok := users[m]; ok {
			row.memberIDs = append(row.memberIDs, id)
		} else {
			fail("import.err.member", m)
		}
	}
	return row
}
