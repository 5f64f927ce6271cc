package netvisor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"bilag/connectors"
	"bilag/connectors/orgnr"
)

// The key form's fields.
const (
	FieldCustomerID  = "customer_id"
	FieldCustomerKey = "customer_key"
	FieldBusinessID  = "business_id"
	FieldHost        = "host"
)

// The form's own refusals (connectors.FormError codes); the catalogue
// says each as "netvisor.form.<code>".
const (
	// FormKeys: Netvisor refused the API identifiers.
	FormKeys = "keys"
	// FormBusinessID: the identifiers work, but not for this company.
	FormBusinessID = "business_id"
	// FormBusinessIDInvalid: the company record's number is no Y-tunnus.
	FormBusinessIDInvalid = "business_id_invalid"
	// FormNoAPI: the company's Netvisor package has no API.
	FormNoAPI = "no_api"
	// FormResource: an admin has not allowed a resource Bilag reads.
	FormResource = "resource"
	// FormHost: a host not on the list.
	FormHost = "host"
)

// Fields are the key form's: the customer's API identifiers, the company's
// business id from Bilag's record (read-only: the keys must reach it), and
// the host from the configured list.
func (c *Connector) Fields() []connectors.Field {
	return []connectors.Field{
		{Name: FieldCustomerID, Label: "Customer ID (API user id)"},
		{Name: FieldCustomerKey, Label: "Customer key", Secret: true},
		{Name: FieldBusinessID, Label: "Business ID (Y-tunnus)", FromCompany: true},
		{Name: FieldHost, Label: "Netvisor address", Choices: c.Hosts()},
	}
}

// listProbes are the list resources Bilag reads, each asked for one day
// (today) so that the probe is cheap.
func (c *Connector) listProbes() []struct {
	resource string
	params   []param
} {
	today := c.cfg.Now().In(helsinki()).Format("2006-01-02")
	return []struct {
		resource string
		params   []param
	}{
		{"accountingledger.nv", []param{{"startdate", today}, {"enddate", today}}},
		{"purchaseinvoicelist.nv", []param{{"begininvoicedate", today}, {"endinvoicedate", today}}},
		{"salesinvoicelist.nv", []param{{"begininvoicedate", today}, {"endinvoicedate", today}}},
	}
}

// Connect validates pasted API identifiers with one cheap signed call per
// list resource Bilag reads, before anything is stored. What the approver
// can fix comes back as a *connectors.FormError.
func (c *Connector) Connect(ctx context.Context, values map[string]string) (connectors.Grant, error) {
	host := values[FieldHost]
	if len(c.cfg.Hosts) == 1 && host == "" {
		host = c.cfg.Hosts[0]
	}
	if !slices.Contains(c.cfg.Hosts, host) {
		return connectors.Grant{}, &connectors.FormError{Field: FieldHost, Code: FormHost}
	}
	org, err := orgnr.Validate("FI", values[FieldBusinessID])
	if err != nil {
		return connectors.Grant{}, &connectors.FormError{Field: FieldBusinessID, Code: FormBusinessIDInvalid}
	}
	cr := credentials{CustomerID: strings.TrimSpace(values[FieldCustomerID]), CustomerKey: strings.TrimSpace(values[FieldCustomerKey]), OrgID: org, Host: host}
	if cr.CustomerID == "" || cr.CustomerKey == "" {
		return connectors.Grant{}, &connectors.FormError{Field: FieldCustomerKey, Code: FormKeys}
	}
	denied := false
	for _, p := range c.listProbes() {
		err := c.probe(ctx, cr, p.resource, p.params)
		ae, ok := errors.AsType[*APIError](err)
		switch {
		case err == nil:
		case ok && ae.orgNotReached():
			return connectors.Grant{}, fmt.Errorf("netvisor: connect: %w: %w", &connectors.FormError{Field: FieldBusinessID, Code: FormBusinessID}, err)
		case ok && ae.Code == codeAuthenticationFailed:
			return connectors.Grant{}, fmt.Errorf("netvisor: connect: %w: %w", &connectors.FormError{Field: FieldCustomerKey, Code: FormKeys}, err)
		case ok && ae.noAPI():
			return connectors.Grant{}, fmt.Errorf("netvisor: connect: %w: %w", &connectors.FormError{Code: FormNoAPI}, err)
		case ok && ae.Code == codeServiceAccess:
			// Every resource is probed, so the log names all that an
			// admin must allow, not only the first.
			c.log.InfoContext(ctx, "resource not allowed for the integration", "resource", p.resource, "organisation", org)
			denied = true
		default:
			return connectors.Grant{}, fmt.Errorf("netvisor: connect: %w", err)
		}
	}
	if denied {
		return connectors.Grant{}, &connectors.FormError{Code: FormResource}
	}
	return cr.grant(), nil
}

// probe makes one call and reads its answer to the end.
func (c *Connector) probe(ctx context.Context, cr credentials, resource string, params []param) error {
	a, err := c.call(ctx, cr, resource, params, false)
	if err != nil {
		return err
	}
	defer a.Close()
	if _, err := io.Copy(io.Discard, io.LimitReader(a.br, maxAnswer)); err != nil {
		return transportError(ctx, ctx, resource, err)
	}
	return nil
}

// maxAnswer bounds a list answer read into memory.
const maxAnswer = 64 << 20

// Check says which company the grant reaches: the organisation Connect
// validated the keys against, Netvisor having no cheap call that names it.
// One ledger call confirms the keys still work there; a resource refused
// is a problem the approver can fix, anything else an error.
func (c *Connector) Check(ctx context.Context, g connectors.Grant) (connectors.Verdict, error) {
	cr, err := readGrant(g)
	if err != nil {
		return connectors.Verdict{}, fmt.Errorf("netvisor: check: %w", err)
	}
	v := connectors.Verdict{Company: connectors.Company{ExternalID: cr.OrgID, OrgNumber: cr.OrgID, Country: "FI"}, Approver: cr.CustomerID}
	p := c.listProbes()[0]
	err = c.probe(ctx, cr, p.resource, p.params)
	if ae, ok := errors.AsType[*APIError](err); ok && ae.Code == codeServiceAccess {
		code, area := connectors.ProblemPermission, areaOf(p.resource)
		if ae.noAPI() {
			code, area = connectors.ProblemNoBookkeeping, ""
		}
		v.Problems = append(v.Problems, connectors.Problem{Code: code, Area: area, Upstream: ae.Code})
		return v, nil
	}
	if err != nil {
		return connectors.Verdict{}, fmt.Errorf("netvisor: check: %w", err)
	}
	return v, nil
}
