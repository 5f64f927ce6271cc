package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"bilag/connectors"
	"bilag/connectors/eaccounting"
	"bilag/connectors/eaccounting/sandbox"
	"bilag/connectors/economic"
	economicexport "bilag/connectors/economic-export"
	"bilag/connectors/enterprise"
	"bilag/db/seal"
	"bilag/server/config"
	"bilag/server/demo"
)

// upstream is one row of the registry: a Visma system Bilag connects to.
// The registry is the only place that knows which connectors exist; the
// server and the connection service see them through their capabilities.
type upstream struct {
	name string
	// countries are where the system is sold (ISO 3166-1): an analyst
	// picks among the connectors of the company's country.
	countries []string
	// open reads the connector's settings (BILAG_<NAME>_*) through r and
	// builds it; without settings, in demo mode, it builds it against its
	// sandbox, which it returns to be served. Not offered: a nil connector.
	open func(a *app, r *config.Reader, client *http.Client) (opened, error)
	// standalone builds the row's sandbox for `bilag sandbox --connector
	// <name>`, served at base; it prints how to use it to stdout. Nil: the
	// row has none, or (eaccounting) main serves it with flags of its own.
	standalone func(base string, log *slog.Logger, stdout io.Writer) (http.Handler, error)
	// words are the connector's own words for the pages (its package's
	// Words): the views show them whether or not the row is configured, so
	// that a connection made before stays named and explained.
	words func() fs.FS
	// companion is the row a consent link for this one may approve after
	// it, as its second step (issue 26: e-conomic's export after its
	// reading); offered only while both rows are opened (the connection
	// service drops a pair with one missing). A row, not a connector
	// method: which connectors exist is the registry's to know.
	companion string
	// alsoWords are the words of the further connectors the row may make
	// (opened.also), by their names, shown as words is.
	alsoWords map[string]func() fs.FS
}

// opened is a connector a row built, with what the rest of main needs of it.
type opened struct {
	connector connectors.Connector
	// formOrigins are where "give permission" sends a browser (CSP).
	formOrigins []string
	// sandbox, in demo mode, stands in for the upstream at
	// a.sandboxBase(name); banner says so at start; clients are the demo
	// firm's client companies, which exist there.
	sandbox http.Handler
	banner  string
	clients []demo.Company
	// also are further connectors the row's settings make, each under its
	// own name and with the row's countries: e-conomic's export, made from
	// the same settings when an export app is configured.
	also []connectors.Connector
	// demoInvoices, in demo mode, are sample uploads for the row's
	// receiving connectors, by connector name (server.Options.DemoInvoices).
	demoInvoices map[string][]byte
}

func upstreams() []upstream {
	return []upstream{
		{name: "eaccounting", countries: []string{"SE", "NO", "NL"}, open: openEAccounting, words: eaccounting.Words},
		netvisorRow(),
		{name: "economic", countries: []string{"DK", "NO", "SE"}, open: openEconomic, standalone: economicStandalone, words: economic.Words,
			companion: economic.ExportName,
			alsoWords: map[string]func() fs.FS{economic.ExportName: economicexport.Words}},
		{name: "enterprise", countries: []string{"NO"}, open: openEnterprise, standalone: enterpriseSandbox, words: enterprise.Words},
	}
}

// registry is the opened connectors of every row.
type registry struct {
	connectors map[string]connectors.Connector
	countries  map[string][]string
	// companions are the rows' companions, by connector name
	// (connections.Options).
	companions map[string]string
	// words are every row's own words, by connector name (views.Options).
	words       map[string]fs.FS
	formOrigins []string
	// sandbox serves every row's sandbox, each under its own path (see
	// sandboxBase), on BILAG_SANDBOX_ADDR; nil outside demo mode.
	sandbox   http.Handler
	sandboxes *http.ServeMux
	banners   []string
	clients   []demo.Company
	// demoInvoices are every row's sample uploads (opened.demoInvoices).
	demoInvoices map[string][]byte
}

// mountSandbox serves o's sandbox at the path of the connector name.
func (reg *registry) mountSandbox(name string, o opened) {
	if reg.sandboxes == nil {
		reg.sandboxes = http.NewServeMux()
		reg.sandbox = reg.sandboxes
	}
	if name == rootSandbox {
		reg.sandboxes.Handle("/", o.sandbox)
	} else {
		reg.sandboxes.Handle("/"+name+"/", http.StripPrefix("/"+name, o.sandbox))
	}
	reg.banners = append(reg.banners, o.banner)
	reg.clients = append(reg.clients, o.clients...)
}

// rootSandbox is the connector whose sandbox is served at the root of
// BILAG_SANDBOX_ADDR, as it was before there were several; every other one
// is served under /<name>.
const rootSandbox = "eaccounting"

// sandboxBase is the public base URL of the demo sandbox of the connector
// name.
func (a *app) sandboxBase(name string) string {
	base := "http://" + a.cfg.SandboxAddr
	if name == rootSandbox {
		return base
	}
	return base + "/" + name
}

// openRegistry opens every row's connector; every setting that is wrong is
// reported at once.
func openRegistry(a *app, getenv config.Getenv) (*registry, error) {
	r := config.NewReader(getenv)
	reg := &registry{connectors: map[string]connectors.Connector{}, countries: map[string][]string{}, companions: map[string]string{},
		words: map[string]fs.FS{}}
	// One client serves every company and every concurrent document open;
	// the default keeps two idle connections per host, which makes a busy
	// portal open new TLS connections to Visma all the time.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	client := &http.Client{Timeout: 60 * time.Second, Transport: transport}
	var failed []error
	for _, u := range upstreams() {
		if u.words != nil {
			reg.words[u.name] = u.words()
		}
		for name, words := range u.alsoWords {
			reg.words[name] = words()
		}
		o, err := u.open(a, r, client)
		if err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", u.name, err))
			continue
		}
		if o.connector == nil {
			continue
		}
		reg.connectors[u.name] = o.connector
		reg.countries[u.name] = u.countries
		for _, c := range o.also {
			reg.connectors[c.Name()] = c
			reg.countries[c.Name()] = u.countries
		}
		if u.companion != "" {
			reg.companions[u.name] = u.companion
		}
		for _, origin := range o.formOrigins {
			// Demo sandboxes share one origin.
			if !slices.Contains(reg.formOrigins, origin) {
				reg.formOrigins = append(reg.formOrigins, origin)
			}
		}
		if o.sandbox != nil {
			reg.mountSandbox(u.name, o)
		}
		for name, sample := range o.demoInvoices {
			if reg.demoInvoices == nil {
				reg.demoInvoices = map[string][]byte{}
			}
			reg.demoInvoices[name] = sample
		}
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("configuration:\n%w", err)
	}
	if len(failed) > 0 {
		return nil, fmt.Errorf("connectors: %v", failed)
	}
	return reg, nil
}

// demoClients are the sandbox companies the demo firm has as clients: two
// bookkeeping companies and one with only Invoicing.
var demoClients = []string{"556812-3474", "559104-3210", "556731-9057"}

func openEAccounting(a *app, r *config.Reader, client *http.Client) (opened, error) {
	const prefix = "BILAG_EACCOUNTING_"
	cfg := eaccounting.Config{
		ClientID: r.String(prefix+"CLIENT_ID", ""), ClientSecret: r.Secret(prefix + "CLIENT_SECRET"),
		AuthURL: r.URL(prefix + "AUTH_URL"), TokenURL: r.URL(prefix + "TOKEN_URL"), RevokeURL: r.URL(prefix + "REVOKE_URL"),
		Issuer: r.URL(prefix + "ISSUER"), APIURL: r.URL(prefix + "API_URL"), Scopes: strings.Fields(r.String(prefix+"SCOPES", "")),
	}
	if cfg.ClientID != "" && cfg.ClientSecret == "" {
		r.Fail(prefix+"CLIENT_SECRET", "is required when %sCLIENT_ID is set", prefix)
	}
	var o opened
	switch {
	case r.Err() != nil:
		return o, nil // reported by openRegistry with every other mistake
	case cfg.ClientID == "" && !a.cfg.Demo:
		return o, nil // not offered
	case cfg.ClientID == "":
		base := a.sandboxBase("eaccounting")
		// Derived, not random, so that `bilag sync --all` can use the sandbox
		// of a running demo server.
		cfg.ClientID, cfg.ClientSecret = "bilag-demo", base64.RawURLEncoding.EncodeToString(seal.DeriveKey(a.cfg.SecretKey, "bilag demo sandbox client"))
		cfg.AuthURL, cfg.TokenURL, cfg.RevokeURL = base+"/connect/authorize", base+"/connect/token", base+"/connect/revocation"
		cfg.Issuer, cfg.APIURL = base, base+"/v2"
		// BILAG_SANDBOX_LATENCY slows every sandbox answer, so that a sync
		// can be watched while it runs (the browser tests do).
		latency, err := time.ParseDuration(r.String("BILAG_SANDBOX_LATENCY", "0s"))
		if err != nil || latency < 0 {
			r.Fail("BILAG_SANDBOX_LATENCY", "is not a duration such as 300ms")
		}
		o.sandbox = sandbox.New(
			sandbox.WithBaseURL(base),
			sandbox.WithLatency(latency),
			sandbox.WithClient(sandbox.Client{ID: cfg.ClientID, Secret: cfg.ClientSecret,
				RedirectURIs: []string{a.cfg.BaseURL.String() + "/oauth/eaccounting/callback"}}),
			sandbox.WithLogger(a.log.With("component", "sandbox")),
		)
		o.banner = fmt.Sprintf("Visma eAccounting sandbox on %s (demo accountants: %s)", base, sandboxUsers())
		o.clients = eaccountingDemoClients()
	}
	if m := a.metrics; m != nil {
		cfg.Observe = func(endpoint string, status int, d time.Duration) {
			m.ObserveUpstream("eaccounting", endpoint, status, d)
		}
		cfg.OnRateLimitWait = func(endpoint string, d time.Duration) { m.RateLimitWait("eaccounting", endpoint, d) }
	}
	cfg.Budget = a.newBudget()
	c, err := cfg.Open(a.log, client)
	if err != nil {
		return o, err
	}
	o.connector = c
	o.formOrigins = c.FormOrigins()
	return o, nil
}

func eaccountingDemoClients() []demo.Company {
	byOrg := map[string]sandbox.DemoCompany{}
	for _, c := range sandbox.DemoCompanies() {
		byOrg[c.OrgNumber] = c
	}
	var out []demo.Company
	for _, org := range demoClients {
		if c, ok := byOrg[org]; ok {
			out = append(out, demo.Company{Name: c.Name, Country: c.Country, OrgNumber: c.OrgNumber})
		}
	}
	return out
}

func sandboxUsers() string {
	var out []string
	for _, u := range sandbox.DemoUsers() {
		out = append(out, u.Email+" / "+u.Password)
	}
	return strings.Join(out[:min(2, len(out))], ", ") + ", … (listed on its login page)"
}

// sandboxNames are the connectors `bilag sandbox --connector` serves.
func sandboxNames() []string {
	names := []string{rootSandbox}
	for _, u := range upstreams() {
		if u.standalone != nil {
			names = append(names, u.name)
		}
	}
	return names
}

// standaloneSandbox builds the sandbox of the row name, served at base.
func standaloneSandbox(name, base string, log *slog.Logger, stdout io.Writer) (http.Handler, error) {
	for _, u := range upstreams() {
		if u.name == name && u.standalone != nil {
			return u.standalone(base, log, stdout)
		}
	}
	return nil, fmt.Errorf("no sandbox for connector %q (have %s)", name, strings.Join(sandboxNames(), ", "))
}
