package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/connectors"
	"bilag/db"
	"bilag/server/csvout"
	"bilag/server/missing"
)

// Missing documents (issue 29): a company's vouchers that its rules say
// need a document and that have none. Members read the list and its CSV;
// those who manage the company (admins and member analysts) edit the
// rules and tell the company what is missing (missing_message.go).

// missingShown caps the rows the page lists; the counts and the CSV hold
// every one.
const missingShown = 500

type missingPage struct {
	Company  *db.Company
	List     missing.List
	Shown    []db.Voucher
	Total    int
	HasRules bool // the company's own or its country's
	Custom   bool
	Rule     db.DocumentRule // who last set the company's own rules
	Kinds    []connectors.VoucherKind
	Checked  map[connectors.VoucherKind]bool
	Ranges   string
	CanEdit  bool
	Error    string
	// Message is what the company would be told, for those who manage it.
	Message *missingMessage
}

// missingOf reads a company's rules and finds its missing documents.
func (s *Server) missingOf(ctx context.Context, co *db.Company) (missingPage, error) {
	own, hasOwn, err := s.db.DocumentRules(ctx, co.ID)
	if err != nil {
		return missingPage{}, err
	}
	rules, custom, ok := missing.Of(own, hasOwn, co.Country)
	p := missingPage{Company: co, HasRules: ok, Custom: custom, Rule: own, Kinds: missing.Kinds(), Ranges: rules.RangesText(),
		Checked: map[connectors.VoucherKind]bool{}}
	for _, k := range rules.Kinds {
		p.Checked[k] = true
	}
	if !ok {
		return p, nil
	}
	cands, err := s.db.DocumentCandidates(ctx, []int64{co.ID})
	if err != nil {
		return missingPage{}, err
	}
	p.List = missing.Find(rules, cands)
	p.Total = len(p.List.Vouchers)
	p.Shown = p.List.Vouchers[:min(p.Total, missingShown)]
	return p, nil
}

func (s *Server) showMissing(c echo.Context) error {
	co := currentCompany(c)
	p, err := s.missingOf(c.Request().Context(), co)
	if err != nil {
		return err
	}
	u := currentUser(c)
	if p.CanEdit = u.CanManageConnections(); p.CanEdit && p.Total > 0 {
		if p.Message, err = s.missingMessageOf(c.Request().Context(), &p, u.Name); err != nil {
			return err
		}
	}
	return s.render(c, "missing", s.t(c, "missing.title", co.Name), p)
}

// setMissingRules saves the company's own rules; bad input changes nothing.
func (s *Server) setMissingRules(c echo.Context) error {
	co := currentCompany(c)
	ctx := c.Request().Context()
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	rules, err := missing.Parse(form["kind"], form.Get("accounts"))
	var bad *missing.ErrRules
	if errors.As(err, &bad) {
		p, err := s.missingOf(ctx, co)
		if err != nil {
			return err
		}
		p.CanEdit, p.Error, p.Ranges = true, bad.Key, form.Get("accounts")
		return c.Render(http.StatusUnprocessableEntity, "missing", s.page(c, s.t(c, "missing.title", co.Name), p))
	}
	if err := s.db.SetDocumentRules(ctx, rules.Stored(co.ID), auditBy(c)); err != nil {
		return err
	}
	_ = s.flash(c, s.t(c, "missing.saved"))
	return c.Redirect(http.StatusSeeOther, "/companies/"+strconv.FormatInt(co.ID, 10)+"/missing")
}

// exportMissing is the list as CSV: every voucher missing a document.
func (s *Server) exportMissing(c echo.Context) error {
	co := currentCompany(c)
	p, err := s.missingOf(c.Request().Context(), co)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="missing-documents-%d-%s.csv"`, co.ID, s.now().Format("2006-01-02")))
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	if err := writeMissingCSV(c.Response(), p.List.Vouchers); err != nil {
		s.log.Error("export missing documents", "company_id", co.ID, "err", err)
	}
	return nil
}

// writeMissingCSV writes one row a voucher; the byte order mark makes a
// spreadsheet read UTF-8. Amounts are in the currency's units, with a
// point.
func writeMissingCSV(w io.Writer, vs []db.Voucher) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csvout.NewWriter(w, ',')
	_ = cw.Write([]string{"date", "number", "kind", "type", "text", "amount", "accounts"})
	for _, v := range vs {
		_ = cw.Write([]string{v.Date.Format(time.DateOnly), v.Number, v.Kind, v.UpstreamType, v.Text,
			strconv.FormatFloat(float64(v.Amount)/100, 'f', 2, 64), strings.Join(db.SplitAccounts(v.Accounts), " ")})
	}
	cw.Flush()
	return cw.Error()
}

// firmMissing counts the vouchers missing a document across companies,
// each by its own rules, for the dashboard.
func (s *Server) firmMissing(ctx context.Context, cs []db.Company) (int, error) {
	ids := make([]int64, len(cs))
	for i, co := range cs {
		ids[i] = co.ID
	}
	own, err := s.db.DocumentRulesOf(ctx, ids)
	if err != nil {
		return 0, err
	}
	cands, err := s.db.DocumentCandidates(ctx, ids)
	if err != nil {
		return 0, err
	}
	byCompany := make(map[int64][]db.Voucher)
	for _, v := range cands {
		byCompany[v.CompanyID] = append(byCompany[v.CompanyID], v)
	}
	n := 0
	for _, co := range cs {
		r, hasOwn := own[co.ID]
		if rules, _, ok := missing.Of(r, hasOwn, co.Country); ok {
			n += len(missing.Find(rules, byCompany[co.ID]).Vouchers)
		}
	}
	return n, nil
}
