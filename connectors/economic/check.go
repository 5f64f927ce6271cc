package economic

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"bilag/connectors"
)

// Problems of e-conomic's own, beside the shared ones; the result page has
// words for each in the connector's catalogue ("economic.result.<code>").
const (
	// ProblemMissingRole: the grant lacks the role an area needs (Bookkeeping
	// or SuperUser for vouchers and their attachments).
	ProblemMissingRole connectors.ProblemCode = "missing_role"
	// ProblemNoOrgNumber: the agreement has no company identification number
	// (CVR), which e-conomic allows; it is added under Settings.
	ProblemNoOrgNumber connectors.ProblemCode = "no_org_number"
	// ProblemWrongApp: the token was minted for another app than Bilag's.
	ProblemWrongApp connectors.ProblemCode = "wrong_app"
)

// selfJSON is the part of GET /self Bilag reads.
type selfJSON struct {
	AgreementNumber int64 `json:"agreementNumber"`
	AgreementType   struct {
		Name string `json:"name"`
	} `json:"agreementType"`
	Company struct {
		Name                        string `json:"name"`
		CompanyIdentificationNumber string `json:"companyIdentificationNumber"`
		Country                     string `json:"country"`
		// The address (self.get.schema.json, company).
		AddressLine1 string `json:"addressLine1"`
		AddressLine2 string `json:"addressLine2"`
		Zip          string `json:"zip"`
		City         string `json:"city"`
	} `json:"company"`
	User struct {
		LoginID string `json:"loginId"`
		Name    string `json:"name"`
		Email   string `json:"email"`
	} `json:"user"`
	Application struct {
		AppPublicToken string `json:"appPublicToken"`
		Name           string `json:"name"`
		RequiredRoles  []struct {
			Name string `json:"name"`
		} `json:"requiredRoles"`
	} `json:"application"`
	Settings struct {
		BaseCurrency string `json:"baseCurrency"`
	} `json:"settings"`
}

// country is the agreement's country: its agreement type ("denmark",
// "sweden", "norway") says it more reliably than the free-text address.
func (s selfJSON) country() string {
	switch strings.ToLower(s.AgreementType.Name) {
	case "denmark":
		return "DK"
	case "sweden":
		return "SE"
	case "norway":
		return "NO"
	}
	switch strings.ToLower(strings.TrimSpace(s.Company.Country)) {
	case "danmark", "denmark", "dk":
		return "DK"
	case "sverige", "sweden", "se":
		return "SE"
	case "norge", "norway", "no":
		return "NO"
	}
	return ""
}

func (s selfJSON) approver() string {
	name := strings.TrimSpace(s.User.Name)
	if name == "" {
		name = s.User.LoginID
	}
	if s.User.Email != "" {
		name = strings.TrimSpace(name + " <" + s.User.Email + ">")
	}
	return name
}

// Check reads whom the grant belongs to (GET /self) and probes, read-only,
// what Bilag needs: the accounting years and their entries and the attached
// documents, which need the Bookkeeping or SuperUser role. A 403 there is a
// missing role; a token minted for another app, or an agreement without a
// company number, is refused too.
func (c *Connector) Check(ctx context.Context, g connectors.Grant) (connectors.Verdict, error) {
	d, err := readGrant(g)
	if err != nil {
		return connectors.Verdict{}, fmt.Errorf("economic: check: %w", err)
	}
	var s selfJSON
	if err := c.get(ctx, d, restAPI, "GET /self", "/self", nil, &s); err != nil {
		return connectors.Verdict{}, fmt.Errorf("economic: check: get self: %w", err)
	}
	v := connectors.Verdict{
		Company: connectors.Company{
			ExternalID: strconv.FormatInt(s.AgreementNumber, 10),
			Name:       s.Company.Name,
			OrgNumber:  strings.TrimSpace(s.Company.CompanyIdentificationNumber),
			Country:    s.country(),
			Address: connectors.Address{Line1: s.Company.AddressLine1, Line2: s.Company.AddressLine2, PostalCode: s.Company.Zip,
				City: s.Company.City, Country: s.Company.Country}.Trimmed(),
		},
		Approver: s.approver(),
	}
	if s.Application.AppPublicToken != c.cfg.AppPublicToken {
		// Another app's token: its role and its owner are not Bilag's.
		v.Problems = append(v.Problems, connectors.Problem{Code: ProblemWrongApp, Upstream: "application " + clip(s.Application.Name, 80)})
		return v, nil
	}
	if d.Agreement != 0 && s.AgreementNumber != d.Agreement {
		return connectors.Verdict{}, fmt.Errorf("economic: check: agreement changed: %w", connectors.ErrBadAnswer)
	}
	if v.Company.OrgNumber == "" {
		v.Problems = append(v.Problems, connectors.Problem{Code: ProblemNoOrgNumber})
	}
	one := url.Values{"pagesize": {"1"}}
	probes := []struct {
		endpoint, path string
		b              apiBase
		q              url.Values
	}{
		{"GET /accounting-years", "/accounting-years", restAPI, one},
		{"GET /AttachedDocuments/count", "/AttachedDocuments/count", documentsAPI, nil},
	}
	for _, p := range probes {
		err := c.get(ctx, d, p.b, p.endpoint, p.path, p.q, nil)
		switch {
		case err == nil:
		case errors.Is(err, connectors.ErrForbidden):
			v.Problems = append(v.Problems, connectors.Problem{Code: ProblemMissingRole, Area: areaOf(p.endpoint), Upstream: "HTTP 403"})
		default:
			return connectors.Verdict{}, fmt.Errorf("economic: check: probe %s: %w", p.endpoint, err)
		}
	}
	return v, nil
}
