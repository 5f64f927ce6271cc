package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"bilag/connectors/connectortest"
	"bilag/db"
	"bilag/server/connections"
)

var (
	newIntegrationTokenRe = regexp.MustCompile(`id="new-integration-token"[^>]*value="([^"]+)"`)
	integrationTokenFmt   = regexp.MustCompile(`^bilag_send_[A-Za-z0-9_-]{43}$`)
)

// createIntegrationToken makes an integration token for co on its page as
// b (an admin) and reads it from the page the form answers.
func (b *browser) createIntegrationToken(co *db.Company, name, connector string) string {
	t := b.e.t
	t.Helper()
	page := "/companies/" + itoa(co.ID)
	b.get(page)
	r := b.post(page+"/integrations/tokens", url.Values{"name": {name}, "connector": {connector}})
	wantStatus(t, "make an integration token", r, http.StatusOK)
	m := newIntegrationTokenRe.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("the company page after making a token shows none:\n%.2000s", r.Body)
	}
	tok := html.UnescapeString(m[1])
	if !integrationTokenFmt.MatchString(tok) {
		t.Fatalf("integration token = %q, want bilag_send_ and 43 base64url characters", tok)
	}
	return tok
}

// apiSend posts body to the API with token and key (none when empty),
// and checks the answer against openapi.json.
func (e *env) apiSend(t *testing.T, token, path, key string, body io.Reader) *response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.abs(path), body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := e.browser().c.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := &response{Status: resp.StatusCode, Header: resp.Header, Body: string(raw), URL: req.URL.String()}
	loadSpec(t).check(t, http.MethodPost, path, r)
	return r
}

type apiBatch struct {
	ID     int64
	URL    string
	Status string
	Counts struct {
		Invoices, Invalid, Duplicate int
		ToSend                       int `json:"to_send"`
		Sent, Refused, Unknown       int
	}
	Invoices []struct {
		Number, Status string
		Findings       []struct {
			Line                 int
			Field, Code, Message string
		}
		Answer *struct{ Code, Message, Reference string }
	}
}

// twoInvoices: one to send, one with an error (no customer's name).
const twoInvoices = `{"invoices": [
 {"number": "2001", "invoiceDate": "2026-01-31", "dueDate": "2026-03-02", "customer": {"name": "Nordlys Bogføring ApS", "orgNumber": "35121005", "country": "DK", "currency": "DKK"},
  "lines": [{"text": "Konsulent", "quantity": 2, "unitPrice": 950, "salesAccount": "1010", "vatCode": "U25"}]},
 {"number": "2002", "customer": {"orgNumber": "35121005"}, "lines": [{"text": "Kaffe", "quantity": 1, "unitPrice": 100}]}]}`

func sendPath(co *db.Company) string { return "/api/v1/companies/" + itoa(co.ID) + "/invoices" }

func (r *receiving) batches(co *db.Company) []db.ImportBatch {
	r.t.Helper()
	_, bs, err := r.db.ImportHistory(r.t.Context(), co.ID, 100)
	if err != nil {
		r.t.Fatal(err)
	}
	return bs
}

// A front system's batch, held (the default): made on the company page,
// the token is shown once; a batch with a key is answered 202 with the
// batch, and the same key and body with the same batch; another body is
// refused; nothing is sent until a person presses Send on the imports
// page, where the batch's source is "API (token name)"; sent, the batch
// says what the receiver answered, and a repeat sends nothing twice.
func TestAPIInvoicesHeld(t *testing.T) {
	t.Parallel()
	r := withReceivers(t, connections.Options{})
	r.connectFake()
	ctx := t.Context()
	admin := r.loggedIn(r.admin)
	tok := admin.createIntegrationToken(r.fj, "Fakturasystemet", "fake")
	if page := admin.get("/companies/" + itoa(r.fj.ID)); strings.Contains(page.Body, tok) || !strings.Contains(page.Body, tok[:19]) {
		t.Error("the company page shows the token again, or not its prefix")
	}
	if ts, _ := r.db.IntegrationTokensOf(ctx, r.fj.ID); len(ts) != 1 || ts[0].Hash == tok || ts[0].Connector != "fake" {
		t.Errorf("stored tokens %+v", ts)
	}
	wantStatus(t, "an analyst makes a token", r.loggedIn(r.analyst).post("/companies/"+itoa(r.fj.ID)+"/integrations/tokens", url.Values{"name": {"x"}}), http.StatusNotFound)

	first := r.apiSend(t, tok, sendPath(r.fj), "batch-1", strings.NewReader(twoInvoices))
	wantStatus(t, "send", first, http.StatusAccepted)
	b := decode[apiBatch](t, first)
	if first.Header.Get("Location") != b.URL || !strings.HasSuffix(b.URL, "/invoices/batches/"+itoa(b.ID)) {
		t.Errorf("Location %q, url %q", first.Header.Get("Location"), b.URL)
	}
	if b.Status != "held" || b.Counts.Invoices != 2 || b.Counts.Invalid != 1 || len(b.Invoices) != 2 || b.Invoices[1].Findings[0].Code == "" ||
		b.Invoices[1].Findings[0].Message == "" {
		t.Errorf("batch %+v", b)
	}
	if n := r.fake.Calls(connectortest.OpSend); n != 0 {
		t.Fatalf("a held batch sent %d invoices", n)
	}
	again := r.apiSend(t, tok, sendPath(r.fj), "batch-1", strings.NewReader(twoInvoices))
	wantStatus(t, "same key, same body", again, http.StatusAccepted)
	if decode[apiBatch](t, again).ID != b.ID || len(r.batches(r.fj)) != 1 {
		t.Errorf("a repeat made another batch")
	}
	wantAPIError(t, "same key, other body", r.apiSend(t, tok, sendPath(r.fj), "batch-1", strings.NewReader(strings.Replace(twoInvoices, "2001", "2003", 1))),
		http.StatusUnprocessableEntity, "idempotency_key_reused")
	wantAPIError(t, "no key", r.apiSend(t, tok, sendPath(r.fj), "", strings.NewReader(twoInvoices)), http.StatusBadRequest, "idempotency_key_required")

	// A person sends it from the imports page.
	analyst := r.loggedIn(r.analyst)
	wantText(t, "imports page", analyst.get("/companies/"+itoa(r.fj.ID)+"/imports"), tr("imports.source.api", "Fakturasystemet"))
	wantStatus(t, "send on the page", analyst.post("/companies/"+itoa(r.fj.ID)+"/imports/"+itoa(b.ID)+"/send", nil), http.StatusSeeOther)
	r.svc.Wait()
	got := r.api(t, tok, strings.TrimPrefix(b.URL, r.url))
	wantStatus(t, "poll", got, http.StatusOK)
	sent := decode[apiBatch](t, got)
	if sent.Status != "done" || sent.Counts.ToSend != 1 || sent.Counts.Sent != 1 || sent.Invoices[0].Status != db.ImportAccepted ||
		sent.Invoices[0].Answer == nil || sent.Invoices[0].Answer.Reference == "" {
		t.Errorf("sent batch %+v", sent)
	}
	sends := r.fake.Calls(connectortest.OpSend)
	wantStatus(t, "repeat after sending", r.apiSend(t, tok, sendPath(r.fj), "batch-1", strings.NewReader(twoInvoices)), http.StatusAccepted)
	r.svc.Wait()
	if n := r.fake.Calls(connectortest.OpSend); n != sends || sends != 1 {
		t.Errorf("sends: %d, then %d after a repeat; want 1 and no more", sends, n)
	}
	for _, action := range []string{db.AuditIntegrationTokenCreate, db.AuditAPIBatch} {
		if es, err := r.db.CompanyAudit(ctx, db.AuditFilter{CompanyID: r.fj.ID, Action: action}, 0, 10); err != nil || len(es) != 1 {
			t.Errorf("%s events: %d, %v; want 1", action, len(es), err)
		}
	}
}

// "Sent at once": an admin's choice on the company page; the batch is
// sent without a person, its history says by which token.
func TestAPIInvoicesSentAtOnce(t *testing.T) {
	t.Parallel()
	r := withReceivers(t, connections.Options{})
	r.connectFake()
	admin := r.loggedIn(r.admin)
	tok := admin.createIntegrationToken(r.fj, "Kassan", "")
	wantStatus(t, "choose at once", admin.post("/companies/"+itoa(r.fj.ID)+"/integrations/sending", url.Values{"sending": {"at_once"}}), http.StatusSeeOther)
	if co, _ := r.db.Company(t.Context(), r.fj.ID); !co.APISendAtOnce {
		t.Fatal("the choice is not stored")
	}
	res := r.apiSend(t, tok, sendPath(r.fj), "k", strings.NewReader(twoInvoices))
	wantStatus(t, "send", res, http.StatusAccepted)
	r.svc.Wait()
	if got := r.fake.Received(); len(got) != 1 || got[0].Number != "2001" {
		t.Fatalf("received %+v, want 2001 alone", got)
	}
	b := decode[apiBatch](t, r.api(t, tok, strings.TrimPrefix(decode[apiBatch](t, res).URL, r.url)))
	if b.Status != "done" || b.Counts.Sent != 1 {
		t.Errorf("batch %+v", b)
	}
	if es, _ := r.db.CompanyAudit(t.Context(), db.AuditFilter{CompanyID: r.fj.ID, Action: db.AuditAPISending}, 0, 10); len(es) != 1 {
		t.Errorf("%d sending-choice events, want 1", len(es))
	}
}

// A send-only token can do nothing else: not the other API routes, not
// another company, not another token's batch, not the pages; revoked, it
// is unknown. A viewer's personal token may not send; an analyst's may.
func TestAPISendOnlyToken(t *testing.T) {
	t.Parallel()
	r := withReceivers(t, connections.Options{})
	r.connectFake()
	admin := r.loggedIn(r.admin)
	tok := admin.createIntegrationToken(r.fj, "A", "")
	other := admin.createIntegrationToken(r.fj, "B", "")
	fj := "/api/v1/companies/" + itoa(r.fj.ID)
	for _, path := range []string{"/api/v1/companies", fj + "/vouchers", fj + "/vouchers/1", fj + "/vouchers/1/documents/1"} {
		wantAPIError(t, path, r.api(t, tok, path), http.StatusForbidden, "send_only_token")
	}
	wantAPIError(t, "another company", r.apiSend(t, tok, sendPath(r.norrsken), "k", strings.NewReader(twoInvoices)), http.StatusForbidden, "forbidden")
	page := r.browser().do(http.MethodGet, "/companies/"+itoa(r.fj.ID), nil, http.Header{"Authorization": {"Bearer " + tok}})
	if page.Status == http.StatusOK || !strings.Contains(page.Header.Get("Location"), "/login") {
		t.Errorf("a page with the token: %d %s", page.Status, page.Header.Get("Location"))
	}

	res := r.apiSend(t, other, sendPath(r.fj), "k", strings.NewReader(twoInvoices))
	wantStatus(t, "other token sends", res, http.StatusAccepted)
	otherBatch := strings.TrimPrefix(decode[apiBatch](t, res).URL, r.url)
	wantAPIError(t, "another token's batch", r.api(t, tok, otherBatch), http.StatusNotFound, "not_found")
	// The same key under another token is that token's own.
	wantStatus(t, "same key, other token", r.apiSend(t, tok, sendPath(r.fj), "k", strings.NewReader(twoInvoices)), http.StatusAccepted)
	if n := len(r.batches(r.fj)); n != 2 {
		t.Errorf("%d batches, want one per token", n)
	}

	ts, _ := r.db.IntegrationTokensOf(t.Context(), r.fj.ID)
	wantStatus(t, "revoke", admin.post(fmt.Sprintf("/companies/%d/integrations/tokens/%d/revoke", r.fj.ID, ts[len(ts)-1].ID), nil), http.StatusSeeOther)
	wantAPIError(t, "revoked", r.apiSend(t, tok, sendPath(r.fj), "k2", strings.NewReader(twoInvoices)), http.StatusUnauthorized, "unauthorized")
	if es, _ := r.db.CompanyAudit(t.Context(), db.AuditFilter{CompanyID: r.fj.ID, Action: db.AuditIntegrationTokenRevoke}, 0, 10); len(es) != 1 {
		t.Errorf("%d revoke events, want 1", len(es))
	}

	viewer := r.tokenFor(r.viewer)
	wantAPIError(t, "a viewer's token", r.apiSend(t, viewer, sendPath(r.fj), "v", strings.NewReader(twoInvoices)), http.StatusForbidden, "forbidden")
	analyst := r.tokenFor(r.analyst)
	wantStatus(t, "an analyst's token", r.apiSend(t, analyst, sendPath(r.fj), "v", strings.NewReader(twoInvoices)), http.StatusAccepted)
	wantAPIError(t, "an analyst's token, a company not theirs", r.apiSend(t, analyst, sendPath(r.hidden), "v", strings.NewReader(twoInvoices)), http.StatusNotFound, "not_found")
}

// Bad input changes nothing: more than 1,000 invoices, a body over 32 MB,
// a body that is not the envelope; and two requests with one key at once
// make one batch.
func TestAPIInvoicesLimits(t *testing.T) {
	t.Parallel()
	r := withReceivers(t, connections.Options{})
	r.connectFake()
	tok := r.loggedIn(r.admin).createIntegrationToken(r.fj, "A", "")
	one := `{"number": "1", "customer": {"name": "X"}, "lines": [{"text": "x", "quantity": 1, "unitPrice": 1}]}`
	many := `{"invoices": [` + strings.Repeat(one+",", 1000) + one + `]}`
	wantAPIError(t, "1,001 invoices", r.apiSend(t, tok, sendPath(r.fj), "a", strings.NewReader(many)), http.StatusUnprocessableEntity, "too_many_invoices")
	huge := `{"invoices": [{"number": "1", "text": "` + strings.Repeat("x", 32<<20) + `"}]}`
	wantAPIError(t, "over 32 MB", r.apiSend(t, tok, sendPath(r.fj), "b", strings.NewReader(huge)), http.StatusRequestEntityTooLarge, "too_large")
	// Without a length said first, the reading stops at the limit.
	wantAPIError(t, "over 32 MB, chunked", r.apiSend(t, tok, sendPath(r.fj), "c", io.MultiReader(strings.NewReader(huge))), http.StatusRequestEntityTooLarge, "too_large")
	for _, body := range []string{`[` + one + `]`, `{"invoices": []}`, `{"invoices": [` + one + `], "more": 1}`, `not json`} {
		wantAPIError(t, body, r.apiSend(t, tok, sendPath(r.fj), "d", strings.NewReader(body)), http.StatusUnprocessableEntity, "invalid_body")
	}
	if n := len(r.batches(r.fj)); n != 0 {
		t.Fatalf("refused requests made %d batches", n)
	}

	var wg sync.WaitGroup
	statuses := make([]int, 4)
	body, _ := json.Marshal(map[string]any{"invoices": []json.RawMessage{json.RawMessage(one)}})
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = r.apiSend(t, tok, sendPath(r.fj), "same", bytes.NewReader(body)).Status
		}()
	}
	wg.Wait()
	for _, s := range statuses {
		if s != http.StatusAccepted && s != http.StatusConflict {
			t.Errorf("statuses %v: want 202 or 409 (the first still running)", statuses)
		}
	}
	if n := len(r.batches(r.fj)); n != 1 {
		t.Errorf("four requests with one key at once made %d batches, want 1", n)
	}
}
