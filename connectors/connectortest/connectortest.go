// Package connectortest is a fake connector for tests of what lies above
// the connector layer: an in-memory upstream with one company, its vouchers
// and their documents, whose capabilities are chosen when it is made and
// whose calls can be scripted to fail.
package connectortest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"sync"
	"time"

	"bilag/connectors"
)

// Upstream is the fake upstream's state, shared by the connectors made on
// it. It is safe for concurrent use.
type Upstream struct {
	// Name is the connector's name ("fake" when empty).
	Name string
	// Company is who every grant belongs to.
	Company connectors.Company
	// Problems is what a Check finds.
	Problems []connectors.Problem
	// GrantTTL is how long a grant lives; 0 means for ever (no refresh).
	GrantTTL time.Duration
	Now      func() time.Time

	mu       sync.Mutex
	vouchers []connectors.Voucher
	docs     map[string][]file
	grants   map[string]bool // live grant data
	serial   int
	fail     map[string][]error
	calls    map[string]int
	slow     map[string]time.Duration
	// received and booked are what a Receiver took, and under which
	// reference, by invoice number.
	received []connectors.Invoice
	booked   map[string]string
}

type file struct {
	doc  connectors.Document
	body []byte
}

// The operations, for FailNext and Calls.
const (
	OpCallback    = "HandleCallback"
	OpConnect     = "Connect"
	OpCheck       = "Check"
	OpRefresh     = "Refresh"
	OpRevoke      = "Revoke"
	OpFiscalYears = "FiscalYears"
	OpVouchers    = "Vouchers"
	OpVoucher     = "Voucher"
	OpDocuments   = "Documents"
	OpOpen        = "OpenDocument"
)

// AddVoucher adds a voucher, found by its Ref, with documents whose bytes
// are bodies (one PDF-looking document each).
func (u *Upstream) AddVoucher(v connectors.Voucher, bodies ...[]byte) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.docs == nil {
		u.docs = map[string][]file{}
	}
	for i, b := range bodies {
		id := v.Ref + "-d" + strconv.Itoa(i+1)
		u.docs[v.Ref] = append(u.docs[v.Ref], file{doc: connectors.Document{ID: id, Kind: "attachment", FileName: id + ".pdf", ContentType: "application/pdf"}, body: b})
	}
	v.HasDocuments = len(bodies) > 0
	u.vouchers = append(u.vouchers, v)
}

// FailNext makes the next calls of op fail with errs, one each.
func (u *Upstream) FailNext(op string, errs ...error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.fail == nil {
		u.fail = map[string][]error{}
	}
	u.fail[op] = append(u.fail[op], errs...)
}

// SlowDown makes every later call of op that waits (a PairingReceiver's
// reads of its lists) take d, or until its context ends; 0 makes them
// quick again.
func (u *Upstream) SlowDown(op string, d time.Duration) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.slow == nil {
		u.slow = map[string]time.Duration{}
	}
	u.slow[op] = d
}

// wait is op's slowness (SlowDown): nil after it, the context's error
// when that ends first.
func (u *Upstream) wait(ctx context.Context, op string) error {
	u.mu.Lock()
	d := u.slow[op]
	u.mu.Unlock()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", op, ctx.Err())
	}
}

// Calls is how often op was called.
func (u *Upstream) Calls(op string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.calls[op]
}

// RevokeAll withdraws every grant, as an upstream does when the customer
// removes the integration.
func (u *Upstream) RevokeAll() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.grants = nil
}

// call counts op, and returns its scripted error, or ErrGrantRevoked for a
// grant that is not live (when g is given).
func (u *Upstream) call(op string, g *connectors.Grant) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.calls == nil {
		u.calls = map[string]int{}
	}
	u.calls[op]++
	if errs := u.fail[op]; len(errs) > 0 {
		u.fail[op] = errs[1:]
		return errs[0]
	}
	if g != nil && !u.grants[string(g.Data)] {
		return fmt.Errorf("%s: %w", op, connectors.ErrGrantRevoked)
	}
	return nil
}

func (u *Upstream) newGrant() connectors.Grant {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.serial++
	data := "grant-" + strconv.Itoa(u.serial)
	if u.grants == nil {
		u.grants = map[string]bool{}
	}
	u.grants[data] = true
	g := connectors.Grant{Data: []byte(data), Scopes: []string{"read"}}
	if u.GrantTTL > 0 {
		now := time.Now
		if u.Now != nil {
			now = u.Now
		}
		g.Expiry = now().Add(u.GrantTTL)
	}
	return g
}

func (u *Upstream) name() string {
	if u.Name == "" {
		return "fake"
	}
	return u.Name
}

// --- the capabilities, as methods of the whole upstream ---

func (u *Upstream) loginURL(callbackURL, state string) (string, error) {
	q := url.Values{"redirect_uri": {callbackURL}, "state": {state}}
	return "https://fake.example/authorize?" + q.Encode(), nil
}

// handleCallback accepts code=ok; error=access_denied is a refusal.
func (u *Upstream) handleCallback(query url.Values) (connectors.Grant, error) {
	if err := u.call(OpCallback, nil); err != nil {
		return connectors.Grant{}, err
	}
	switch {
	case query.Get("error") == "access_denied":
		return connectors.Grant{}, connectors.ErrAccessDenied
	case query.Get("code") != "ok":
		return connectors.Grant{}, connectors.ErrBadCallback
	}
	return u.newGrant(), nil
}

func (u *Upstream) connect(values map[string]string) (connectors.Grant, error) {
	if err := u.call(OpConnect, nil); err != nil {
		return connectors.Grant{}, err
	}
	if values["key"] != "right-key" {
		return connectors.Grant{}, fmt.Errorf("fake: wrong key: %w", connectors.ErrUnauthorized)
	}
	return u.newGrant(), nil
}

func (u *Upstream) check(g connectors.Grant) (connectors.Verdict, error) {
	if err := u.call(OpCheck, &g); err != nil {
		return connectors.Verdict{}, err
	}
	return connectors.Verdict{Company: u.Company, Approver: "Fake Approver", Problems: u.Problems}, nil
}

func (u *Upstream) refresh(g connectors.Grant) (connectors.Grant, error) {
	if err := u.call(OpRefresh, &g); err != nil {
		return connectors.Grant{}, err
	}
	u.mu.Lock()
	delete(u.grants, string(g.Data))
	u.mu.Unlock()
	return u.newGrant(), nil
}

func (u *Upstream) revoke(g connectors.Grant) error {
	if err := u.call(OpRevoke, nil); err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.grants, string(g.Data))
	return nil
}

func (u *Upstream) fiscalYears(g connectors.Grant) ([]connectors.FiscalYear, error) {
	if err := u.call(OpFiscalYears, &g); err != nil {
		return nil, err
	}
	return []connectors.FiscalYear{{ID: "fy2026", StartDate: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), EndDate: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}}, nil
}

func (u *Upstream) vouchersPage(g connectors.Grant, q connectors.VoucherQuery) (connectors.VoucherPage, error) {
	if err := u.call(OpVouchers, &g); err != nil {
		return connectors.VoucherPage{}, err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	size := max(q.PageSize, 1)
	from, _ := strconv.Atoi(q.Cursor) // the cursor is an offset
	from = min(max(from, 0), len(u.vouchers))
	to := min(from+size, len(u.vouchers))
	p := connectors.VoucherPage{Vouchers: append([]connectors.Voucher(nil), u.vouchers[from:to]...), Total: len(u.vouchers)}
	if to < len(u.vouchers) {
		p.Next = strconv.Itoa(to)
	}
	return p, nil
}

func (u *Upstream) voucher(g connectors.Grant, ref string) (connectors.Voucher, error) {
	if err := u.call(OpVoucher, &g); err != nil {
		return connectors.Voucher{}, err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, v := range u.vouchers {
		if v.Ref == ref {
			return v, nil
		}
	}
	return connectors.Voucher{}, connectors.ErrNotFound
}

func (u *Upstream) documents(g connectors.Grant, v connectors.Voucher) ([]connectors.Document, error) {
	if err := u.call(OpDocuments, &g); err != nil {
		return nil, err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []connectors.Document
	for _, f := range u.docs[v.Ref] {
		out = append(out, f.doc)
	}
	return out, nil
}

func (u *Upstream) open(g connectors.Grant, d connectors.Document) (*connectors.DocumentStream, error) {
	if err := u.call(OpOpen, &g); err != nil {
		return nil, err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, fs := range u.docs {
		for _, f := range fs {
			if f.doc.ID == d.ID && f.doc.Kind == d.Kind {
				return &connectors.DocumentStream{Body: io.NopCloser(bytes.NewReader(f.body)), ContentType: f.doc.ContentType,
					FileName: f.doc.FileName, Size: int64(len(f.body))}, nil
			}
		}
	}
	return nil, connectors.ErrNotFound
}
