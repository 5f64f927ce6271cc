package connectortest

import (
	"context"
	"net/url"

	"bilag/connectors"
)

// The kinds of connector a test can make on an Upstream. Capabilities are
// types, so each kind is a type of its own that implements exactly its
// interfaces.
var (
	_ connectors.RedirectConnector   = Full{}
	_ connectors.Checker             = Full{}
	_ connectors.Refresher           = Full{}
	_ connectors.Revoker             = Full{}
	_ connectors.FiscalYearLister    = Full{}
	_ connectors.VoucherReader       = Full{}
	_ connectors.DocumentReader      = Full{}
	_ connectors.RedirectConnector   = Bare{}
	_ connectors.VoucherReader       = Bare{}
	_ connectors.DocumentReader      = Bare{}
	_ connectors.CredentialConnector = Form{}
	_ connectors.Checker             = Form{}
	_ connectors.VoucherReader       = Form{}
	_ connectors.DocumentReader      = Form{}
	_ connectors.RedirectConnector   = NoReading{}
	_ connectors.Checker             = NoReading{}
)

// Full is a redirect connector that can do everything.
type Full struct{ *Upstream }

// Bare is a redirect connector that only reads vouchers and documents: no
// checks, no refresh, no revocation, no fiscal years.
type Bare struct{ U *Upstream }

// Form is a connector granted by pasted keys ("key" must be "right-key"),
// with checks and reading but no refresh or revocation.
type Form struct{ U *Upstream }

// NoReading is a redirect connector with checks that reads nothing.
type NoReading struct{ U *Upstream }

func (u *Upstream) FormOrigins() []string { return []string{"https://fake.example"} }

// Full

func (f Full) Name() string { return f.name() }
func (f Full) LoginURL(callbackURL, state, _ string) (string, error) {
	return f.loginURL(callbackURL, state)
}
func (f Full) HandleCallback(_ context.Context, _ string, q url.Values, _ string) (connectors.Grant, error) {
	return f.handleCallback(q)
}
func (f Full) Check(_ context.Context, g connectors.Grant) (connectors.Verdict, error) {
	return f.check(g)
}
func (f Full) Refresh(_ context.Context, g connectors.Grant) (connectors.Grant, error) {
	return f.refresh(g)
}
func (f Full) Revoke(_ context.Context, g connectors.Grant) error { return f.revoke(g) }
func (f Full) FiscalYears(_ context.Context, g connectors.Grant) ([]connectors.FiscalYear, error) {
	return f.fiscalYears(g)
}
func (f Full) Vouchers(_ context.Context, g connectors.Grant, q connectors.VoucherQuery) (connectors.VoucherPage, error) {
	return f.vouchersPage(g, q)
}
func (f Full) Voucher(_ context.Context, g connectors.Grant, ref string) (connectors.Voucher, error) {
	return f.voucher(g, ref)
}
func (f Full) Documents(_ context.Context, g connectors.Grant, v connectors.Voucher) ([]connectors.Document, error) {
	return f.documents(g, v)
}
func (f Full) OpenDocument(_ context.Context, g connectors.Grant, d connectors.Document) (*connectors.DocumentStream, error) {
	return f.open(g, d)
}

// Bare

func (b Bare) Name() string          { return b.U.name() }
func (b Bare) FormOrigins() []string { return b.U.FormOrigins() }
func (b Bare) LoginURL(callbackURL, state, _ string) (string, error) {
	return b.U.loginURL(callbackURL, state)
}
func (b Bare) HandleCallback(_ context.Context, _ string, q url.Values, _ string) (connectors.Grant, error) {
	return b.U.handleCallback(q)
}
func (b Bare) Vouchers(_ context.Context, g connectors.Grant, q connectors.VoucherQuery) (connectors.VoucherPage, error) {
	return b.U.vouchersPage(g, q)
}
func (b Bare) Voucher(_ context.Context, g connectors.Grant, ref string) (connectors.Voucher, error) {
	return b.U.voucher(g, ref)
}
func (b Bare) Documents(_ context.Context, g connectors.Grant, v connectors.Voucher) ([]connectors.Document, error) {
	return b.U.documents(g, v)
}
func (b Bare) OpenDocument(_ context.Context, g connectors.Grant, d connectors.Document) (*connectors.DocumentStream, error) {
	return b.U.open(g, d)
}

// Form

func (f Form) Name() string { return f.U.name() }
func (f Form) Fields() []connectors.Field {
	return []connectors.Field{{Name: "user", Label: "User"}, {Name: "key", Label: "Key", Secret: true}}
}
func (f Form) Connect(_ context.Context, values map[string]string) (connectors.Grant, error) {
	return f.U.connect(values)
}
func (f Form) Check(_ context.Context, g connectors.Grant) (connectors.Verdict, error) {
	return f.U.check(g)
}
func (f Form) Vouchers(_ context.Context, g connectors.Grant, q connectors.VoucherQuery) (connectors.VoucherPage, error) {
	return f.U.vouchersPage(g, q)
}
func (f Form) Voucher(_ context.Context, g connectors.Grant, ref string) (connectors.Voucher, error) {
	return f.U.voucher(g, ref)
}
func (f Form) Documents(_ context.Context, g connectors.Grant, v connectors.Voucher) ([]connectors.Document, error) {
	return f.U.documents(g, v)
}
func (f Form) OpenDocument(_ context.Context, g connectors.Grant, d connectors.Document) (*connectors.DocumentStream, error) {
	return f.U.open(g, d)
}

// NoReading

func (n NoReading) Name() string          { return n.U.name() }
func (n NoReading) FormOrigins() []string { return n.U.FormOrigins() }
func (n NoReading) LoginURL(callbackURL, state, _ string) (string, error) {
	return n.U.loginURL(callbackURL, state)
}
func (n NoReading) HandleCallback(_ context.Context, _ string, q url.Values, _ string) (connectors.Grant, error) {
	return n.U.handleCallback(q)
}
func (n NoReading) Check(_ context.Context, g connectors.Grant) (connectors.Verdict, error) {
	return n.U.check(g)
}
