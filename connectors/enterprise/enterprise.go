// Package enterprise connects Bilag to a customer's own Visma Enterprise
// installation to send invoice orders ("fakturagrunnlag") to Enterprise
// Fakturering through its order-import web service (fakturering_ws):
// POST {root}/secure/orderimport/order with a JSON body, answered with
// {status, message}, 0 meaning OK. Enterprise runs on the customer's
// servers: the root URL, a web-service user and its password are typed
// into Bilag's key form; there is no consent redirect, no identity call and
// no cloud host.
//
// The connector validates orders exactly as the seed's field tables say
// (validate.go) before anything is sent, and never sends one twice on its
// own: the POST creates an order and is not idempotent.
package enterprise

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"bilag/connectors"
)

// Name is the connector's key.
const Name = "enterprise"

// orderPath is the order import under the web-service root.
const orderPath = "/secure/orderimport/order"

// Config of the connector.
type Config struct {
	// PrivateHosts says which private hosts an administrator allowed for a
	// company (a server reached over VPN). Nil: none.
	PrivateHosts connectors.PrivateHosts
	// Sent is Bilag's record of the orders it sent, against which an
	// upload's serial numbers are checked. Nil: not checked.
	Sent SentOrders
	// DemoOrigin is, in demo mode only, the origin (http://127.0.0.1:8090)
	// of Bilag's own sandbox: a root URL on exactly that origin may be http
	// and on loopback. Empty outside demo mode, and then every URL must be
	// https and public or allowed by PrivateHosts.
	DemoOrigin string
	// Timeout bounds each call (30 s when zero). A send that runs out of
	// it has an unknown outcome.
	Timeout time.Duration
	// TLS configures TLS (tests trust their own certificates with it).
	TLS *tls.Config
	// Resolver resolves host names (net.DefaultResolver when nil).
	Resolver *net.Resolver
	Log      *slog.Logger
}

// Connector is Visma Enterprise's order import.
type Connector struct {
	cfg    Config
	client *http.Client
	log    *slog.Logger
}

var _ connectors.CredentialConnector = (*Connector)(nil)

// Open builds the connector.
func (cfg Config) Open() (*Connector, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.DemoOrigin != "" {
		u, err := url.Parse(cfg.DemoOrigin)
		if err != nil || u.Host == "" || u.Path != "" {
			return nil, fmt.Errorf("enterprise demo origin %q: not scheme://host:port", cfg.DemoOrigin)
		}
	}
	c := &Connector{cfg: cfg, log: cfg.Log}
	c.client = &http.Client{
		Timeout: cfg.Timeout,
		Transport: &http.Transport{
			// No proxy from the environment: a proxy would reach the host
			// for Bilag, past the address check in dial.
			Proxy:       nil,
			DialContext: c.dial,
			// A fresh connection per call: whether a private address may be
			// reached is decided per company, at every dial.
			DisableKeepAlives:     true,
			TLSClientConfig:       cfg.TLS,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: cfg.Timeout,
		},
		// Never follow a redirect: the URL typed is the only host called.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

// Name is "enterprise".
func (c *Connector) Name() string { return Name }

// The key form's fields.
const (
	fieldURL         = "url"
	fieldUser        = "user"
	fieldPassword    = "password"
	fieldCompany     = "company"
	fieldSystem      = "system"
	fieldOrg         = "orgnr"
	fieldConfirm     = "confirm"
	fieldPrincipals  = "principals"
	fieldCommodities = "commodities"
	fieldVAT         = "vatcodes"
	fieldAccounts    = "accounts"
)

// Fields are the key form's: the web-service root, its user, the company
// number and system code, the firm's record of the organisation number with
// a box the approver ticks to confirm it (Enterprise has no identity call),
// and optional lists of the codes that exist in the customer's Enterprise.
func (c *Connector) Fields() []connectors.Field {
	return []connectors.Field{
		{Name: fieldURL, Label: "Web-service root URL"},
		{Name: fieldUser, Label: "Web-service user"},
		{Name: fieldPassword, Label: "Password", Secret: true},
		{Name: fieldCompany, Label: "Enterprise company number"},
		{Name: fieldSystem, Label: "System code (externalSystem)"},
		{Name: fieldOrg, Label: "Organisation number", FromCompany: true},
		{Name: fieldConfirm, Label: "I confirm the organisation number", Checkbox: true},
		{Name: fieldPrincipals, Label: "Principal numbers", Optional: true, Multiline: true},
		{Name: fieldCommodities, Label: "Commodity numbers", Optional: true, Multiline: true},
		{Name: fieldVAT, Label: "VAT codes", Optional: true, Multiline: true},
		{Name: fieldAccounts, Label: "Account values", Optional: true, Multiline: true},
	}
}

// settings are the grant's data: everything typed, the password included
// (the database seals grants).
type settings struct {
	Root        string   `json:"root"`
	User        string   `json:"user"`
	Password    string   `json:"password"`
	Company     int      `json:"company"`
	System      string   `json:"system"`
	OrgNumber   string   `json:"orgnr"`
	Principals  []int    `json:"principals,omitempty"`
	Commodities []int    `json:"commodities,omitempty"`
	VATCodes    []int    `json:"vat_codes,omitempty"`
	Accounts    []string `json:"accounts,omitempty"`
}

func (s settings) rules() Rules {
	r := Rules{System: s.System, Company: s.Company}
	set := func(xs []int) map[int]bool {
		if len(xs) == 0 {
			return nil
		}
		m := map[int]bool{}
		for _, x := range xs {
			m[x] = true
		}
		return m
	}
	r.Principals, r.Commodities, r.VATCodes = set(s.Principals), set(s.Commodities), set(s.VATCodes)
	if len(s.Accounts) > 0 {
		r.Accounts = map[string]bool{}
		for _, a := range s.Accounts {
			r.Accounts[a] = true
		}
	}
	return r
}

func formErr(field, code string) error { return &connectors.FormError{Field: field, Code: code} }

// readSettings checks what was typed, field by field.
func readSettings(values map[string]string) (settings, error) {
	s := settings{User: values[fieldUser], Password: values[fieldPassword], System: strings.TrimSpace(values[fieldSystem]), OrgNumber: values[fieldOrg]}
	if values[fieldConfirm] != "yes" {
		return s, formErr(fieldConfirm, "confirm")
	}
	n, err := strconv.Atoi(values[fieldCompany])
	if err != nil || !digitsOnly(values[fieldCompany]) || len(values[fieldCompany]) > digitsComp || n < 1 {
		return s, formErr(fieldCompany, "company")
	}
	s.Company = n
	// Any two characters, as an order's externalSystem (see validate).
	if utf8.RuneCountInString(s.System) != 2 {
		return s, formErr(fieldSystem, "system")
	}
	var ok bool
	if s.Principals, ok = codeList(values[fieldPrincipals], digitsPrinc); !ok {
		return s, formErr(fieldPrincipals, "codes")
	}
	if s.Commodities, ok = codeList(values[fieldCommodities], digitsCommod); !ok {
		return s, formErr(fieldCommodities, "codes")
	}
	if s.VATCodes, ok = codeList(values[fieldVAT], digitsVAT); !ok {
		return s, formErr(fieldVAT, "codes")
	}
	for _, a := range splitList(values[fieldAccounts]) {
		if utf8.RuneCountInString(a) > lenAccount {
			return s, formErr(fieldAccounts, "accounts")
		}
		s.Accounts = append(s.Accounts, a)
	}
	return s, nil
}

// splitList splits a typed list at commas, semicolons, spaces and line ends.
func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
}

func codeList(v string, digits int) ([]int, bool) {
	var out []int
	for _, f := range splitList(v) {
		if !digitsOnly(f) || len(f) > digits {
			return nil, false
		}
		n, _ := strconv.Atoi(f)
		out = append(out, n)
	}
	return out, true
}

// Connect checks the root URL's rules and the credentials, with a GET on
// the order import (see checkCredentials), and never posts anything.
func (c *Connector) Connect(ctx context.Context, values map[string]string) (connectors.Grant, error) {
	s, err := readSettings(values)
	if err != nil {
		return connectors.Grant{}, err
	}
	root, err := c.rootURL(values[fieldURL])
	if err != nil {
		return connectors.Grant{}, err
	}
	s.Root = root.String()
	ctx, err = c.allow(ctx, root)
	if err != nil {
		return connectors.Grant{}, err
	}
	if err := c.checkCredentials(ctx, s); err != nil {
		return connectors.Grant{}, err
	}
	data, err := json.Marshal(s)
	if err != nil {
		return connectors.Grant{}, fmt.Errorf("enterprise grant: %w", err)
	}
	return connectors.Grant{Data: data, Scopes: []string{"orderimport"}}, nil
}

// rootURL applies the URL rules that need no network: https (or the demo
// sandbox's exact origin), no user or password in it, no query, and the
// order import's own path taken off when it was pasted with it.
func (c *Connector) rootURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, formErr(fieldURL, "url")
	}
	if u.User != nil {
		return nil, formErr(fieldURL, "url_userinfo")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return nil, formErr(fieldURL, "url_query")
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	if u.Scheme != "https" && !c.isDemo(u) {
		return nil, formErr(fieldURL, "url_https")
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), orderPath)
	u.RawPath = ""
	return u, nil
}

func (c *Connector) isDemo(u *url.URL) bool {
	return c.cfg.DemoOrigin != "" && strings.EqualFold(u.Scheme+"://"+u.Host, c.cfg.DemoOrigin)
}

type allowKey struct{}

// allow decides whether this call may reach a private address: only the
// demo sandbox's origin, or a host an administrator allowed for the
// company the call is for. A private IP literal that is not allowed is
// refused here already.
func (c *Connector) allow(ctx context.Context, u *url.URL) (context.Context, error) {
	ok := c.isDemo(u)
	if !ok && c.cfg.PrivateHosts != nil {
		var err error
		ok, err = c.cfg.PrivateHosts.PrivateHostAllowed(ctx, connectors.CompanyOf(ctx), u.Hostname())
		if err != nil {
			return ctx, fmt.Errorf("enterprise private hosts: %w", err)
		}
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil && blocked(ip) && !ok {
		return ctx, formErr(fieldURL, "url_private")
	}
	return context.WithValue(ctx, allowKey{}, ok), nil
}

// errPrivate: the host resolved to an address Bilag may not call.
var errPrivate = errors.New("enterprise: host has a private address")

// dial connects to addr's first address that may be called; the check is
// here, at the dial, so a name that resolves differently the second time
// (DNS rebinding) gains nothing.
func (c *Connector) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ips, err := c.cfg.Resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	allowed, _ := ctx.Value(allowKey{}).(bool)
	d := net.Dialer{Timeout: c.cfg.Timeout}
	var last error = errPrivate
	for _, ip := range ips {
		if blocked(ip) && !allowed {
			continue
		}
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		last = err
	}
	return nil, last
}

// checkCredentials GETs the order import with the credentials. The seed
// documents only the POST that creates an order, so a test order is never
// posted. Inferred, to confirm against a real installation: 401 means
// wrong credentials; 405 (the method), 404 or 200 means the server is
// reachable and took the user.
func (c *Connector) checkCredentials(ctx context.Context, s settings) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Root+orderPath, nil)
	if err != nil {
		return formErr(fieldURL, "url")
	}
	req.SetBasicAuth(s.User, s.Password)
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		c.log.Info("enterprise check", "host", req.URL.Host, "err", err)
		return dialFormError(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	c.log.Info("enterprise check", "host", req.URL.Host, "status", resp.StatusCode)
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return formErr(fieldPassword, "credentials")
	case resp.StatusCode == http.StatusForbidden:
		return formErr(fieldUser, "access")
	case resp.StatusCode == http.StatusOK, resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusMethodNotAllowed:
		return nil
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return formErr(fieldURL, "redirect")
	case resp.StatusCode >= 500:
		return fmt.Errorf("enterprise check: status %d: %w", resp.StatusCode, connectors.ErrUnavailable)
	}
	return formErr(fieldURL, "unexpected")
}

// dialFormError says what kept a call from reaching the server.
func dialFormError(err error) error {
	var cert *tls.CertificateVerificationError
	var rec tls.RecordHeaderError
	switch {
	case errors.Is(err, errPrivate):
		return formErr(fieldURL, "url_private")
	case errors.As(err, &cert):
		return formErr(fieldURL, "tls")
	case errors.As(err, &rec):
		return formErr(fieldURL, "tls")
	}
	return formErr(fieldURL, "unreachable")
}

func grantSettings(g connectors.Grant) (settings, error) {
	var s settings
	if err := json.Unmarshal(g.Data, &s); err != nil {
		return s, fmt.Errorf("enterprise grant: %w", err)
	}
	return s, nil
}

// maxMessage bounds an answer's message as shown.
const maxMessage = 300

// post posts an order's body once to the grant's server. A failure before
// the request was written is an error that says the order was not sent; a
// failure after it, or an answer that is not the seed's {status, message},
// is connectors.ErrAnswerLost: the order may exist in Enterprise.
func (c *Connector) post(ctx context.Context, s settings, body []byte) (connectors.SendAnswer, error) {
	root, err := c.rootURL(s.Root)
	if err != nil {
		return connectors.SendAnswer{}, fmt.Errorf("enterprise root URL no longer allowed: %w", err)
	}
	if ctx, err = c.allow(ctx, root); err != nil {
		return connectors.SendAnswer{}, fmt.Errorf("enterprise root URL no longer allowed: %w", err)
	}
	wrote := false
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { wrote = true }})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, root.String()+orderPath, bytes.NewReader(body))
	if err != nil {
		return connectors.SendAnswer{}, fmt.Errorf("enterprise order request: %w", err)
	}
	req.SetBasicAuth(s.User, s.Password)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		c.log.Warn("enterprise send", "host", root.Host, "written", wrote, "err", err)
		if wrote {
			return connectors.SendAnswer{}, fmt.Errorf("enterprise order to %s: %w: %v", root.Host, connectors.ErrAnswerLost, err)
		}
		return connectors.SendAnswer{}, fmt.Errorf("enterprise order to %s not sent: %w: %v", root.Host, connectors.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	c.log.Info("enterprise send", "host", root.Host, "status", resp.StatusCode)
	if err != nil {
		return connectors.SendAnswer{}, fmt.Errorf("enterprise order answer from %s: %w: %v", root.Host, connectors.ErrAnswerLost, err)
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		// Authentication comes before the order is read.
		return connectors.SendAnswer{}, fmt.Errorf("enterprise order to %s: %w", root.Host, connectors.ErrUnauthorized)
	case http.StatusForbidden:
		return connectors.SendAnswer{}, fmt.Errorf("enterprise order to %s: %w", root.Host, connectors.ErrForbidden)
	}
	var a struct {
		Status  *int   `json:"status"`
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &a) != nil || a.Status == nil {
		if resp.StatusCode >= 400 && resp.StatusCode < 500 {
			// Refused before any order was read: no such resource, method
			// or type; nothing was created.
			return connectors.SendAnswer{Code: "HTTP " + strconv.Itoa(resp.StatusCode)}, nil
		}
		return connectors.SendAnswer{}, fmt.Errorf("enterprise order answer from %s (status %d) unreadable: %w", root.Host, resp.StatusCode, connectors.ErrAnswerLost)
	}
	ans := connectors.SendAnswer{Code: strconv.Itoa(*a.Status), Message: cleanMessage(a.Message, s.Password)}
	if *a.Status == 0 {
		if resp.StatusCode/100 != 2 {
			return connectors.SendAnswer{}, fmt.Errorf("enterprise order answer from %s: status 0 with HTTP %d: %w", root.Host, resp.StatusCode, connectors.ErrAnswerLost)
		}
		ans.Accepted = true
	}
	return ans, nil
}

// cleanMessage makes an upstream's message fit to show: plain printable
// text on one line, at most maxMessage characters, never the password.
func cleanMessage(m, password string) string {
	if password != "" {
		m = strings.ReplaceAll(m, password, "[…]")
	}
	var b strings.Builder
	n := 0
	space := false
	for _, r := range m {
		if n >= maxMessage {
			b.WriteString("…")
			break
		}
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
			n++
		}
		space = false
		b.WriteRune(r)
		n++
	}
	return b.String()
}
