package connectors

import (
	"context"
	"fmt"
)

// ImportFileError is an upload that cannot be read at all.
type ImportFileError struct {
	// Code names the fault for the catalogue ("imports.file.<Code>").
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
