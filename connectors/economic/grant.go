package economic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"bilag/connectors"
)

// Locales e-conomic's grant page speaks, by Bilag's page language.
var locales = map[string]string{"da": "da-DK", "sv": "sv-SE", "nb": "nb-NO", "en": "en-US"}

// FormOrigins is the grant page's origin: where "give permission" sends
// the browser.
func (c *Connector) FormOrigins() []string {
	u, err := url.Parse(c.cfg.GrantURL)
	if err != nil {
		return nil
	}
	return []string{u.Scheme + "://" + u.Host}
}

// LoginURL is LoginURLIn in e-conomic's default language.
func (c *Connector) LoginURL(callbackURL, state, verifier string) (string, error) {
	return c.LoginURLIn(callbackURL, state, verifier, "")
}

// LoginURLIn is requestaccess.aspx for Bilag's app, in lang ("da", "sv",
// "nb", "en"; another gets e-conomic's default). e-conomic echoes no state,
// so state rides inside redirectUrl, whose own query e-conomic keeps when it
// appends token=…; the browser binding stays in the server's sealed cookie.
// There is no PKCE: verifier is not used.
func (c *Connector) LoginURLIn(callbackURL, state, _, lang string) (string, error) {
	if err := checkURL(callbackURL); err != nil {
		return "", fmt.Errorf("economic: login url: callback: %w", err)
	}
	if state == "" {
		return "", errors.New("economic: login url: state is required")
	}
	cb, _ := url.Parse(callbackURL)
	q := cb.Query()
	q.Set("state", state)
	cb.RawQuery = q.Encode()
	u, err := url.Parse(c.cfg.GrantURL)
	if err != nil {
		return "", fmt.Errorf("economic: login url: %w", err)
	}
	gq := u.Query()
	gq.Set("appPublicToken", c.cfg.AppPublicToken)
	if l, ok := locales[lang]; ok {
		gq.Set("locale", l)
	}
	gq.Set("redirectUrl", cb.String())
	u.RawQuery = gq.Encode()
	return u.String(), nil
}

// HandleCallback takes the token e-conomic appended to the redirect URL
// (URL-encoded once more or not), learns the agreement it belongs to
// (GET /self, the fair-use count's key) and probes whether it reaches
// booked invoices. A redirect without a token is a declined grant.
func (c *Connector) HandleCallback(ctx context.Context, _ string, query url.Values, _ string) (connectors.Grant, error) {
	tok, err := callbackToken(query)
	if err != nil {
		return connectors.Grant{}, fmt.Errorf("economic: callback: %w", err)
	}
	g := &grantData{Token: tok}
	var self selfJSON
	if err := c.get(ctx, g, restAPI, "GET /self", "/self", nil, &self); err != nil {
		return connectors.Grant{}, fmt.Errorf("economic: callback: get self: %w", err)
	}
	g.Agreement = self.AgreementNumber
	// Booked-invoice PDFs need the SuperUser or Sales role; Bilag's app is
	// registered as Bookkeeping, so they are offered only where this shows
	// the grant reaches them.
	err = c.get(ctx, g, restAPI, "GET /invoices/booked", "/invoices/booked", url.Values{"pagesize": {"1"}}, nil)
	switch {
	case err == nil:
		g.Invoices = true
	case errors.Is(err, connectors.ErrForbidden):
	default:
		c.logger.WarnContext(ctx, "probe booked invoices", "error", err)
	}
	data, err := json.Marshal(g)
	if err != nil {
		return connectors.Grant{}, fmt.Errorf("economic: callback: %w", err)
	}
	scopes := []string{"vouchers", "attachments"}
	if g.Invoices {
		scopes = append(scopes, "booked_invoices")
	}
	return connectors.Grant{Data: data, Scopes: scopes}, nil
}

// callbackToken reads the grant token of the redirect, URL-encoded once
// more or not (e-conomic does not say). None is a declined grant.
func callbackToken(query url.Values) (string, error) {
	tok := strings.TrimSpace(query.Get("token"))
	if tok == "" {
		return "", fmt.Errorf("no token: %w", connectors.ErrAccessDenied)
	}
	if strings.Contains(tok, "%") {
		if u, err := url.QueryUnescape(tok); err == nil {
			tok = u
		}
	}
	if len(tok) > 512 || strings.ContainsAny(tok, " \r\n\t%") {
		return "", fmt.Errorf("malformed token: %w", connectors.ErrBadCallback)
	}
	return tok, nil
}
