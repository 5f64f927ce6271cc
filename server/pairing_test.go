package server_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/db"
	"bilag/server/connections"
)

// pairing is a portal whose fake receiver pairs (connectortest's
// PairingReceiver), connected for Fjällbacka, with an analyst who is no
// member of it.
type pairing struct {
	*receiving
	page     string // the pairing page's path
	outsider person
}

func withPairing(t *testing.T, opts connections.Options) *pairing {
	t.Helper()
	r := withReceivers(t, opts, func(r connectortest.Receiver) connectors.Connector { return connectortest.PairingReceiver{Receiver: r} })
	r.connectFake()
	return &pairing{receiving: r, page: "/companies/" + itoa(r.fj.ID) + "/pairing/fake",
		outsider: r.addUser("outsider@firm.test", "Otto Outsider", db.RoleAnalyst, true)}
}

// pairs is the company's stored pairing.
func (p *pairing) pairs() connectors.Pairing {
	p.t.Helper()
	got, err := p.db.Pairing(p.t.Context(), p.fj.ID, "fake")
	if err != nil {
		p.t.Fatal(err)
	}
	return got
}

// pairingEvents are the company's pairing changes' details, newest first.
func (p *pairing) pairingEvents() []string {
	p.t.Helper()
	es, err := p.db.CompanyAudit(p.t.Context(), db.AuditFilter{CompanyID: p.fj.ID, Action: db.AuditPairingChange}, 0, 100)
	if err != nil {
		p.t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Detail)
	}
	return out
}

// uploadFile posts a file as field of a multipart form, with the CSRF
// token the last page carried.
func (b *browser) uploadFile(target, field, name, content string) *response {
	b.e.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("_csrf", b.csrf)
	fw, _ := w.CreateFormFile(field, name)
	fw.Write([]byte(content))
	w.Close()
	req, _ := http.NewRequestWithContext(b.e.t.Context(), http.MethodPost, b.e.abs(target), &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: body.String(), URL: req.URL.String()}
}

// pair is the form of one row of the pairing page.
func pair(table, key, value string) url.Values {
	return url.Values{"t": {table}, "k": {key}, "v": {value}}
}

// Who may see and change a company's pairing: members see it (a viewer
// read-only), admins and member analysts change it, anyone else is told
// the company does not exist; a post without the CSRF token is refused.
// Nothing refused changes anything.
func TestPairingAccess(t *testing.T) {
	t.Parallel()
	p := withPairing(t, connections.Options{})
	tests := []struct {
		name       string
		who        person
		see, saved int
		canEdit    bool
		token      string
	}{
		{"member analyst", p.analyst, http.StatusOK, http.StatusSeeOther, true, ""},
		{"admin", p.admin, http.StatusOK, http.StatusSeeOther, true, ""},
		{"viewer", p.viewer, http.StatusOK, http.StatusForbidden, false, ""},
		{"analyst of other companies", p.outsider, http.StatusNotFound, http.StatusNotFound, false, ""},
		{"no CSRF token", p.analyst, http.StatusOK, http.StatusForbidden, true, "not-the-token"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := p.loggedIn(tt.who)
			page := b.get(p.page)
			wantStatus(t, "page", page, tt.see)
			if tt.see == http.StatusOK {
				wantText(t, "page", page, tr("pairing.heading", "fake"), tr("fake.pairing.salesAccount"), tr("fake.pairing.setting"), tr("fake.pairing.setting.journal"))
				if edit := strings.Contains(page.Body, `id="pairing-form"`); edit != tt.canEdit {
					t.Errorf("the page offers to save: %v, want %v", edit, tt.canEdit)
				}
			}
			before, events := p.pairs(), len(p.pairingEvents())
			form := pair(connectortest.TableSetting, "journal", fmt.Sprint(10+i))
			if tt.token != "" {
				form.Set("_csrf", tt.token)
			}
			res := b.post(p.page, form)
			wantStatus(t, "save", res, tt.saved)
			if after := p.pairs(); tt.saved != http.StatusSeeOther && (after.Value("setting", "journal") != before.Value("setting", "journal") || len(p.pairingEvents()) != events) {
				t.Errorf("a refused save changed the pairing to %v", after)
			}
		})
	}
	for _, tt := range []struct {
		who  person
		want int
	}{{p.viewer, http.StatusForbidden}, {p.outsider, http.StatusNotFound}} {
		b := p.loggedIn(tt.who)
		b.get("/")
		wantStatus(t, "csv import by "+tt.who.Email, b.uploadFile(p.page+"/import", "file", "p.csv", "setting,journal,5\n"), tt.want)
	}
	wantStatus(t, "viewer's csv", p.loggedIn(p.viewer).get(p.page+".csv"), http.StatusOK)
	wantStatus(t, "another connector", p.loggedIn(p.analyst).get("/companies/"+itoa(p.fj.ID)+"/pairing/eaccounting"), http.StatusNotFound)
}

// An analyst pairs codes on the page (a suggestion taken with a click, a
// value chosen, a new code added, a setting typed); each change is audited
// old → new and reads so in the trail; a value not among the target's
// options changes nothing.
func TestPairingSave(t *testing.T) {
	t.Parallel()
	p := withPairing(t, connections.Options{})
	analyst := p.loggedIn(p.analyst)
	page := analyst.get(p.page)
	wantText(t, "empty", page, tr("pairing.empty"))
	if !strings.Contains(page.Body, `id="add-salesAccount"`) {
		t.Error("the open table offers no row to add")
	}
	res := analyst.post(p.page, url.Values{"t": {"setting", "salesAccount"}, "k": {"journal", "1010"}, "v": {"", "1010"}})
	wantStatus(t, "add a row", res, http.StatusSeeOther)
	wantText(t, "saved", analyst.follow(res), tr("pairing.saved", 1))
	// The journal's suggestion, taken with its one-click form.
	page = analyst.get(p.page)
	wantText(t, "suggestion", page, tr("pairing.use", "1"))
	analyst.post(p.page, pair("setting", "journal", "1"))
	analyst.post(p.page, pair("salesAccount", "1010", "3"))
	if got := p.pairs(); got.Value("salesAccount", "1010") != "3" || got.Value("setting", "journal") != "1" {
		t.Fatalf("pairing = %v", got)
	}
	want := []string{"table=salesAccount key=1010 old=1010 new=3", "table=setting key=journal old= new=1", "table=salesAccount key=1010 old= new=1010"}
	if got := p.pairingEvents(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("audit = %q, want %q", got, want)
	}
	trail := analyst.get("/companies/" + itoa(p.fj.ID) + "/audit")
	wantText(t, "trail", trail, tr("audit.says.pairing_change", p.analyst.Name, "fake", tr("fake.pairing.salesAccount"), "1010", "1010", "3"))

	res = analyst.post(p.page, pair("salesAccount", "1010", "77"))
	wantStatus(t, "not an option", res, http.StatusUnprocessableEntity)
	wantText(t, "not an option", res, tr("pairing.err.heading"), tr("pairing.err.value", tr("fake.pairing.salesAccount"), "1010", "77"))
	res = analyst.post(p.page, pair("setting", "colour", "red"))
	wantStatus(t, "not a fixed key", res, http.StatusUnprocessableEntity)
	if got := p.pairs(); got.Value("salesAccount", "1010") != "3" || len(p.pairingEvents()) != 3 {
		t.Errorf("a refused change changed the pairing: %v", got)
	}
	wantText(t, "unchanged", analyst.follow(analyst.post(p.page, pair("salesAccount", "1010", "3"))), tr("pairing.nochange"))
	wantText(t, "company page", analyst.get("/companies/"+itoa(p.fj.ID)), tr("pairing.link", "fake"))
}

// The CSV: what is downloaded uploads again unchanged, and an edited copy
// changes just its edits (a pair cleared by an empty value); a file with
// any wrong row changes nothing and names every wrong row by its line.
func TestPairingCSV(t *testing.T) {
	t.Parallel()
	p := withPairing(t, connections.Options{})
	analyst := p.loggedIn(p.analyst)
	analyst.post(p.page, url.Values{"t": {"salesAccount", "salesAccount", "setting"}, "k": {"1010", "3010", "journal"}, "v": {"1010", "3", "4"}})
	exp := analyst.get(p.page + ".csv")
	wantStatus(t, "export", exp, http.StatusOK)
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(exp.Body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"table", "key", "value"}, {"salesAccount", "1010", "1010"}, {"salesAccount", "3010", "3"}, {"setting", "journal", "4"}}
	if fmt.Sprint(recs) != fmt.Sprint(want) {
		t.Fatalf("export = %q, want %q", recs, want)
	}
	events := len(p.pairingEvents())
	wantText(t, "same file", analyst.follow(analyst.uploadFile(p.page+"/import", "file", "p.csv", exp.Body)), tr("pairing.nochange"))
	edited := strings.NewReplacer("3010,3", "3010,1020", "journal,4", "journal,").Replace(exp.Body)
	res := analyst.uploadFile(p.page+"/import", "file", "p.csv", edited)
	wantStatus(t, "edited", res, http.StatusSeeOther)
	wantText(t, "edited", analyst.follow(res), tr("pairing.saved", 2))
	got := p.pairs()
	if got.Value("salesAccount", "3010") != "1020" || got.Value("setting", "journal") != "" || got.Value("salesAccount", "1010") != "1010" || len(p.pairingEvents()) != events+2 {
		t.Errorf("after the edited file: %v", got)
	}

	bad := "table;key;value\nsalesAccount;4000;1020\nvatCode;25;U25\nsalesAccount;3010;99\nsetting;colour;red\nsalesAccount;4000;3\nsalesAccount\n"
	res = analyst.uploadFile(p.page+"/import", "file", "bad.csv", bad)
	wantStatus(t, "bad file", res, http.StatusUnprocessableEntity)
	sales := tr("fake.pairing.salesAccount")
	wantText(t, "bad file", res,
		tr("pairing.line", 3, tr("pairing.err.table", "vatCode", "25", "U25")),
		tr("pairing.line", 4, tr("pairing.err.value", sales, "3010", "99")),
		tr("pairing.line", 5, tr("pairing.err.key", tr("fake.pairing.setting"), "colour", "red")),
		tr("pairing.line", 6, tr("pairing.err.twice", sales, "4000", "3")),
		tr("pairing.line", 7, tr("pairing.err.columns")))
	if after := p.pairs(); fmt.Sprint(after) != fmt.Sprint(got) || len(p.pairingEvents()) != events+2 {
		t.Errorf("a bad file changed the pairing to %v", after)
	}
	wantStatus(t, "not CSV", analyst.uploadFile(p.page+"/import", "file", "x.csv", "a,\"b\nc"), http.StatusUnprocessableEntity)
}

// The story of seed 001's step 1 in Bilag's terms: an upload uses a sales
// account with no product group; the pre-flight names it, links to the
// pairing page with the upload's codes and sends nothing; paired there
// (one by its suggestion), the same upload is sent.
func TestPairingStory(t *testing.T) {
	t.Parallel()
	p := withPairing(t, connections.Options{})
	analyst := p.loggedIn(p.analyst)
	invs := `[{"number": "2001", "customer": {"name": "Fjordkaffe ApS"}, "lines": [{"quantity": 1, "unitPrice": 100, "salesAccount": "3010"}]},
	 {"number": "2002", "customer": {"name": "Fjordkaffe ApS"}, "lines": [{"quantity": 1, "unitPrice": 100, "salesAccount": "1010"}, {"quantity": 2, "unitPrice": 5, "salesAccount": "3010"}]}]`
	r0 := analyst.uploadInvoices(p.fj, "fake", "feb.json", invs)
	wantStatus(t, "upload", r0, http.StatusSeeOther)
	batchURL := r0.Location()
	batch := analyst.follow(r0)
	wantText(t, "pre-flight", batch, tr("imports.preflight.heading"), tr("fake.imports.preflight.unpaired", "1010, 3010")+" "+tr("imports.preflight.invoices", 2), tr("imports.preflight.pair"))
	res := analyst.post(batchURL+"/send", nil)
	wantText(t, "blocked", analyst.follow(res), tr("imports.preflight.blocked"))
	p.svc.Wait()
	if n := p.fake.Calls(connectortest.OpSend); n != 0 {
		t.Fatalf("%d sends while the pre-flight found a gap", n)
	}

	m := pairLink.FindStringSubmatch(batch.Body)
	if m == nil {
		t.Fatal("no link from the pre-flight to the pairing page")
	}
	pairURL := html.UnescapeString(m[1])
	page := analyst.get(pairURL)
	wantStatus(t, "pairing page", page, http.StatusOK)
	wantText(t, "the batch's codes", page, tr("pairing.batch", mustInt(t, batchLocation.FindStringSubmatch(batchURL)[1])), "3010", tr("pairing.use", "1010"))
	if !strings.Contains(page.Body, `class="unpaired"`) {
		t.Error("the unpaired codes the batch uses are not marked")
	}
	wantStatus(t, "suggestion", analyst.post(pairURL, pair("salesAccount", "1010", "1010")), http.StatusSeeOther)
	res = analyst.post(pairURL, url.Values{"t": {"salesAccount", "salesAccount", "setting"}, "k": {"1010", "3010", "journal"}, "v": {"1010", "3", ""}})
	wantStatus(t, "pair", res, http.StatusSeeOther)
	if !strings.HasSuffix(res.Location(), pairURL) {
		t.Errorf("saved, back to %q, want %q", res.Location(), pairURL)
	}

	analyst.post(batchURL+"/send", nil)
	p.svc.Wait()
	page = analyst.get(batchURL)
	got := p.fake.Received()
	if len(got) != 2 || strings.Contains(page.Body, `id="imports-preflight"`) {
		t.Fatalf("the fake received %d invoices; the page still lists the pre-flight: %v", len(got), strings.Contains(page.Body, `id="imports-preflight"`))
	}
	wantText(t, "sent", page, tr("imports.counts", 2, 2, 0, 0))
}

var pairLink = regexp.MustCompile(`href="([^"]+)" class="button" id="preflight-pair"`)

// The target's lists read live: a failing upstream and a slow one are a
// message on the page, not an error page, and the CSV still holds what is
// paired; a change cannot be checked and changes nothing.
func TestPairingUpstreamFails(t *testing.T) {
	t.Parallel()
	p := withPairing(t, connections.Options{PairingWait: 50 * time.Millisecond})
	analyst := p.loggedIn(p.analyst)
	analyst.post(p.page, pair("salesAccount", "3010", "3"))
	tests := []struct {
		name  string
		setup func()
		want  string
	}{
		{"failing", func() {
			p.fake.FailNext(connectortest.OpPairingTables, fmt.Errorf("boom"), fmt.Errorf("boom"), fmt.Errorf("boom"))
		}, tr("pairing.failed", "fake")},
		{"unavailable", func() {
			err := fmt.Errorf("fake: %w", connectors.ErrUnavailable)
			p.fake.FailNext(connectortest.OpPairingTables, err, err, err)
		}, tr("upstream.unavailable", 30)},
		{"slow", func() { p.fake.SlowDown(connectortest.OpPairingTables, 5*time.Second) }, tr("pairing.slow", "fake", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup()
			defer p.fake.SlowDown(connectortest.OpPairingTables, 0)
			page := analyst.get(p.page)
			wantStatus(t, "page", page, http.StatusOK)
			wantText(t, "page", page, tt.want)
			if strings.Contains(page.Body, `id="pairing-form"`) {
				t.Error("the page offers a form without the target's lists")
			}
			exp := analyst.get(p.page + ".csv")
			if !strings.Contains(exp.Body, "salesAccount,3010,3") {
				t.Errorf("the CSV without the target = %q", exp.Body)
			}
			res := analyst.post(p.page, pair("salesAccount", "3010", "1020"))
			wantStatus(t, "save", res, http.StatusServiceUnavailable)
			wantText(t, "save", res, tt.want)
			if got := p.pairs().Value("salesAccount", "3010"); got != "3" {
				t.Errorf("a change the target could not check was saved: %q", got)
			}
		})
	}
}
