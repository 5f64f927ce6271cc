package connectors

import (
	"context"
	"fmt"
)

// InvoiceImporter creates invoice orders (the basis of invoices) in the
// upstream from files an analyst uploads. Unlike every other capability it
// writes: sending is neither read-only nor idempotent, so nothing above the
// connector ever repeats a send on its own, and the connector does not
// retry it either.
type InvoiceImporter interface {
	Connector
	// ParseImport reads an upload in one of ImportFormats and checks every
	// order in it against the upstream's rules and the grant's settings,
	// all at once. An upload that cannot be read at all is an
	// *ImportFileError; every other problem is a finding on its order.
	ParseImport(ctx context.Context, g Grant, format string, data []byte) ([]ImportOrder, error)
	// ImportFormats are the formats ParseImport reads ("json", "csv"); the
	// first is the one ImportTemplate is written in when it is "csv".
	ImportFormats() []string
	// ImportTemplate is an example upload of the "csv" format.
	ImportTemplate() []byte
	// ImportFields are the columns of the "csv" format a one-order form
	// offers; the form's values are read as a CSV of one row.
	ImportFields() []Field
	// SendOrder sends one order's Body once. An answer the upstream gave
	// (accepted or refused) is an ImportAnswer; an error is a failure
	// before or after sending: ErrAnswerLost (query.go) when the order may
	// exist upstream, anything else when it was not sent.
	SendOrder(ctx context.Context, g Grant, body []byte) (ImportAnswer, error)
	// ImportTarget names where the grant's orders go (a host, a URL), for
	// the pages and the history. It is not secret.
	ImportTarget(g Grant) string
}

// ImportOrder is one uploaded order, checked.
type ImportOrder struct {
	// Key identifies the order upstream; with Digest (the hex SHA-256 of
	// Body) it is what makes a second send of the same order a duplicate.
	Key    string
	Digest string
	// Label is what a person calls the order (its number); Summary a line
	// about it (its customer).
	Label, Summary string
	Lines          int
	// Total is the sum of its lines in minor units.
	Total int64
	// Body is what SendOrder sends, normalised; nil when the order has
	// errors.
	Body     []byte
	Findings []ImportFinding
}

// Sendable reports whether the order has no errors (warnings allowed).
func (o ImportOrder) Sendable() bool {
	for _, f := range o.Findings {
		if !f.Warning {
			return false
		}
	}
	return o.Body != nil
}

// ImportFinding is one problem of an order: where (the line, 1-based, 0
// for the order itself; the field; the n-th value of a list field) and
// what (a code the connector's catalogue words as "<connector>.import.<Code>",
// with Arg for its %s).
type ImportFinding struct {
	Line    int
	Field   string
	Index   int
	Code    string
	Arg     string
	Warning bool
}

// ImportAnswer is the upstream's answer to one order.
type ImportAnswer struct {
	Accepted bool
	// Code is the upstream's status code, as it gave it.
	Code string
	// Message is the upstream's explanation, already cleaned by the
	// connector (plain text, bounded); it may be shown beside the order.
	Message string
}

// ImportFileError is an upload that cannot be read at all.
type ImportFileError struct {
	// Code names the fault for the catalogue ("import.file.<Code>").
	Code string
	// Row is the row or byte offset concerned, 0 when none.
	Row int
	// Name is the column concerned, when there is one.
	Name string
}

func (e *ImportFileError) Error() string {
	return fmt.Sprintf("read import file: %s (row %d %s)", e.Code, e.Row, e.Name)
}

// PrivateHosts answers whether an administrator allowed a company's
// connections to reach host although it has a private, loopback or
// link-local address (a server on the customer's own network, over VPN).
type PrivateHosts interface {
	PrivateHostAllowed(ctx context.Context, companyID int64, host string) (bool, error)
}

type companyKey struct{}

// WithCompany tells a connector which company of the firm a call is for,
// so that it can ask PrivateHosts about that company.
func WithCompany(ctx context.Context, companyID int64) context.Context {
	return context.WithValue(ctx, companyKey{}, companyID)
}

// CompanyOf is the company WithCompany set, 0 when none.
func CompanyOf(ctx context.Context) int64 {
	id, _ := ctx.Value(companyKey{}).(int64)
	return id
}
