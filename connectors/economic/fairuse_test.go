package economic

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/economic/sandbox"
)

// TestFairUseBudgetHeld: a first sync of a large agreement stops at the
// sync's share of the day, the count is shared (the database in the
// server: here one counter for two connectors, as for two instances or a
// restart), people can still open documents, and the day's cap holds.
func TestFairUseBudgetHeld(t *testing.T) {
	// 3,000 vouchers a year: 6,000 entries, six pages of 1,000 a year, and
	// 1,200 attached documents a year, two cursor pages.
	e := newEnv(t, sandbox.WithVouchers(sandbox.AgreementNordlys, 3000))
	counter := connectors.NewMemoryCalls()
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	budget := func(cfg *Config) {
		cfg.Calls, cfg.DailyBudget, cfg.SyncBudget = counter, 30, 12
		cfg.Now = func() time.Time { return now }
	}
	c := e.connector(superApp, budget)
	g := e.connect(c, "revisor@demo.dk", "revisor-demo", sandbox.AgreementNordlys)
	ctx := context.Background()
	bg := connectors.WithBackoff(ctx, connectors.Background())

	before := sum(e.sb.Stats())
	q := connectors.VoucherQuery{PageSize: 1000}
	var err error
	for range 100 {
		var page connectors.VoucherPage
		if page, err = c.Vouchers(bg, g, q); err != nil || page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	if !errors.Is(err, ErrBudget) || connectors.Classify(err).Class != connectors.ClassRateLimited {
		t.Fatalf("the sync ended with %v, want the day's sync budget spent", err)
	}
	if rl, ok := errors.AsType[*connectors.RateLimitError](err); !ok || rl.RetryAfter != 15*time.Hour {
		t.Errorf("the sync is told to wait %v, want until the next UTC day", rl)
	}
	spent := sum(e.sb.Stats()) - before
	if spent > 12 {
		t.Errorf("the sync made %d calls, over its budget of 12 (the approval's 2 included in the count)", spent)
	}

	// A second instance (or a restart) sees the same count.
	other := e.connector(superApp, budget)
	if _, err := other.Vouchers(bg, g, connectors.VoucherQuery{}); !errors.Is(err, ErrBudget) {
		t.Errorf("another instance's sync: %v", err)
	}
	// A person still opens documents, within the day's cap.
	v, err := other.Voucher(ctx, g, "2025:4")
	if err != nil {
		t.Fatalf("a person reading a voucher: %v", err)
	}
	docs, err := other.Documents(ctx, g, v)
	if err != nil || len(docs) == 0 {
		t.Fatalf("a person listing documents: %v", err)
	}
	open(t, other, g, docs[0])
	for range 30 {
		if _, err = other.Voucher(ctx, g, "2025:4"); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrBudget) {
		t.Errorf("past the day's cap: %v", err)
	}
	if total := sum(e.sb.Stats()) - before; total > 30 {
		t.Errorf("%d calls in the day, over the cap of 30", total)
	}
	// The next UTC day starts afresh.
	now = now.Add(16 * time.Hour)
	if _, err := other.Voucher(ctx, g, "2025:4"); err != nil {
		t.Errorf("the next day: %v", err)
	}
}

func sum(s sandbox.Stats) int {
	n := 0
	for _, v := range s.Calls {
		n += v
	}
	return n
}

// TestUpstream429: e-conomic's own fair-use answer is honoured: its
// Retry-After reaches the caller, who is not held for hours.
func TestUpstream429(t *testing.T) {
	e := newEnv(t, sandbox.WithDailyLimit(4))
	c := e.connector(superApp)
	g := e.connect(c, "revisor@demo.dk", "revisor-demo", sandbox.AgreementNordlys) // 2 calls
	ctx := context.Background()
	var err error
	for range 5 {
		if _, err = c.FiscalYears(ctx, g); err != nil {
			break
		}
	}
	f := connectors.Classify(err)
	if f.Class != connectors.ClassRateLimited || f.RetryAfter <= time.Minute {
		t.Fatalf("over the quota: %v (%+v)", err, f)
	}
	if e.sb.Stats().RateLimited != 1 {
		t.Errorf("the connector retried a 429 that asks for hours: %d refusals", e.sb.Stats().RateLimited)
	}
}

// TestErrorShapes: each API's errors map to the core's classes.
func TestErrorShapes(t *testing.T) {
	e := newEnv(t)
	c := e.connector(superApp)
	g := e.connect(c, "revisor@demo.dk", "revisor-demo", sandbox.AgreementNordlys)
	d, _ := readGrant(g)
	ctx := context.Background()
	// A bad filter is the REST API's 400: an answer Bilag cannot use.
	err := c.get(ctx, d, restAPI, "GET /accounting-years/{year}/entries", "/accounting-years/2025/entries", map[string][]string{"filter": {"nosuch$eq:1"}}, nil)
	ae, ok := errors.AsType[*APIError](err)
	if !ok || ae.Status != http.StatusBadRequest || ae.LogID == "" || connectors.Classify(err).Class != connectors.ClassBadAnswer {
		t.Errorf("bad filter: %v", err)
	} else if !strings.Contains(err.Error(), "logId "+ae.LogID) {
		// The server logs the error with the request id its page shows:
		// support finds e-conomic's logId there.
		t.Errorf("the error does not quote e-conomic's logId: %v", err)
	}
	// The Documents API's problem+json: a missing document.
	_, err = c.OpenDocument(ctx, g, connectors.Document{Kind: KindAttachment, ID: "424242"})
	if ae, ok := errors.AsType[*APIError](err); !ok || ae.Status != http.StatusNotFound || ae.LogID == "" || connectors.Classify(err).Class != connectors.ClassNotFound {
		t.Errorf("missing document: %v", err)
	}
	// A year that does not exist; the escape keeps a hostile id one segment.
	if _, err := c.Voucher(ctx, g, "../self:1"); connectors.Classify(err).Class != connectors.ClassNotFound {
		t.Errorf("hostile ref: %v", err)
	}
	// Bilag's own secret wrong: a 401, the class that ends a grant (the
	// core's breaker holds off when every connection fails alike).
	bad := e.connector(superApp, func(cfg *Config) { cfg.AppSecretToken = "wrong" })
	_, err1 := bad.FiscalYears(ctx, g)
	_, err2 := bad.FiscalYears(ctx, g)
	if !errors.Is(err1, connectors.ErrGrantRevoked) || connectors.Classify(err1).Class != connectors.ClassEnded {
		t.Errorf("wrong secret: %v", err1)
	}
	if err1 == nil || err2 == nil || err1.Error() != err2.Error() {
		t.Errorf("two 401s read differently (%v, %v): the core's breaker could not see one fault", err1, err2)
	}
	for _, s := range []string{superApp.SecretToken, d.Token, "wrong"} {
		if err != nil && strings.Contains(err.Error(), s) {
			t.Error("an error names a token")
		}
	}
}
