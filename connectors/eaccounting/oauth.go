package eaccounting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"bilag/connectors"

	"golang.org/x/oauth2"
)

// token is what Grant.Data holds: the connector's own record of the tokens,
// so that nothing outside this package depends on x/oauth2's types.
type token struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
}

// String keeps fmt from printing the tokens.
func (t token) String() string { return "[redacted]" }

// GoString keeps %#v from printing the tokens.
func (t token) GoString() string { return "[redacted]" }

// LogValue keeps a careless slog.Any from printing the tokens.
func (t token) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// readGrant decodes a grant made by this connector.
func readGrant(g connectors.Grant) (*token, error) {
	var t token
	if err := json.Unmarshal(g.Data, &t); err != nil {
		// The decoder's message could quote the data; keep only the fact.
		return nil, errors.New("grant data is not an eaccounting token")
	}
	if t.AccessToken == "" {
		return nil, fmt.Errorf("grant has no access token: %w", connectors.ErrUnauthorized)
	}
	return &t, nil
}

// grant turns a token response into a Grant. Expiry is computed from
// expires_in with the injected clock, as x/oauth2 uses the real one.
// fallbackScopes are used when the server does not say which it granted
// (RFC 6749 §5.1 allows that when they are the ones requested).
func (c *Connector) grant(tok *oauth2.Token, fallbackScopes []string) (connectors.Grant, error) {
	expiry := tok.Expiry
	if tok.ExpiresIn > 0 {
		expiry = c.cfg.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	data, err := json.Marshal(token{
		AccessToken:  tok.AccessToken,
		RefreshToken: tok.RefreshToken,
		TokenType:    tok.TokenType,
		Expiry:       expiry,
	})
	if err != nil {
		return connectors.Grant{}, err
	}
	scopes := append([]string(nil), fallbackScopes...)
	if s, ok := tok.Extra("scope").(string); ok && strings.TrimSpace(s) != "" {
		scopes = strings.Fields(s)
	}
	return connectors.Grant{Data: data, Expiry: expiry, Scopes: scopes}, nil
}

// oauthConfig is the connector's OAuth configuration for one redirect URI;
// the server's callback URL is per call, and must be identical in the
// authorization request and the code exchange.
func (c *Connector) oauthConfig(callbackURL string) *oauth2.Config {
	cfg := c.oauth
	cfg.RedirectURL = callbackURL
	return &cfg
}

// oauthContext hands x/oauth2 the injected client, with every call to the
// identity server bounded by the token-call limits (tokenTransport).
func (c *Connector) oauthContext(ctx context.Context) context.Context {
	client := *c.client
	base := client.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	client.Transport = &tokenTransport{c: c, base: base}
	return context.WithValue(ctx, oauth2.HTTPClient, &client)
}

// tokenTransport bounds each request x/oauth2 makes (a code exchange, a
// refresh) by tokenCall. A limit that runs out is returned as its cause,
// which tokenError (transportError) classes as the identity server being
// unavailable.
type tokenTransport struct {
	c    *Connector
	base http.RoundTripper
}

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, done := t.c.tokenCall(req.Context())
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		defer done()
		if ctx.Err() != nil && req.Context().Err() == nil {
			return nil, context.Cause(ctx)
		}
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: done}
	return resp, nil
}

// FormOrigins is the identity server's origin: where "give permission"
// sends the browser.
func (c *Connector) FormOrigins() []string {
	u, err := url.Parse(c.cfg.AuthURL)
	if err != nil {
		return nil
	}
	return []string{u.Scheme + "://" + u.Host}
}

// LoginURL is Visma's authorization URL: code flow with PKCE (S256), and
// prompt=select_account with Visma's eAccounting ACR value so the approver
// always picks the company rather than Visma using their default company.
func (c *Connector) LoginURL(callbackURL, state, verifier string) (string, error) {
	if err := checkURL(callbackURL); err != nil {
		return "", fmt.Errorf("eaccounting: login url: callback: %w", err)
	}
	if state == "" {
		return "", errors.New("eaccounting: login url: state is required")
	}
	if !validVerifier(verifier) {
		return "", errors.New("eaccounting: login url: verifier is not an RFC 7636 code verifier")
	}
	return c.oauthConfig(callbackURL).AuthCodeURL(state,
		oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("prompt", "select_account"),
		oauth2.SetAuthURLParam("acr_values", eAccountingService),
	), nil
}

// validVerifier checks RFC 7636 §4.1: 43 to 128 unreserved characters.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, r := range v {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9', strings.ContainsRune("-._~", r):
		default:
			return false
		}
	}
	return true
}

// issuerAlwaysSent is this connector's setting for RFC 9207: Visma's
// identity server says who answered in every authorization response (its
// discovery document advertises authorization_response_iss_parameter_supported),
// so §2.4 has a response without iss refused like one from another issuer.
const issuerAlwaysSent = true

// HandleCallback checks Visma's redirect (error, then issuer, then code) and
// exchanges the code for tokens. An error comes first so that a refusal
// reads as one whoever sent it: it grants nothing either way.
func (c *Connector) HandleCallback(ctx context.Context, callbackURL string, query url.Values, verifier string) (connectors.Grant, error) {
	if code := query.Get("error"); code != "" {
		if code == "access_denied" {
			return connectors.Grant{}, fmt.Errorf("eaccounting: callback: %w", connectors.ErrAccessDenied)
		}
		// error_description is left out on purpose: anyone can craft this
		// query, and the code alone says what went wrong.
		return connectors.Grant{}, fmt.Errorf("eaccounting: callback: upstream error %q: %w", clip(code, 64), connectors.ErrBadCallback)
	}
	if (issuerAlwaysSent || query.Has("iss")) && query.Get("iss") != c.cfg.Issuer {
		return connectors.Grant{}, fmt.Errorf("eaccounting: callback: issuer %q: %w", clip(query.Get("iss"), 200), connectors.ErrIssuerMismatch)
	}
	code := query.Get("code")
	if code == "" {
		return connectors.Grant{}, fmt.Errorf("eaccounting: callback: no code: %w", connectors.ErrBadCallback)
	}
	// No retry: a code is single use, and a server that spent it before a
	// fault would answer invalid_grant to a second try anyway.
	tok, err := c.oauthConfig(callbackURL).Exchange(c.oauthContext(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return connectors.Grant{}, fmt.Errorf("eaccounting: exchange code: %w", c.tokenError(ctx, err))
	}
	g, err := c.grant(tok, c.cfg.Scopes)
	if err != nil {
		return connectors.Grant{}, fmt.Errorf("eaccounting: exchange code: %w", err)
	}
	return g, nil
}

// Refresh makes one refresh_token grant call. Visma rotates refresh tokens
// and the old one dies with this call, so the caller must persist the result
// before anything else, and must not call Refresh twice in parallel for one
// grant. There is no retry here for the same reason: after a lost response
// only the caller can tell whether to try again.
func (c *Connector) Refresh(ctx context.Context, g connectors.Grant) (connectors.Grant, error) {
	var old token
	if err := json.Unmarshal(g.Data, &old); err != nil {
		return connectors.Grant{}, errors.New("eaccounting: refresh: grant data is not an eaccounting token")
	}
	if old.RefreshToken == "" {
		return connectors.Grant{}, fmt.Errorf("eaccounting: refresh: grant has no refresh token: %w", connectors.ErrGrantRevoked)
	}
	// An access-less token makes the token source refresh at once.
	src := c.oauth.TokenSource(c.oauthContext(ctx), &oauth2.Token{RefreshToken: old.RefreshToken})
	tok, err := src.Token()
	if err != nil {
		return connectors.Grant{}, fmt.Errorf("eaccounting: refresh: %w", c.tokenError(ctx, err))
	}
	if tok.RefreshToken == "" {
		// The server kept the old refresh token valid (no rotation).
		tok.RefreshToken = old.RefreshToken
	}
	scopes := g.Scopes
	if len(scopes) == 0 {
		scopes = c.cfg.Scopes
	}
	ng, err := c.grant(tok, scopes)
	if err != nil {
		return connectors.Grant{}, fmt.Errorf("eaccounting: refresh: %w", err)
	}
	return ng, nil
}

// Revoke withdraws the grant at Visma (RFC 7009). Revoking the refresh token
// ends the whole grant; a grant without one has its access token revoked.
func (c *Connector) Revoke(ctx context.Context, g connectors.Grant) error {
	var t token
	if err := json.Unmarshal(g.Data, &t); err != nil {
		return errors.New("eaccounting: revoke: grant data is not an eaccounting token")
	}
	form := url.Values{"token": {t.RefreshToken}, "token_type_hint": {"refresh_token"}}
	if t.RefreshToken == "" {
		if t.AccessToken == "" {
			return nil
		}
		form = url.Values{"token": {t.AccessToken}, "token_type_hint": {"access_token"}}
	}
	body := form.Encode()
	err := connectors.Retry(ctx, c.sleep, func(ctx context.Context) error {
		ctx, done := c.tokenCall(ctx)
		defer done()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.RevokeURL, strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// RFC 6749 §2.3.1: the id and secret are form-encoded before Basic,
		// as x/oauth2 does for the token endpoint.
		req.SetBasicAuth(url.QueryEscape(c.cfg.ClientID), url.QueryEscape(c.cfg.ClientSecret))
		resp, err := c.client.Do(req)
		if err != nil {
			return transportError(ctx, err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
			return nil
		}
		var oe struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(raw, &oe)
		return c.newTokenError(resp.StatusCode, oe.Error, "", resp.Header, string(raw))
	})
	if err != nil {
		return fmt.Errorf("eaccounting: revoke: %w", err)
	}
	return nil
}

// TokenError is an error answer of the identity server's token or
// revocation endpoint.
type TokenError struct {
	// Status is the HTTP status.
	Status int
	// Code is the OAuth error code ("invalid_grant", "invalid_client", ...).
	Code string
	// Description is the server's error_description, for logs.
	Description string

	rateLimit *connectors.RateLimitError
}

func (e *TokenError) Error() string {
	s := fmt.Sprintf("identity server: status %d", e.Status)
	if e.Code != "" {
		s += fmt.Sprintf(", %s", e.Code)
	}
	if e.Description != "" {
		s += fmt.Sprintf(": %q", clip(e.Description, 200))
	}
	return s
}

// Is maps invalid_grant (the refresh token is spent, revoked or expired) to
// ErrGrantRevoked, and rate limits and server faults to their sentinels.
func (e *TokenError) Is(target error) bool {
	switch target {
	case connectors.ErrGrantRevoked:
		return e.Code == "invalid_grant"
	case connectors.ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	case connectors.ErrUnavailable:
		return e.Status >= 500
	case connectors.ErrBadAnswer:
		// invalid_client, invalid_request, a 400 without a code: an answer
		// that no retry and no new approval mends.
		return e.Code != "invalid_grant" && e.Status != http.StatusTooManyRequests && e.Status < 500
	}
	return false
}

// Unwrap exposes the *connectors.RateLimitError of a 429.
func (e *TokenError) Unwrap() error {
	if e.rateLimit == nil {
		return nil
	}
	return e.rateLimit
}

func (c *Connector) newTokenError(status int, code, description string, h http.Header, body string) *TokenError {
	e := &TokenError{Status: status, Code: code, Description: description}
	if status == http.StatusTooManyRequests {
		e.rateLimit = &connectors.RateLimitError{RetryAfter: retryAfter(h, body, c.cfg.Now())}
	}
	return e
}

// tokenCall bounds one call to the identity server by TokenTimeout and
// the connector's connect and first-byte limits; call done when it is over.
// TokenTimeout is far shorter than the time db.FreshGrant gives a refresh,
// so a person waiting on a refresh hears "not answering" within it.
func (c *Connector) tokenCall(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithTimeoutCause(ctx, c.cfg.TokenTimeout, errTokenTimeout)
	ctx, _, cancelWatch := c.watch(ctx, c.cfg.TokenTimeout)
	return ctx, func() { cancelWatch(); cancel() }
}

// tokenError maps what x/oauth2 returns. Its own errors are not wrapped as
// they are: a RetrieveError's text quotes the whole response body. An
// answer x/oauth2 could not read (no JSON, no access token) is one Bilag
// cannot use.
func (c *Connector) tokenError(ctx context.Context, err error) error {
	if re, ok := errors.AsType[*oauth2.RetrieveError](err); ok {
		status := 0
		var h http.Header
		if re.Response != nil {
			status, h = re.Response.StatusCode, re.Response.Header
		}
		return c.newTokenError(status, re.ErrorCode, re.ErrorDescription, h, string(re.Body))
	}
	if _, ok := errors.AsType[*url.Error](err); ok || ctx.Err() != nil {
		return transportError(ctx, err)
	}
	return fmt.Errorf("identity server: unreadable token answer: %w", connectors.ErrBadAnswer)
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
