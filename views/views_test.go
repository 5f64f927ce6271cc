package views

import (
	"bytes"
	"html"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"bilag/db"
)

// Every page renders with an empty envelope in both languages and for
// every connector: each with words of its own (connectors/<name>/words), one
// without ("fake", the server tests' connector) and none, so a typo in a
// template is a test failure rather than a 500 for a person.
func TestEveryPageRenders(t *testing.T) {
	r, err := testRenderer(t)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	if len(r.Pages()) < 10 {
		t.Fatalf("parsed %d pages, want every page", len(r.Pages()))
	}
	if !slices.Contains(r.Connectors(), "eaccounting") {
		t.Fatalf("Connectors() = %q, want eaccounting's words among them", r.Connectors())
	}
	for _, name := range r.Pages() {
		for _, lang := range Languages() {
			for _, conn := range pageConnectors(r) {
				t.Run(name+"/"+lang+"/"+conn, func(t *testing.T) {
					var buf bytes.Buffer
					p := &Page{Lang: lang, User: &User{Name: "Ann", Role: "admin", IsAdmin: true, CanManageConnections: true}, Company: &Company{ID: 1, Name: "X AB"}, Bare: name == "consent" || name == "consent_result" || name == "connect_form", Connector: conn}
					// A nil Data is what a handler never sends; pages guard with
					// {{with .Data}} and must then still render the layout.
					if err := r.Execute(&buf, name, p); err != nil {
						t.Fatalf("Execute(%s) = %v", name, err)
					}
					// The accountant's pages too have the layout (styles, viewport),
					// only without the portal's navigation.
					out := buf.String()
					if !strings.Contains(out, `<html lang="`+lang+`">`) || !strings.Contains(out, `name="viewport"`) || !strings.Contains(out, "css/app.css") {
						t.Errorf("%s: no layout (html lang, viewport, stylesheet)", name)
					}
					if p.Bare && strings.Contains(out, `href="/admin/`) {
						t.Errorf("%s: the accountant's page shows the portal's navigation", name)
					}
				})
			}
		}
	}
}

// pageConnectors are the connectors every page is rendered for: none, one
// without a file of its own, and each with one.
func pageConnectors(r *Renderer) []string {
	return append([]string{"", "fake"}, r.Connectors()...)
}

// The pages that show a connector's words render them with data, for every
// connector, language and result: eAccounting's requirements, steps and
// help on its pages, neutral words on the rest.
func TestConnectorPagesRender(t *testing.T) {
	r, err := testRenderer(t)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	co := &db.Company{ID: 1, Name: "Fjällbacka Snickeri AB", OrgNumber: "556812-3474", Country: "SE", Active: true}
	asker := testAsker{Firm: "Revisorerna", SenderName: "Erik", SenderEmail: "erik@revisorerna.se", Contact: "08-123", PrivacyURL: "https://revisorerna.se/gdpr"}
	reasons := []string{"", "no_flow", "state_mismatch", "replayed", "expired", "revoked", "used", "denied", "issuer", "bad_callback", "upstream", "upstream_error",
		"org_mismatch", "no_bookkeeping", "permission", "no_company_access", "licence", "start_guide", "inactive", "missing_scope"}
	for _, conn := range pageConnectors(r) {
		conn, connection := conn, &db.Connection{CompanyID: co.ID, Connector: conn, Status: db.ConnActive, ExternalName: co.Name, OrgNumber: co.OrgNumber, ApprovedAt: at}
		pages := map[string]any{
			"consent":                 testConsent{Secret: "s", Firm: "Revisorerna", Company: co, Expected: co.OrgNumber, ExpiresAt: at, Asker: asker},
			"consent/used":            testConsent{Firm: "Revisorerna", Company: co, Expected: co.OrgNumber, State: "used", Asker: asker},
			"consent_result/done":     testResult{OK: true, Done: true, Got: co.Name, GotOrg: co.OrgNumber, Approver: "Anna Lindqvist", At: at, Asker: asker},
			"consent_result/oldgrant": testResult{OK: true, OldGrantKept: true, Got: co.Name, GotOrg: co.OrgNumber, At: at, Asker: asker},
			"consent_result/gone":     testResult{Reason: "gone", Asker: asker},
			"consent_result/receipt":  testResult{OK: true, Got: co.Name, GotOrg: co.OrgNumber, At: at, Asker: asker, ReceiptURL: "/receipt/x"},
			// The approver's receipt (issue 29), and the pages of an
			// address that shows none.
			"consent_receipt": testReceipt{Company: co.Name, CompanyOrg: co.OrgNumber, Country: "SE", Firm: "Revisorerna", LinkID: 7, LinkMade: "1 Dec", Sender: "Erik",
				Contact: "08-123", PrivacyURL: "https://revisorerna.se/gdpr", Until: "1 Mar",
				Steps: []testReceiptStep{{Connector: conn, Access: "reads", Withdraw: "remove it", Approver: "Anna", At: "1 Dec"}, {Connector: "other", Access: "writes", Withdraw: "remove"}}},
			"consent_receipt/expired": testReceipt{Reason: "expired", Firm: "Revisorerna", Contact: "08-123"},
			"consent_receipt/invalid": testReceipt{Reason: "invalid", Firm: "Revisorerna"},
			// A link of two steps: both on the consent page, the first
			// done and the second to start on the result page.
			"consent/steps": testConsent{Secret: "s", Firm: "Revisorerna", Company: co, Expected: co.OrgNumber, ExpiresAt: at, Asker: asker,
				Steps: []testStep{{Connector: conn, Access: "reads"}, {Connector: "other", Access: "writes"}}},
			"consent_result/steps": testResult{OK: true, Got: co.Name, GotOrg: co.OrgNumber, At: at, Asker: asker, Next: "s", Then: "other",
				Steps: []testStep{{Connector: conn, State: "connected", Access: "reads"}, {Connector: "other", State: "failed", Reason: "denied", Why: "declined", Access: "writes"}}},
			"company": testCompany{Company: co, Connection: connection, State: "connected", CanManage: true, Reads: true, LinkForm: NewForm(),
				Copy: &testCopy{LinkID: 1, URL: "https://bilag.example/connect/s", ExpiresAt: at, Lang: "sv", Langs: Languages(), Messages: []testMessage{{"sv", "Hej", "Ämne", 1}, {"en", "Hello", "Subject", 1}}, SentTo: "Anna <a@example.se>", Mail: true}, MailOn: true,
				TTLs: []testTTL{{"1h0m0s", "link.ttl.1h"}}, Connectors: []string{conn, "other"}, MessageLangs: Languages(), MessageLang: "sv",
				Integrations: &testIntegrations{Tokens: []db.IntegrationToken{{ID: 1, Name: "Faktura", Prefix: "bilag_send_abcdefgh", CreatedAt: at, LastUsedAt: &at},
					{ID: 2, Name: "Kassa", Connector: conn, CreatedAt: at}}, Receivers: []struct{ Connector, Name string }{{conn, conn}},
					Form: NewForm(), NewToken: "bilag_send_x"}},
			"company/unconnected": testCompany{Company: co, State: "not_asked", CanManage: true, LinkForm: NewForm(), Connectors: []string{conn}},
			"company/disconnected": testCompany{Company: co, State: "disconnected", CanManage: true, LinkForm: NewForm(), Connectors: []string{conn},
				Connection:   &db.Connection{CompanyID: co.ID, Connector: conn, Status: db.ConnDisconnected, ApprovedAt: at},
				Disconnected: &testDisconnection{By: "Astrid Admin", Connector: conn, At: at}},
		}
		for _, reason := range reasons {
			pages["consent_result/"+reason] = testResult{OK: reason == "", Reason: reason, Areas: []string{"vouchers"}, Company: co.Name, CompanyOrg: co.OrgNumber,
				Expected: co.OrgNumber, Got: "Norrsken Design AB", GotOrg: "559104-3210", Retry: "s", Firm: "Revisorerna", At: at,
				Granted: reason == "permission", ShareURL: map[bool]string{true: "https://bilag.example/connect/s"}[reason == "permission"], LinkExpires: at, Asker: asker}
		}
		for key, data := range pages {
			name, _, _ := strings.Cut(key, "/")
			for _, lang := range Languages() {
				t.Run(key+"/"+lang+"/"+conn, func(t *testing.T) {
					var buf bytes.Buffer
					p := &Page{Lang: lang, User: &User{Name: "Ann", Role: "analyst", CanManageConnections: true}, Company: &Company{ID: co.ID, Name: co.Name, Country: co.Country, OrgNumber: co.OrgNumber, Active: co.Active}, Connector: conn, Data: data}
					if err := r.Execute(&buf, name, p); err != nil {
						t.Fatalf("Execute(%s) = %v", key, err)
					}
					out := html.UnescapeString(buf.String())
					if strings.Contains(out, "%!") {
						t.Errorf("%s: a text got the wrong arguments:\n%s", key, out)
					}
					if conn != "eaccounting" {
						if w := eaccountingWord(out); w != "" {
							t.Errorf("%s for connector %q says %q, an eAccounting word", key, conn, w)
						}
						return
					}
					// eAccounting's pages keep its own words.
					want := map[string]string{"consent": "eaccounting.consent.req.permission", "company": "eaccounting.company.connector",
						"consent_result/org_mismatch": "eaccounting.result.default.1", "consent_result/licence": "eaccounting.result.licence.how",
						"consent_result/permission": "eaccounting.result.permission.how", "consent_result/no_company_access": "eaccounting.result.no_company_access"}[key]
					if want != "" && !strings.Contains(out, r.Translate(lang, want)) {
						t.Errorf("%s for eaccounting lacks %s (%q)", key, want, r.Translate(lang, want))
					}
					if name == "company" && !strings.Contains(out, "img/visma.svg") {
						t.Errorf("%s for eaccounting shows no Visma logo", key)
					}
				})
			}
		}
	}
}

// The page data the handlers send, as far as the connector pages read it.
type (
	testConsent struct {
		Secret, Firm, Expected, State string
		Company                       *db.Company
		ExpiresAt                     time.Time
		Asker                         testAsker
		Steps                         []testStep
	}
	testStep struct {
		Connector, State, Reason, Access, Why string
	}
	testThen   struct{ Connector, Then string }
	testResult struct {
		OK, Granted, OldGrantKept, Done, Ended                                                 bool
		Reason                                                                                 string
		Areas                                                                                  []string
		Company, CompanyOrg, Expected, Got, GotOrg, Retry, Firm, Connector, Approver, ShareURL string
		At, LinkExpires                                                                        time.Time
		Asker                                                                                  testAsker
		Steps                                                                                  []testStep
		Next, Then                                                                             string
		ReceiptURL                                                                             string
	}
	testReceipt struct {
		Reason, Company, CompanyOrg, Country, Firm, LinkMade, Sender, Contact, PrivacyURL, Until, URL string
		LinkID                                                                                        int64
		Steps                                                                                         []testReceiptStep
	}
	testReceiptStep struct{ Connector, Access, Withdraw, Approver, At string }
	testAsker       struct{ Firm, SenderName, SenderEmail, Contact, PrivacyURL string }
	testCompany     struct {
		Clients      any
		Company      *db.Company
		Members      []db.User
		Connection   *db.Connection
		State        string
		CanManage    bool
		Links        []testLink
		Copy         *testCopy
		MailOn       bool
		LinkForm     *Form
		TTLs         []testTTL
		Reads        bool
		RequestFirst bool
		Imports      bool
		Pairings     []struct{ Connector, System string }
		Connectors   []string
		Thens        []testThen
		MessageLangs []string
		MessageLang  string
		Runs         []db.SyncRun
		Charts       []Chart
		Upstream     *testUpstream
		Disconnected *testDisconnection
		Integrations *testIntegrations
	}
	testUpstream struct {
		Name, OrgNumber         string
		NameDiffers, OrgDiffers bool
		Differs                 bool
	}
	testIntegrations struct {
		Tokens    []db.IntegrationToken
		Receivers []struct{ Connector, Name string }
		Form      *Form
		NewToken  string
		AtOnce    bool
	}
	testDisconnection struct {
		By, Connector string
		At            time.Time
	}
	testCopy struct {
		LinkID    int64
		URL       string
		QR        string
		Lang      string
		Langs     []string
		Messages  []testMessage
		ExpiresAt time.Time
		SentTo    string
		SentAt    *time.Time
		Mail      bool
	}
	testMessage struct {
		Lang, Text, Subject string
		Rows                int
	}
	testLink struct {
		ID                         int64
		State, Reason, ExpectedOrg string
		Next, SentTo, Approver     string
		CreatedAt, ExpiresAt       time.Time
		Revocable                  bool
		Then, ThenState            string
		ThenReason, ThenLine       string
	}
	testReveal struct {
		URL, ExpectedOrg string
		ExpiresAt        time.Time
	}
	testTTL struct{ Value, Label string }
)

// eaccountingWords are words only eAccounting's pages and catalogue may
// have (lower case).
var eaccountingWords = []string{"eekonomi", "eaccounting", "visma online", "standardföretag", "programbehörighet", "program permission", "visma.svg"}

// eaccountingWord is the first of eaccountingWords in s, or "".
func eaccountingWord(s string) string {
	s = strings.ToLower(s)
	for _, w := range eaccountingWords {
		if strings.Contains(s, w) {
			return w
		}
	}
	return ""
}

// The core's message files and the pages hold no eAccounting words: those
// are in its own words (connectors/eaccounting/words), under
// "eaccounting." keys and its name as people know it.
func TestNoEAccountingWordsInTheCore(t *testing.T) {
	core, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for lang, m := range core.words {
		for k, v := range m {
			if w := eaccountingWord(v); w != "" {
				t.Errorf("locale/%s.json %q says %q: an eAccounting word belongs in its own words", lang, k, w)
			}
		}
	}
	err = fs.WalkDir(FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(FS(), name)
		if err != nil {
			return err
		}
		if w := eaccountingWord(string(b)); w != "" || strings.Contains(strings.ToLower(string(b)), "visma") {
			t.Errorf("%s names eAccounting or Visma (%q); its words belong in its own consent.html", name, w)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Every key of a connector's catalogue is used: named in its template file,
// or the connector's wording of a key a page asks for with CT.
func TestConnectorKeysAreUsed(t *testing.T) {
	r, err := testRenderer(t)
	if err != nil {
		t.Fatal(err)
	}
	var asked []string
	for _, name := range templateFiles(t) {
		for _, m := range templateCall.FindAllStringSubmatch(readTemplate(t, name), -1) {
			if m[1] == "CT" || m[1] == "CTH" {
				asked = append(asked, m[2])
			}
		}
	}
	// The server asks for the pages' titles with TranslateFor, and for
	// every upstream failure's message (server/errors.go).
	asked = append(asked, "consent.title", "result.title", "conn.disconnected.flash", "share.message", "share.subject")
	for k := range r.words["en"] {
		if strings.HasPrefix(k, "upstream.") {
			asked = append(asked, k)
		}
	}
	// consent_result.html asks for the headline of every reason with CT.
	for k := range r.words["en"] {
		if strings.HasPrefix(k, "result.") && strings.Count(k, ".") == 1 {
			asked = append(asked, k)
		}
	}
	for _, conn := range r.Connectors() {
		own := readTemplate(t, "connectors/"+conn+".html")
		for k := range r.words["en"] {
			rest, ok := strings.CutPrefix(k, conn+".")
			if !ok || strings.Contains(own, `"`+k+`"`) || strings.Contains(own, `"`+conn+`.result.%s.how"`) && strings.HasSuffix(k, ".how") {
				continue
			}
			if strings.HasPrefix(rest, "field.") || strings.HasPrefix(rest, "form.") || strings.HasPrefix(rest, "imports.") || strings.HasPrefix(rest, "pairing.") ||
				strings.HasPrefix(rest, "record.act.") {
				// The key form's: the server asks for "<connector>.field.<name>"
				// (and ".help") and "<connector>.form.<FormError code>" by name.
				// The import pages ask for "<connector>.imports.<...>" by name too
				// (invoice_orders.go): findings, refusals, rules; the pairing
				// page for "<connector>.pairing.<table>" (and ".help") and a
				// row's label (pairing.go); the record page for
				// "<connector>.record.act.<action>" (records.go).
				continue
			}
			if !slices.Contains(asked, rest) {
				t.Errorf("%s is used neither by connectors/%s.html nor as the wording of a key a page asks for with CT", k, conn)
			}
			if !r.words.has(rest) {
				t.Errorf("%s words %q, which has no neutral text", k, rest)
			}
		}
	}
}

// A connector file may only replace the connector blocks the pages have.
func TestConnectorFileIsChecked(t *testing.T) {
	tests := []struct{ name, file, want string }{
		{"misspelt block", `{{define "connector-step"}}x{{end}}`, "no connector page has"},
		{"a page's content", `{{define "content"}}x{{end}}`, "defines only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := fstest.MapFS{"words/en.json": {Data: []byte(`{}`)}, "words/consent.html": {Data: []byte(tt.file)}}
			_, err := New(Options{Connectors: map[string]fs.FS{"bad": bad}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(with %s) = %v, want an error saying %q", tt.file, err, tt.want)
			}
		})
	}
}

// A page that has connector blocks must be one of connectorPages.
func TestConnectorBlocksOnlyOnConnectorPages(t *testing.T) {
	fsys := fstest.MapFS{
		"layout.html":   {Data: []byte(`{{define "layout"}}{{template "content" .}}{{end}}`)},
		"partials.html": {Data: []byte(``)},
		"other.html":    {Data: []byte(`{{define "content"}}{{block "connector-logo" .}}{{end}}{{end}}`)},
	}
	if _, err := New(Options{Templates: fsys}); err == nil || !strings.Contains(err.Error(), "connectorPages") {
		t.Errorf("New(a page with a connector block outside connectorPages) = %v, want an error", err)
	}
}

func TestMatchLanguage(t *testing.T) {
	tests := []struct{ header, want string }{
		{"", "en"},
		{"sv-SE,sv;q=0.9,en;q=0.8", "sv"},
		{"en-GB,en;q=0.9,sv;q=0.8", "en"},
		{"de-DE", "en"},
		// Norwegian readers get bokmål (issue 11, item 8: never Swedish),
		// Nynorsk and plain "no" readers too.
		{"nb-NO,nb;q=0.9", "nb"},
		{"fr;q=0.9, sv;q=0.5", "sv"},
		{"da-DK,da;q=0.9", "da"},
		{"nn", "nb"},
		{"no, sv;q=0.8", "nb"},
		{"sv;q=0.8, no", "nb"},
		{"fi-FI", "fi"},
		{"fi;q=0.4, sv-FI;q=0.9", "sv"},
		{"de-DE, da;q=0.1", "da"},
	}
	for _, tt := range tests {
		if got := MatchLanguage(tt.header); got != tt.want {
			t.Errorf("MatchLanguage(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

// A page's own default (the company's country language) stands in for the
// English default, but never for a language the browser asks for.
func TestMatchLanguageOr(t *testing.T) {
	tests := []struct{ header, fallback, want string }{
		{"de-DE", "sv", "sv"},
		{"", "sv", "sv"},
		{"en-GB,en;q=0.9", "sv", "en"},
		{"de-DE", "nb", "nb"},
		{"de-DE", "da", "da"},
		{"fr-FR,de;q=0.5", "fi", "fi"},
		{"", "fi", "fi"},
		{"sv", "da", "sv"},
		{"en-US", "fi", "en"},
		{"de-DE", "", "en"},
		{"de-DE", "xx", "en"},
		{"sv", "xx", "sv"},
	}
	for _, tt := range tests {
		if got := MatchLanguageOr(tt.header, tt.fallback); got != tt.want {
			t.Errorf("MatchLanguageOr(%q, %q) = %q, want %q", tt.header, tt.fallback, got, tt.want)
		}
	}
	for country, want := range map[string]string{"SE": "sv", "NO": "nb", "DK": "da", "FI": "fi", "NL": ""} {
		if got := CountryLanguage(country); got != want {
			t.Errorf("CountryLanguage(%s) = %q, want %q", country, got, want)
		}
	}
}

// Every key has an English and a Swedish text, so a Swedish page is not
// half English.
func TestEveryKeyIsTranslated(t *testing.T) {
	r, err := testRenderer(t)
	if err != nil {
		t.Fatal(err)
	}
	for k := range r.words["en"] {
		if r.words.own("sv", k) == "" {
			t.Errorf("key %q lacks a Swedish text", k)
		}
	}
}

// Every key a template names exists in the catalog (with CT, its neutral
// text: a connector's wording is optional).
func TestTemplatesUseKnownKeys(t *testing.T) {
	r, err := testRenderer(t)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range templateFiles(t) {
		for _, k := range templateKeys(t, name) {
			if !r.words.has(k) {
				t.Errorf("%s uses key %q, which has no translation", name, k)
			}
		}
	}
	for _, k := range []string{"common.morethan", "common.pageof"} {
		if !r.words.has(k) {
			t.Errorf("key %q (used from Go) has no translation", k)
		}
	}
}

// templateFiles lists every template file, connectors/ included.
func templateFiles(t *testing.T) []string {
	t.Helper()
	var names []string
	err := fs.WalkDir(templateFS(t), ".", func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path.Ext(name) == ".html" {
			names = append(names, name)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func readTemplate(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(templateFS(t), name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// templateKeys lists the catalog keys template name names literally
// ({{.T "key"}}, {{.TH "key"}}, {{.CT "key"}}, {{.CTH "key"}}).
func templateKeys(t *testing.T, name string) []string {
	t.Helper()
	var keys []string
	for _, m := range templateCall.FindAllStringSubmatch(readTemplate(t, name), -1) {
		keys = append(keys, m[2])
	}
	return keys
}

var templateCall = regexp.MustCompile(`\.(C?TH?) "([a-z0-9_.]+)"`)

// TestPageTime: times print in the page's zone with the zone's name, in
// the page's language; the accountant's zone follows the company's country.
func TestPageTime(t *testing.T) {
	at := time.Date(2026, 11, 26, 0, 50, 0, 0, time.UTC)
	summer := time.Date(2026, 6, 1, 22, 5, 0, 0, time.UTC)
	tests := []struct {
		zone *time.Location
		lang string
		t    any
		want string
	}{
		{CountryZone("SE"), "sv", at, "26 nov 2026 01:50 CET"},
		{CountryZone("SE"), "en", &at, "26 Nov 2026 01:50 CET"},
		{CountryZone("SE"), "sv", summer, "2 jun 2026 00:05 CEST"},
		{CountryZone("FI"), "sv", at, "26 nov 2026 02:50 EET"},
		{CountryZone("NO"), "en", at, "26 Nov 2026 01:50 CET"},
		{CountryZone("NO"), "nb", at, "26. nov. 2026 01:50 CET"},
		{CountryZone("NO"), "nb", time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC), "24. des. 2026 10:00 CET"},
		{CountryZone("DK"), "da", summer, "2. jun. 2026 00:05 CEST"},
		{CountryZone("DK"), "da", time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC), "4. maj 2026 10:00 CEST"},
		{CountryZone("FI"), "fi", at, "26.11.2026 klo 02.50 EET"},
		{CountryZone("FI"), "fi", summer, "2.6.2026 klo 01.05 EEST"},
		{nil, "en", at, "26 Nov 2026 00:50 UTC"},
		{CountryZone("SE"), "sv", time.Time{}, ""},
		{CountryZone("SE"), "sv", (*time.Time)(nil), ""},
	}
	for _, tt := range tests {
		p := &Page{Zone: tt.zone, Lang: tt.lang}
		if got := p.Time(tt.t); got != tt.want {
			t.Errorf("Time(%v) in %v/%s = %q, want %q", tt.t, tt.zone, tt.lang, got, tt.want)
		}
	}
	for _, c := range []string{"SE", "NO", "DK", "FI", "NL"} {
		if CountryZone(c) == nil {
			t.Errorf("CountryZone(%s) = nil", c)
		}
	}
}
