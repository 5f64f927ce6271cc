package eaccounting

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"bilag/connectors"
)

// companySettings is the part of CompanySettingsApi Bilag reads. The enums
// are pointers so that a missing field is not mistaken for 0 (Inactive).
type companySettings struct {
	CompanyIdentifier       string
	Name                    string
	CorporateIdentityNumber string
	CountryCode             string
	// The address (CompanySettingsApi: Address1, Address2, PostalCode,
	// City; the country is CountryCode).
	Address1, Address2, PostalCode, City string
	ProductVariant                       *int
	CompanyStatus                        *int
}

// Product variants without bookkeeping: 2 Invoicing, 6 InvoicingCollaboration
// and 8 CloudPayroll (CompanyInfoResponseApi).
var noBookkeepingVariants = []int{2, 6, 8}

// companyInactive is CompanySettingsApi.CompanyStatus 0 = Inactive.
const companyInactive = 0

// probe is one read-only call that tells whether the grant reaches an area
// Bilag needs.
type probe struct {
	area     string
	endpoint string
	path     string
	query    url.Values
}

func (c *Connector) probes() []probe {
	one := func(extra ...string) url.Values {
		q := url.Values{"$pagesize": {"1"}}
		for i := 0; i+1 < len(extra); i += 2 {
			q.Set(extra[i], extra[i+1])
		}
		return q
	}
	today := c.cfg.Now().Format("2006-01-02")
	return []probe{
		{"fiscal_years", "GET /fiscalyears", "/fiscalyears", one()},
		{"vouchers", "GET /vouchers", "/vouchers", one()},
		// No temporary URLs: they are slow to mint and not needed here.
		{"attachments", "GET /attachments", "/attachments", one("includeTemporaryUrl", "false")},
		{"supplier_invoices", "GET /supplierinvoices", "/supplierinvoices", one()},
		// Account balances are absent from the Invoicing variant, so this
		// is the probe for bookkeeping itself.
		{"bookkeeping", "GET /accountbalances/{date}", "/accountbalances/" + today, one()},
	}
}

// Check reads which company the grant belongs to and probes, read-only, each
// area Bilag needs. What the approver can fix (permissions, product, company
// state) comes back as problems; a refused token, a rate limit or an outage
// is an error, since it says nothing about the grant.
func (c *Connector) Check(ctx context.Context, g connectors.Grant) (connectors.Verdict, error) {
	tok, err := readGrant(g)
	if err != nil {
		return connectors.Verdict{}, fmt.Errorf("eaccounting: check: %w", err)
	}
	var v connectors.Verdict
	var s companySettings
	if err := c.get(ctx, tok, "GET /companysettings", "/companysettings", nil, &s); err != nil {
		// Without company settings the company is unknown, but the probes
		// below still tell the approver what to fix.
		p, ok := problemFor(err, "company_settings")
		if !ok {
			return connectors.Verdict{}, fmt.Errorf("eaccounting: check: get company settings: %w", err)
		}
		v.Problems = append(v.Problems, p)
	} else {
		v.Company = connectors.Company{
			ExternalID: s.CompanyIdentifier,
			Name:       s.Name,
			OrgNumber:  s.CorporateIdentityNumber,
			Country:    s.CountryCode,
			Address:    connectors.Address{Line1: s.Address1, Line2: s.Address2, PostalCode: s.PostalCode, City: s.City, Country: s.CountryCode}.Trimmed(),
		}
		if s.ProductVariant != nil && slices.Contains(noBookkeepingVariants, *s.ProductVariant) {
			v.Problems = append(v.Problems, connectors.Problem{Code: connectors.ProblemNoBookkeeping, Upstream: "ProductVariant " + strconv.Itoa(*s.ProductVariant)})
		}
		if s.CompanyStatus != nil && *s.CompanyStatus == companyInactive {
			v.Problems = append(v.Problems, connectors.Problem{Code: connectors.ProblemInactive, Upstream: "CompanyStatus " + strconv.Itoa(*s.CompanyStatus)})
		}
	}

	// The probes run side by side: the approver is waiting on the result
	// page, and each has its own rate-limit bucket.
	probes := c.probes()
	errs := make([]error, len(probes))
	var wg sync.WaitGroup
	for i, p := range probes {
		wg.Go(func() {
			errs[i] = c.get(ctx, tok, p.endpoint, p.path, p.query, nil)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			continue
		}
		if errors.Is(err, connectors.ErrNotFound) {
			// A missing collection says nothing about the grant; it is
			// Bilag's or the upstream's fault, not the approver's.
			c.logger.WarnContext(ctx, "check probe not found", "area", probes[i].area, "error", err)
			continue
		}
		p, ok := problemFor(err, probes[i].area)
		if !ok {
			return connectors.Verdict{}, fmt.Errorf("eaccounting: check: probe %s: %w", probes[i].area, err)
		}
		v.Problems = append(v.Problems, p)
	}
	v.Problems = dedupe(v.Problems)
	if len(v.Problems) == 0 {
		v.Approver = c.approver(ctx, tok)
	}
	return v, nil
}

// approver names the user who approved (UserApi.IsCurrentUser), for the
// record of who connected the company. It is a courtesy: when /users
// cannot be read the connection is made all the same.
func (c *Connector) approver(ctx context.Context, tok *token) string {
	var users struct {
		Data []struct {
			Email         string
			FirstName     string
			LastName      string
			IsCurrentUser bool
		}
	}
	if err := c.get(ctx, tok, "GET /users", "/users", nil, &users); err != nil {
		c.logger.WarnContext(ctx, "read the approving user", "error", err)
		return ""
	}
	for _, u := range users.Data {
		if u.IsCurrentUser {
			name := strings.TrimSpace(u.FirstName + " " + u.LastName)
			if u.Email != "" {
				name = strings.TrimSpace(name + " <" + u.Email + ">")
			}
			return name
		}
	}
	return ""
}

// problemFor turns an API refusal the approver can act on into a problem.
// Only permission denials name their area: the other codes concern the
// whole company or user and read the same from every endpoint.
func problemFor(err error, area string) (connectors.Problem, bool) {
	ae, ok := errors.AsType[*APIError](err)
	if !ok || ae.Is(connectors.ErrUnauthorized) || ae.rateLimited() || ae.Is(connectors.ErrUnavailable) {
		return connectors.Problem{}, false
	}
	p := connectors.Problem{Upstream: strconv.Itoa(ae.Code)}
	switch ae.Code {
	case codeProductVariant:
		p.Code = connectors.ProblemNoBookkeeping
	case codePermissionDenied:
		p.Code, p.Area = connectors.ProblemPermission, area
	case codeNoAccessForUser:
		p.Code = connectors.ProblemNoCompanyAccess
	case codeLicenceNotAccepted:
		p.Code = connectors.ProblemLicence
	case codeStartupGuide:
		p.Code = connectors.ProblemStartGuide
	case codeCompanyNotActive:
		p.Code = connectors.ProblemInactive
	case codeNoAccessToScopes:
		p.Code = connectors.ProblemMissingScope
	default:
		// A 403 with a code Bilag does not know is still a refusal in
		// this area; anything else is a fault, not a finding.
		if ae.Status != http.StatusForbidden {
			return connectors.Problem{}, false
		}
		p.Code, p.Area = connectors.ProblemPermission, area
		if ae.Code == 0 {
			// A 403 without an ErrorCode is the company's state (not
			// active, or start guide not completed), not a permission.
			p.Code, p.Area, p.Upstream = connectors.ProblemNotReady, "", "HTTP 403"
		}
	}
	return p, true
}

// dedupe keeps the first of each (code, area), so that one company-wide
// fault seen by every probe is reported once.
func dedupe(ps []connectors.Problem) []connectors.Problem {
	type key struct {
		code connectors.ProblemCode
		area string
	}
	seen := make(map[key]bool)
	var out []connectors.Problem
	for _, p := range ps {
		k := key{p.Code, p.Area}
		if !seen[k] {
			seen[k] = true
			out = append(out, p)
		}
	}
	return out
}
