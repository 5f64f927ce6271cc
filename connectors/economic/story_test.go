package economic

import (
	"context"
	"errors"
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/economic/sandbox"
)

func TestLoginURLCarriesStateInsideRedirectURL(t *testing.T) {
	e := newEnv(t)
	c := e.connector(bookkeepingApp)
	raw, err := c.LoginURLIn(callbackURL, "st4te", "verifier", "da")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	if q.Get("appPublicToken") != bookkeepingApp.PublicToken || q.Get("locale") != "da-DK" {
		t.Errorf("grant URL query %v", q)
	}
	if q.Get("redirectUrl") != callbackURL+"?state=st4te" {
		t.Errorf("redirectUrl = %q, want the callback with the state inside", q.Get("redirectUrl"))
	}
	if strings.Contains(raw, bookkeepingApp.SecretToken) || q.Has("state") {
		t.Errorf("grant URL %q carries the secret or a bare state", raw)
	}
	for lang, want := range map[string]string{"sv": "sv-SE", "nb": "nb-NO", "en": "en-US", "fi": ""} {
		raw, _ := c.LoginURLIn(callbackURL, "s", "", lang)
		u, _ := url.Parse(raw)
		if got := u.Query().Get("locale"); got != want {
			t.Errorf("locale for %s = %q, want %q", lang, got, want)
		}
	}
}

// TestStory walks what the portal does with one agreement: approve, check,
// sync (several pages, two years with the same voucher numbers), open the
// documents, lose the grant, reconnect.
func TestStory(t *testing.T) {
	e := newEnv(t)
	c := e.connector(superApp)
	ctx := context.Background()

	g := e.connect(c, "revisor@demo.dk", "revisor-demo", sandbox.AgreementNordlys)
	v, err := c.Check(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() || v.Company.Name != "Nordlys Bogføring ApS" || v.Company.OrgNumber != "35121005" || v.Company.Country != "DK" ||
		v.Company.ExternalID != "7001011" || !strings.Contains(v.Approver, "revisor@demo.dk") {
		t.Fatalf("verdict %+v", v)
	}
	if !slices.Contains(g.Scopes, "booked_invoices") {
		t.Errorf("a SuperUser grant reaches booked invoices; scopes %v", g.Scopes)
	}

	years, err := c.FiscalYears(ctx, g)
	if err != nil || len(years) != 2 || years[0].ID != "2024" || years[1].ID != "2025" {
		t.Fatalf("years %v, %v", years, err)
	}

	// A full sync, seven entries a page: many pages, each voucher whole.
	before := e.sb.Stats()
	all := syncAll(t, c, g, time.Time{}, 7)
	if len(all) != 80 {
		t.Fatalf("synced %d vouchers, want 40 in each of two years", len(all))
	}
	byRef := map[string]connectors.Voucher{}
	for _, v := range all {
		if _, dup := byRef[v.Ref]; dup {
			t.Fatalf("voucher %s given twice", v.Ref)
		}
		byRef[v.Ref] = v
	}
	for _, ref := range []string{"2024:1", "2025:1"} {
		v, ok := byRef[ref]
		if !ok || v.Number != "1" || len(v.Rows) != 2 || v.Amount <= 0 || v.Rows[0].Debit != v.Rows[1].Credit {
			t.Errorf("voucher %s: %+v", ref, v)
		}
	}
	if byRef["2024:1"].Amount == byRef["2025:1"].Amount {
		t.Error("the two years' voucher 1 are different vouchers")
	}
	if v := byRef["2024:2"]; v.Kind != connectors.KindCustomerInvoice || v.UpstreamType != "customerInvoice" {
		t.Errorf("voucher 2024:2 kind %q type %q", v.Kind, v.UpstreamType)
	}
	// Voucher 5 has a receipt in 2024 only.
	if !byRef["2024:5"].HasDocuments || byRef["2025:5"].HasDocuments {
		t.Errorf("has documents: 2024:5 %v, 2025:5 %v", byRef["2024:5"].HasDocuments, byRef["2025:5"].HasDocuments)
	}
	after := e.sb.Stats()
	if n := after.Calls["GET /AttachedDocuments"] - before.Calls["GET /AttachedDocuments"]; n != 2 {
		t.Errorf("the sync walked AttachedDocuments %d times, want once per year (never per voucher)", n)
	}
	if n := after.Calls["GET /accounting-years"] - before.Calls["GET /accounting-years"]; n != 1 {
		t.Errorf("the sync read the accounting years %d times, want once for all its pages", n)
	}

	// A later sync reads the open year only: the closed one cannot change.
	later := syncAll(t, c, g, time.Now(), 1000)
	for _, v := range later {
		if v.FiscalYear != "2025" {
			t.Fatalf("incremental sync read %s of a closed year", v.Ref)
		}
	}
	if len(later) != 40 {
		t.Errorf("incremental sync read %d vouchers, want 2025's 40", len(later))
	}

	// Documents: an attachment, a booked invoice's PDF, a hostile file.
	live, err := c.Voucher(ctx, g, "2025:4")
	if err != nil {
		t.Fatal(err)
	}
	docs, err := c.Documents(ctx, g, live)
	if err != nil || len(docs) != 2 {
		t.Fatalf("documents of 2025:4: %v, %v", docs, err)
	}
	var good, hostile connectors.Document
	for _, d := range docs {
		if d.ID == "9001" {
			hostile = d
		} else {
			good = d
		}
	}
	if body := open(t, c, g, good); !strings.HasPrefix(body, "%PDF-") || !strings.Contains(body, "Bilag 4 ") {
		t.Errorf("attachment is %q", clip(body, 60))
	}
	if _, err := c.OpenDocument(ctx, g, hostile); !errors.Is(err, connectors.ErrBadAnswer) {
		t.Errorf("hostile file opened: %v", err)
	}
	inv, err := c.Voucher(ctx, g, "2025:2")
	if err != nil {
		t.Fatal(err)
	}
	docs, err = c.Documents(ctx, g, inv)
	if err != nil || len(docs) != 1 || docs[0].Kind != KindBookedInvoice || docs[0].ID != "20002" {
		t.Fatalf("documents of 2025:2: %v, %v", docs, err)
	}
	if body := open(t, c, g, docs[0]); !strings.HasPrefix(body, "%PDF-") || !strings.Contains(body, "Faktura 20002") {
		t.Errorf("booked invoice is %q", clip(body, 60))
	}
	// The 2024 voucher 5 and the 2025 one differ in their documents.
	for ref, want := range map[string]int{"2024:5": 1, "2025:5": 0} {
		v, _ := c.Voucher(ctx, g, ref)
		if docs, err := c.Documents(ctx, g, v); err != nil || len(docs) != want {
			t.Errorf("documents of %s: %v, %v; want %d", ref, docs, err, want)
		}
	}

	// The customer removes the app: every call is refused, and the core
	// makes the connection "needs re-approval" on this class.
	if n := e.sb.RemoveApp(sandbox.AgreementNordlys, superApp.PublicToken); n != 1 {
		t.Fatalf("removed %d grants", n)
	}
	_, err = c.Vouchers(ctx, g, connectors.VoucherQuery{})
	if connectors.Classify(err).Class != connectors.ClassEnded {
		t.Fatalf("after withdrawal: %v (class %v), want the grant ended", err, connectors.Classify(err).Class)
	}
	if _, err := c.OpenDocument(ctx, g, good); connectors.Classify(err).Class != connectors.ClassEnded {
		t.Errorf("document after withdrawal: %v", err)
	}

	// Reconnect: a new grant for the same agreement works again.
	g2 := e.connect(c, "revisor@demo.dk", "revisor-demo", sandbox.AgreementNordlys)
	if v, err := c.Check(ctx, g2); err != nil || !v.OK() || v.Company.ExternalID != "7001011" {
		t.Fatalf("reconnect: %+v, %v", v, err)
	}
	if page, err := c.Vouchers(ctx, g2, connectors.VoucherQuery{PageSize: 10}); err != nil || len(page.Vouchers) == 0 {
		t.Fatalf("vouchers after reconnect: %v", err)
	}

	noSecrets(t, e, g, g2)
	if e.vt.n < 50 {
		t.Errorf("only %d answers validated against the spec", e.vt.n)
	}
}

// syncAll reads every page as the core's sync does.
func syncAll(t *testing.T, c *Connector, g connectors.Grant, since time.Time, size int) []connectors.Voucher {
	t.Helper()
	ctx := connectors.WithBackoff(context.Background(), connectors.Background())
	q := connectors.VoucherQuery{PageSize: size, ModifiedSince: since}
	var out []connectors.Voucher
	for range 1000 {
		page, err := c.Vouchers(ctx, g, q)
		if err != nil {
			t.Fatalf("vouchers page %q: %v", q.Cursor, err)
		}
		out = append(out, page.Vouchers...)
		if page.Next == "" || len(page.Vouchers) == 0 {
			return out
		}
		q.Cursor = page.Next
	}
	t.Fatal("the sync never ends")
	return nil
}

func open(t *testing.T, c *Connector, g connectors.Grant, d connectors.Document) string {
	t.Helper()
	s, err := c.OpenDocument(context.Background(), g, d)
	if err != nil {
		t.Fatalf("open %s %s: %v", d.Kind, d.ID, err)
	}
	defer s.Body.Close()
	if s.ContentType != "application/pdf" {
		t.Errorf("content type %q", s.ContentType)
	}
	b, _ := io.ReadAll(s.Body)
	return string(b)
}

// noSecrets: neither token is ever in a log line.
func noSecrets(t *testing.T, e *env, gs ...connectors.Grant) {
	t.Helper()
	logs := e.logs.String()
	secrets := []string{bookkeepingApp.SecretToken, superApp.SecretToken}
	for _, g := range gs {
		d, _ := readGrant(g)
		secrets = append(secrets, d.Token)
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("a token is in the log")
		}
	}
}

func TestChecks(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bilag := e.connector(bookkeepingApp)

	t.Run("wrong company", func(t *testing.T) {
		g := e.connect(bilag, "revisor@demo.dk", "revisor-demo", sandbox.AgreementFjordkaffe)
		v, err := bilag.Check(ctx, g)
		if err != nil || !v.OK() || v.Company.OrgNumber != "29871000" || v.Company.Name != "Fjordkaffe ApS" {
			t.Fatalf("verdict %+v, %v", v, err)
		}
		// GET /self's company.addressLine1, zip, city and country.
		if want := (connectors.Address{Line1: "Demovej 1", PostalCode: "1000", City: "København", Country: "Danmark"}); v.Company.Address != want {
			t.Errorf("address = %+v, want %+v", v.Company.Address, want)
		}
		// The core compares it with the link's number; a split year's id
		// travels in paths with e-conomic's _6_ escape.
		years, err := bilag.FiscalYears(ctx, g)
		if err != nil || len(years) != 1 || years[0].ID != "2024/2025" {
			t.Fatalf("years %v, %v", years, err)
		}
		page, err := bilag.Vouchers(ctx, g, connectors.VoucherQuery{PageSize: 5})
		if err != nil || len(page.Vouchers) == 0 || page.Vouchers[0].Ref != "2024/2025:1" {
			t.Fatalf("split-year vouchers: %v", err)
		}
		if _, err := bilag.Voucher(ctx, g, "2024/2025:3"); err != nil {
			t.Fatalf("split-year voucher: %v", err)
		}
	})
	t.Run("no CVR", func(t *testing.T) {
		g := e.connect(bilag, "revisor@demo.dk", "revisor-demo", sandbox.AgreementUdenCVR)
		v, err := bilag.Check(ctx, g)
		if err != nil || v.OK() || v.Problems[0].Code != ProblemNoOrgNumber {
			t.Fatalf("verdict %+v, %v", v, err)
		}
	})
	t.Run("wrong app", func(t *testing.T) {
		// A token minted for another app, brought to Bilag's callback.
		tok, ok := e.sb.GrantFor(otherApp.PublicToken, "revisor@demo.dk", sandbox.AgreementNordlys)
		if !ok {
			t.Fatal("no token")
		}
		g, err := bilag.HandleCallback(ctx, callbackURL, url.Values{"token": {tok}, "state": {"s"}}, "")
		if err != nil {
			t.Fatal(err)
		}
		v, err := bilag.Check(ctx, g)
		if err != nil || v.OK() || v.Problems[0].Code != ProblemWrongApp {
			t.Fatalf("verdict %+v, %v", v, err)
		}
	})
	t.Run("missing role", func(t *testing.T) {
		g := e.connect(bilag, "salg@demo.dk", "salg-demo", sandbox.AgreementNordlys)
		v, err := bilag.Check(ctx, g)
		if err != nil || v.OK() {
			t.Fatalf("verdict %+v, %v", v, err)
		}
		var areas []string
		for _, p := range v.Problems {
			if p.Code != ProblemMissingRole {
				t.Errorf("problem %+v", p)
			}
			areas = append(areas, p.Area)
		}
		if !slices.Equal(areas, []string{"fiscal_years", "attachments"}) {
			t.Errorf("areas %v", areas)
		}
	})
	t.Run("bookkeeping role", func(t *testing.T) {
		// Bilag's app as registered: vouchers and attachments, no invoices.
		g := e.connect(bilag, "bogholder@demo.dk", "bogholder-demo", sandbox.AgreementNordlys)
		v, err := bilag.Check(ctx, g)
		if err != nil || !v.OK() {
			t.Fatalf("verdict %+v, %v", v, err)
		}
		if slices.Contains(g.Scopes, "booked_invoices") {
			t.Error("a Bookkeeping grant does not reach booked invoices")
		}
		inv, err := bilag.Voucher(ctx, g, "2025:2")
		if err != nil {
			t.Fatal(err)
		}
		if docs, err := bilag.Documents(ctx, g, inv); err != nil || len(docs) != 0 {
			t.Errorf("documents offered without the role: %v, %v", docs, err)
		}
		// Nor does the index say such a voucher has documents.
		for _, v := range syncAll(t, bilag, g, time.Time{}, 1000) {
			if v.Kind == connectors.KindCustomerInvoice && v.HasDocuments {
				t.Fatalf("voucher %s has documents only where the grant cannot reach them", v.Ref)
			}
		}
	})
	t.Run("declined", func(t *testing.T) {
		q := e.approve(bilag, "revisor@demo.dk", "revisor-demo", sandbox.AgreementNordlys, "decline")
		if q.Get("state") != "the-state" || q.Has("token") {
			t.Fatalf("declined redirect %v", q)
		}
		if _, err := bilag.HandleCallback(ctx, callbackURL, q, ""); !errors.Is(err, connectors.ErrAccessDenied) {
			t.Fatalf("declined: %v", err)
		}
	})
	t.Run("token url-encoded or not", func(t *testing.T) {
		for _, raw := range []string{"Ab+c/d=", "Ab%2Bc%2Fd%3D"} {
			if got, err := callbackToken(url.Values{"token": {raw}}); err != nil || got != "Ab+c/d=" {
				t.Errorf("token %q read as %q, %v", raw, got, err)
			}
		}
		if _, err := callbackToken(url.Values{"token": {"a b"}}); !errors.Is(err, connectors.ErrBadCallback) {
			t.Errorf("malformed token: %v", err)
		}
	})
	noSecrets(t, e)
}
