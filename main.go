// Command bilag is the Bilag portal: it connects a firm's client companies
// to their Visma accounting systems and opens the documents behind their
// vouchers. Subcommands: serve (default), user add, healthcheck, sandbox,
// sync, reseal, backup, restore.
package main

import (
	"bilag/server/evidence"
	"bilag/server/evidence/saft"
	"bilag/server/evidence/sie"
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	// The binary carries the zone database: pages print times in
	// Europe/Stockholm and the companies' zones on machines without
	// /usr/share/zoneinfo.
	_ "time/tzdata"

	"bilag/connectors/eaccounting/sandbox"
	"bilag/db"
	"bilag/db/doccache"
	"bilag/db/seal"
	"bilag/server"
	"bilag/server/config"
	"bilag/server/connections"
	"bilag/server/demo"
	"bilag/server/mail"
	"bilag/server/metrics"
	"bilag/server/password"
)

var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `usage: bilag [command] [flags]

commands:
  serve          run the web server (default)
  user add       create a portal user
  healthcheck    exit 0 when the server answers /healthz
  sandbox        serve a connector's sandbox alone (--connector, default eaccounting)
  sync --all     sync every active connection once and exit
  reseal         re-encrypt stored tokens under the current key
  backup --to F  copy the running SQLite database into F, with a manifest
  restore --from F  replace the SQLite database with backup F (server stopped)
  version        print the version
`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, stdout, stderr)
	case "user":
		if len(args) == 0 || args[0] != "add" {
			fmt.Fprint(stderr, "usage: bilag user add --email E --name N --role admin|analyst|viewer|client [--company ORGNR]\n")
			return 2
		}
		err = userAdd(ctx, args[1:], stdin, stdout, stderr)
	case "healthcheck":
		err = healthcheck(ctx, args)
	case "sandbox":
		err = serveSandbox(ctx, args, stdout, stderr)
	case "sync":
		err = syncCmd(ctx, args, stdout, stderr)
	case "reseal":
		err = reseal(ctx, args, stdout, stderr)
	case "backup":
		err = backup(ctx, args, stdout, stderr)
	case "restore":
		err = restore(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "bilag: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "bilag %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// app is what every command that touches the database shares.
type app struct {
	cfg  *config.Config
	log  *slog.Logger
	db   *db.DB
	keys *seal.Keyring
	// metrics is nil unless BILAG_METRICS_ADDR is set.
	metrics *metrics.Metrics
}

func openApp(ctx context.Context, stderr io.Writer) (*app, error) {
	cfg, err := config.FromEnv(os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("configuration:\n%w", err)
	}
	log := newLogger(cfg.LogFormat, stderr)
	keys, err := keyringOf(cfg)
	if err != nil {
		return nil, err
	}
	d, err := db.Open(ctx, cfg.DatabaseURL, db.Options{Keys: keys, Logger: log})
	if err != nil {
		return nil, err
	}
	return &app{cfg: cfg, log: log, db: d, keys: keys}, nil
}

// connections builds the registry's connectors and the connection service
// on them.
func (a *app) connections(cache doccache.Store) (*connections.Service, *registry, error) {
	reg, err := openRegistry(a, os.LookupEnv)
	if err != nil {
		return nil, nil, err
	}
	svc, err := connections.New(connections.Options{DB: a.db, Connectors: reg.connectors, Countries: reg.countries,
		Companions: reg.companions, Cache: cache, Metrics: a.metrics, Logger: a.log})
	return svc, reg, err
}

// evidencePacks builds the evidence packer: its files under the data
// directory, kept BILAG_EVIDENCE_TTL.
func (a *app) evidencePacks(conns *connections.Service) (*evidence.Packer, error) {
	return evidence.New(evidence.Options{DB: a.db, Upstream: evidence.ServiceUpstream{Service: conns}, Dir: filepath.Join(a.cfg.DataDir, "evidence"),
		TTL: a.cfg.EvidenceTTL, Logger: a.log, Software: "Bilag " + version,
		// Denmark gets the CSV journal: the Danish SAF-T schema is not
		// among the files Bilag can check against (issue 29's note).
		Writers: evidence.Writers{SIE: sie.Write, SAFT: saft.Write}})
}

func randomSecret() string { return password.Generate() + password.Generate() }

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := openApp(ctx, stderr)
	if err != nil {
		return err
	}
	defer a.db.Close()
	limitMemory(os.LookupEnv, a.log)
	if a.cfg.MetricsAddr != "" {
		a.metrics = metrics.New()
	}
	cache, err := a.documentCache(ctx)
	if err != nil {
		return err
	}
	conns, reg, err := a.connections(cache)
	if err != nil {
		return err
	}
	defer conns.Close()
	var logins []server.DemoLogin
	if a.cfg.Demo {
		seeded, err := demo.Seed(ctx, a.db, a.cfg.DataDir, reg.clients)
		if err != nil {
			return err
		}
		for _, l := range seeded {
			logins = append(logins, server.DemoLogin{Role: l.Role, Email: l.Email, Password: l.Password})
		}
	}
	packs, err := a.evidencePacks(conns)
	if err != nil {
		return err
	}
	defer packs.Close()
	mailer, err := mail.New(a.cfg.SMTPURL, a.cfg.SMTPFrom, a.cfg.Demo)
	if err != nil {
		return err
	}
	logo, logoType := a.cfg.FirmLogo, a.cfg.FirmLogoType
	if logo == nil && a.cfg.Demo {
		// The demo firm shows a logo of its own (BILAG_FIRM_LOGO wins).
		logo, logoType = server.DemoLogo(), "image/png"
	}
	srv, err := server.New(server.Options{
		DB: a.db, Logger: a.log, BaseURL: a.cfg.BaseURL, SecretKey: a.cfg.SecretKey, Connections: conns,
		FirmName: a.cfg.FirmName, FirmLogo: logo, FirmLogoType: logoType, FirmContact: a.cfg.FirmContact,
		FirmPrivacyURL: a.cfg.FirmPrivacyURL, Timezone: a.cfg.Timezone, LinkTTL: a.cfg.LinkTTL, DemoLogins: logins, DemoInvoices: reg.demoInvoices, FormOrigins: reg.formOrigins,
		Metrics: a.metrics, Mailer: mailer, ConnectorWords: reg.words, Packs: packs,
		// The demo's admin logs in with the printed password alone.
		AdminSecondFactorOptional:  a.cfg.Demo,
		ClientSecondFactorRequired: a.cfg.ClientSecondFactorRequired,
	})
	if err != nil {
		return err
	}
	errc := make(chan error, 3)
	if a.metrics != nil {
		// A separate address, so /metrics is never exposed with the portal.
		a.log.Info("metrics listening", "addr", a.cfg.MetricsAddr)
		go func() { errc <- listenAndServe(ctx, a.cfg.MetricsAddr, metricsMux(a.metrics)) }()
	}
	if reg.sandbox != nil {
		go func() { errc <- listenAndServe(ctx, a.cfg.SandboxAddr, reg.sandbox) }()
		for _, b := range reg.banners {
			fmt.Fprintln(stdout, b)
		}
	}
	go conns.Run(ctx, connections.JobOptions{SyncInterval: a.cfg.SyncInterval})
	// Evidence packs: continue those a restart interrupted; delete expired ones.
	go packs.Run(ctx, time.Minute)
	go holdServerLease(ctx, a)
	// Deferred after the database's Close, so it runs before it.
	defer a.db.ReleaseServerLease(context.WithoutCancel(ctx))
	if a.cfg.Demo {
		fmt.Fprintf(stdout, "\nBilag demo on %s\n", a.cfg.BaseURL)
		for _, l := range logins {
			fmt.Fprintf(stdout, "  %-8s %-26s %s\n", l.Role, l.Email, l.Password)
		}
		fmt.Fprintln(stdout)
	}
	a.log.Info("listening", "addr", a.cfg.Addr, "base_url", a.cfg.BaseURL.String(), "version", version)
	go func() { errc <- srv.ListenAndServe(ctx, a.cfg.Addr) }()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		return nil
	}
}

// holdServerLease keeps the lease that tells bilag restore a server has
// the database open, renewing it well within its time (serve ends it when
// it stops).
func holdServerLease(ctx context.Context, a *app) {
	t := time.NewTicker(serverLeaseTTL / 3)
	defer t.Stop()
	for {
		if err := a.db.HoldServerLease(ctx, serverLeaseTTL); err != nil && ctx.Err() == nil {
			a.log.Warn("server lease", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// metricsMux serves the metrics at /metrics and nothing else.
func metricsMux(m *metrics.Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	return mux
}

func listenAndServe(ctx context.Context, addr string, h http.Handler) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	err := srv.ListenAndServe()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func userAdd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "email address (login)")
	name := fs.String("name", "", "full name")
	role := fs.String("role", "", "admin, analyst, viewer or client")
	company := fs.String("company", "", "the organisation number of a client user's company (--role client only)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := checkUserAddFlags(*email, *name, *role, *company); err != nil {
		return err
	}
	// The password comes from stdin when one is piped in; otherwise one is
	// generated and printed.
	pass := ""
	if f, ok := stdin.(*os.File); !ok || !isTerminal(f) {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password: %w", err)
		}
		pass = strings.TrimRight(line, "\r\n")
	}
	generated := pass == ""
	if generated {
		pass = password.Generate()
	} else if err := password.Check(pass, *name, *email); err != nil {
		return fmt.Errorf("refused: %w (at least %d characters, not a common password, not containing the name, e-mail or Bilag)", err, password.MinLength)
	}
	a, err := openApp(ctx, stderr)
	if err != nil {
		return err
	}
	defer a.db.Close()
	hash, err := password.Hash(pass)
	if err != nil {
		return err
	}
	u := &db.User{Email: *email, Name: *name, Role: *role, PasswordHash: hash, Active: true}
	co, err := createUser(ctx, a.db, u, *company)
	if err != nil {
		return err
	}
	_ = a.db.Audit(ctx, db.AuditEvent{Action: db.AuditUserCreate, Actor: "bilag user add", CompanyID: co, Target: u.Email, Detail: "role=" + u.Role})
	fmt.Fprintf(stdout, "created %s (%s, %s)\n", u.Email, u.Name, u.Role)
	if generated {
		fmt.Fprintf(stdout, "password: %s\n", pass)
	}
	return nil
}

// checkUserAddFlags: the flags user add needs, before anything is opened.
func checkUserAddFlags(email, name, role, company string) error {
	switch {
	case email == "" || name == "":
		return errors.New("--email and --name are required")
	case role != db.RoleAdmin && role != db.RoleAnalyst && role != db.RoleViewer && role != db.RoleClient:
		return fmt.Errorf("--role must be admin, analyst, viewer or client, got %q", role)
	case role == db.RoleClient && strings.TrimSpace(company) == "":
		return errors.New("--role client needs --company ORGNR: a client user belongs to exactly one company")
	case role != db.RoleClient && company != "":
		return errors.New("--company is for --role client only")
	}
	return nil
}

// createUser stores u; a client user with their membership of the
// company whose organisation number is org, whose id it returns.
func createUser(ctx context.Context, d *db.DB, u *db.User, org string) (*int64, error) {
	if !u.IsClient() {
		return nil, d.CreateUser(ctx, u)
	}
	co, err := d.CompanyByOrg(ctx, strings.TrimSpace(org))
	if errors.Is(err, db.ErrNotFound) {
		return nil, fmt.Errorf("no company with organisation number %q", org)
	}
	if err != nil {
		return nil, err
	}
	return &co.ID, d.CreateClientUser(ctx, u, co.ID)
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func healthcheck(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	addr := fs.String("addr", "", "address to check (default BILAG_ADDR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *addr == "" {
		*addr = os.Getenv("BILAG_ADDR")
		if *addr == "" {
			*addr = "127.0.0.1:8080"
		}
	}
	host, port, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", *addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz answered %s", resp.Status)
	}
	return nil
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func serveSandbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	connector := fs.String("connector", rootSandbox, "whose sandbox: "+strings.Join(sandboxNames(), "|"))
	addr := fs.String("addr", "127.0.0.1:9090", "listen address")
	base := fs.String("base-url", "", "public base URL (default http://ADDR)")
	id := fs.String("client-id", "bilag-sandbox", "OAuth client id to register")
	secret := fs.String("client-secret", "", "OAuth client secret (default: generated and printed)")
	var redirects listFlag
	fs.Var(&redirects, "redirect-uri", "registered redirect URI (repeatable)")
	tokenLife := fs.Duration("token-lifetime", time.Hour, "access token lifetime")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *base == "" {
		*base = "http://" + *addr
	}
	log := newLogger("text", stderr)
	if *connector != rootSandbox {
		h, err := standaloneSandbox(*connector, *base, log, stdout)
		if err != nil {
			return err
		}
		return listenAndServe(ctx, *addr, h)
	}
	if *secret == "" {
		*secret = randomSecret()
	}
	if len(redirects) == 0 {
		redirects = listFlag{"http://localhost:8080/oauth/eaccounting/callback"}
	}
	sb := sandbox.New(sandbox.WithBaseURL(*base), sandbox.WithTokenLifetime(*tokenLife), sandbox.WithLogger(log),
		sandbox.WithClient(sandbox.Client{ID: *id, Secret: *secret, RedirectURIs: redirects}))
	fmt.Fprintf(stdout, "Visma eAccounting sandbox on %s\n", *base)
	fmt.Fprintf(stdout, "  issuer          %s\n  authorize       %s/connect/authorize\n  token           %s/connect/token\n  API             %s/v2\n", *base, *base, *base, *base)
	fmt.Fprintf(stdout, "  client id       %s\n  client secret   %s\n", *id, *secret)
	for _, r := range redirects {
		fmt.Fprintf(stdout, "  redirect URI    %s\n", r)
	}
	fmt.Fprintf(stdout, "  try             %s/connect/authorize?client_id=%s&redirect_uri=%s&response_type=code&scope=%s&state=demo&prompt=select_account\n",
		*base, url.QueryEscape(*id), url.QueryEscape(redirects[0]), url.QueryEscape("ea:api offline_access ea:accounting_readonly ea:purchase_readonly ea:sales_readonly"))
	fmt.Fprintln(stdout, "  demo users:")
	for _, u := range sandbox.DemoUsers() {
		fmt.Fprintf(stdout, "    %-28s %-10s %s\n", u.Email, u.Password, u.Story)
	}
	return listenAndServe(ctx, *addr, sb)
}

func reseal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reseal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := openApp(ctx, stderr)
	if err != nil {
		return err
	}
	defer a.db.Close()
	n, err := a.db.Reseal(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-encrypted %d stored grant(s) under key %s\n", n, a.keys.CurrentID())
	if n, err = a.db.ResealSecondFactors(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-encrypted %d second-factor key(s) under key %s\n", n, a.keys.CurrentID())
	if n, err = a.db.ResealImportOrders(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-encrypted %d invoice order(s) under key %s\n", n, a.keys.CurrentID())
	return nil
}
