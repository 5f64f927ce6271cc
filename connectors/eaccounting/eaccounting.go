// Package eaccounting connects Bilag to Visma eAccounting (eEkonomi, now sold
// as Spiris "Bokföring & Fakturering"): OAuth 2.0 with PKCE against the Visma
// Online identity server, a read-only check of what a grant reaches, and the
// vouchers and documents of the company chosen at login.
//
// Every URL is configuration, so the same client talks to Visma in
// production and to the sandbox package (or any standards-compliant OAuth 2.0
// server) in tests and development. The connector keeps no tokens: each call
// gets the grant from the caller, who refreshes and persists it.
package eaccounting

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"bilag/connectors"
	"bilag/connectors/budget"

	"golang.org/x/oauth2"
)

// Visma's production endpoints, the defaults of Config.
const (
	DefaultAuthURL   = "https://identity.vismaonline.com/connect/authorize"
	DefaultTokenURL  = "https://identity.vismaonline.com/connect/token"
	DefaultRevokeURL = "https://identity.vismaonline.com/connect/revocation"
	DefaultIssuer    = "https://identity.vismaonline.com"
	DefaultAPIURL    = "https://eaccountingapi.vismaonline.com/v2"
	// DefaultRateLimit is Visma's documented quota: 600 requests a minute per
	// client and endpoint.
	DefaultRateLimit = 600
)

// DefaultScopes are what Bilag needs and no more: vouchers, fiscal years and
// attachments (accounting), supplier-invoice files (purchase), company
// settings and customer-invoice PDFs (sales), and a refresh token. A scope
// added later forces every customer to approve again, so this set is chosen
// once.
func DefaultScopes() []string {
	return []string{"ea:api", "offline_access", "ea:accounting_readonly", "ea:purchase_readonly", "ea:sales_readonly"}
}

// eAccountingService is the ACR value Visma recommends together with
// prompt=select_account: it limits the company picker to eAccounting
// companies and keeps Visma Online from silently using the user's default
// company.
const eAccountingService = "service:44643EB1-3F76-4C1C-A672-402AE8085934"

// Config of the connector. Every URL is configuration; the zero value of a
// field means Visma's production default.
type Config struct {
	// ClientID and ClientSecret are the client registered with Visma.
	ClientID     string
	ClientSecret string
	// AuthURL is the authorization endpoint.
	AuthURL string
	// TokenURL is the token endpoint.
	TokenURL string
	// RevokeURL is the RFC 7009 revocation endpoint.
	RevokeURL string
	// Issuer is the identity server's issuer; an authorization response
	// carrying another `iss` (RFC 9207) is refused.
	Issuer string
	// APIURL is the base of the eAccounting API v2, without a trailing slash.
	APIURL string
	// Scopes requested at login.
	Scopes []string
	// RateLimit is the number of requests a minute Bilag allows itself per
	// API endpoint, shared by all companies, since Visma counts per client.
	RateLimit int
	// Budget hands out RateLimit among all callers (a quota per client and
	// endpoint); one budget shared by every instance keeps them all within
	// Visma's quota. Nil is a budget of this connector's own, in memory.
	Budget connectors.Budget
	// Now tells the time; tests inject it.
	Now func() time.Time
	// Sleep waits between retries (connectors.Sleep when nil); tests inject
	// one to count the waits.
	Sleep connectors.Sleeper
	// Observe, when set, is told of every API call and file download: the
	// endpoint template (never the URL, which may carry a secret), the
	// HTTP status (0 when there was no answer) and the time to the answer's
	// headers. It must be fast and safe for concurrent use.
	Observe func(endpoint string, status int, d time.Duration)
	// OnRateLimitWait, when set, is told of every wait for Bilag's own
	// rate limiter, by endpoint template.
	OnRateLimitWait func(endpoint string, d time.Duration)

	// The limits of every call, so that a person waiting for a page gets
	// an honest answer in time; zero means the default. ConnectTimeout
	// bounds the connection (with TLS), FirstByteTimeout the wait for the
	// answer's headers, CallTimeout a whole API call with its body (never a
	// file download, which follows the reader), TokenTimeout a call to the
	// identity server, and InteractiveTimeout one operation a person
	// waits for, its retries included.
	ConnectTimeout     time.Duration
	FirstByteTimeout   time.Duration
	CallTimeout        time.Duration
	TokenTimeout       time.Duration
	InteractiveTimeout time.Duration
}

// String keeps fmt from printing the client secret.
func (c Config) String() string {
	return fmt.Sprintf("eaccounting.Config{ClientID: %q, APIURL: %q, ClientSecret: [redacted]}", c.ClientID, c.APIURL)
}

// GoString keeps %#v from printing the client secret.
func (c Config) GoString() string { return c.String() }

// LogValue keeps a careless slog.Any from printing the client secret.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("client_id", c.ClientID), slog.String("api_url", c.APIURL))
}

// Connector is the eAccounting connector. It is safe for concurrent use by
// all companies; it holds configuration and the rate budget, never a
// company's tokens.
type Connector struct {
	cfg    Config
	oauth  oauth2.Config
	api    *url.URL
	client *http.Client
	logger *slog.Logger
	budget connectors.Budget
	// sleep waits between retries; the policy comes with each call's
	// context (connectors.WithBackoff).
	sleep connectors.Sleeper
	// dims keeps companies' cost centre and project lists a while
	// (dimensions.go).
	dims *dimensionCache
}

var (
	_ connectors.RedirectConnector  = (*Connector)(nil)
	_ connectors.Checker            = (*Connector)(nil)
	_ connectors.Refresher          = (*Connector)(nil)
	_ connectors.Revoker            = (*Connector)(nil)
	_ connectors.VoucherReader      = (*Connector)(nil)
	_ connectors.FiscalYearLister   = (*Connector)(nil)
	_ connectors.DocumentReader     = (*Connector)(nil)
	_ connectors.InvoiceStateReader = (*Connector)(nil)
)

// Open validates c, fills in the defaults and returns a connector that makes
// every HTTP call through client. A nil client gets one with a timeout; a nil
// logger discards.
func (c Config) Open(logger *slog.Logger, client *http.Client) (*Connector, error) {
	if c.ClientID == "" {
		return nil, errors.New("eaccounting: config: client id is required")
	}
	if c.ClientSecret == "" {
		return nil, errors.New("eaccounting: config: client secret is required")
	}
	c.AuthURL = orDefault(c.AuthURL, DefaultAuthURL)
	c.TokenURL = orDefault(c.TokenURL, DefaultTokenURL)
	c.RevokeURL = orDefault(c.RevokeURL, DefaultRevokeURL)
	c.Issuer = orDefault(c.Issuer, DefaultIssuer)
	c.APIURL = strings.TrimRight(orDefault(c.APIURL, DefaultAPIURL), "/")
	for _, u := range []struct{ name, value string }{
		{"auth url", c.AuthURL}, {"token url", c.TokenURL}, {"revoke url", c.RevokeURL},
		{"issuer", c.Issuer}, {"api url", c.APIURL},
	} {
		if err := checkURL(u.value); err != nil {
			return nil, fmt.Errorf("eaccounting: config: %s: %w", u.name, err)
		}
	}
	if len(c.Scopes) == 0 {
		c.Scopes = DefaultScopes()
	}
	c.Scopes = append([]string(nil), c.Scopes...)
	switch {
	case c.RateLimit < 0:
		return nil, fmt.Errorf("eaccounting: config: rate limit %d is negative", c.RateLimit)
	case c.RateLimit == 0:
		c.RateLimit = DefaultRateLimit
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.defaultLimits()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	api, _ := url.Parse(c.APIURL)
	if c.Budget == nil {
		c.Budget = budget.New(budget.Options{Logger: logger})
	}
	return &Connector{
		cfg: c,
		oauth: oauth2.Config{
			ClientID:     c.ClientID,
			ClientSecret: c.ClientSecret,
			Endpoint: oauth2.Endpoint{
				AuthURL:  c.AuthURL,
				TokenURL: c.TokenURL,
				// Visma documents HTTP Basic client authentication; fixing
				// the style also saves x/oauth2 its probing round trip.
				AuthStyle: oauth2.AuthStyleInHeader,
			},
			Scopes: c.Scopes,
		},
		api:    api,
		client: client,
		logger: logger.With("connector", "eaccounting"),
		budget: c.Budget,
		sleep:  c.Sleep,
		dims:   &dimensionCache{},
	}, nil
}

// Name is the connector's stable key.
func (c *Connector) Name() string { return "eaccounting" }

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	return nil
}
