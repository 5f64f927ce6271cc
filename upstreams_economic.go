package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"bilag/connectors/economic"
	economicsandbox "bilag/connectors/economic/sandbox"
	"bilag/db/seal"
	"bilag/server/config"
	"bilag/server/demo"
)

// economicDemoApp is the demo app registered in the e-conomic sandbox: its
// public token is no secret; its secret token is derived from the server's
// key, so that `bilag sync --all` can use the sandbox of a running demo
// server. It has the role Bilag's real app is registered with.
func economicDemoApp(a *app) economicsandbox.App {
	return economicsandbox.App{Name: "Bilag (demo)", PublicToken: "bilag-demo",
		SecretToken: base64.RawURLEncoding.EncodeToString(seal.DeriveKey(a.cfg.SecretKey, "bilag demo economic app")),
		Role:        economicsandbox.RoleBookkeeping}
}

// economicDemoExportApp is the demo's export app (issue 26): an app of its
// own, so that reading never asks for write; SuperUser, since no narrower
// role creates both invoices (Sales) and journal vouchers (Bookkeeping).
func economicDemoExportApp(a *app) economicsandbox.App {
	return economicsandbox.App{Name: "Bilag export (demo)", PublicToken: "bilag-demo-export",
		SecretToken: base64.RawURLEncoding.EncodeToString(seal.DeriveKey(a.cfg.SecretKey, "bilag demo economic export app")),
		Role:        economicsandbox.RoleSuperUser}
}

func openEconomic(a *app, r *config.Reader, client *http.Client) (opened, error) {
	const prefix = "BILAG_ECONOMIC_"
	cfg := economic.Config{
		AppPublicToken: r.String(prefix+"APP_PUBLIC_TOKEN", ""), AppSecretToken: r.Secret(prefix + "APP_SECRET_TOKEN"),
		GrantURL: r.URL(prefix + "GRANT_URL"), APIURL: r.URL(prefix + "API_URL"), DocumentsAPIURL: r.URL(prefix + "DOCUMENTS_API_URL"),
		ExportAppPublicToken: r.String(prefix+"EXPORT_APP_PUBLIC_TOKEN", ""), ExportAppSecretToken: r.Secret(prefix + "EXPORT_APP_SECRET_TOKEN"),
	}
	if cfg.AppPublicToken != "" && cfg.AppSecretToken == "" {
		r.Fail(prefix+"APP_SECRET_TOKEN", "is required when %sAPP_PUBLIC_TOKEN is set", prefix)
	}
	if (cfg.ExportAppPublicToken == "") != (cfg.ExportAppSecretToken == "") {
		r.Fail(prefix+"EXPORT_APP_SECRET_TOKEN", "and %sEXPORT_APP_PUBLIC_TOKEN are set together (the export's own app)", prefix)
	}
	var o opened
	switch {
	case r.Err() != nil:
		return o, nil // reported by openRegistry with every other mistake
	case cfg.AppPublicToken == "" && !a.cfg.Demo:
		return o, nil // not offered
	case cfg.AppPublicToken == "":
		base := a.sandboxBase("economic")
		app, export := economicDemoApp(a), economicDemoExportApp(a)
		cfg.AppPublicToken, cfg.AppSecretToken = app.PublicToken, app.SecretToken
		cfg.ExportAppPublicToken, cfg.ExportAppSecretToken = export.PublicToken, export.SecretToken
		cfg.GrantURL, cfg.APIURL, cfg.DocumentsAPIURL = base+"/secure/api1/requestaccess.aspx", base, base+economicsandbox.DocumentsPrefix
		latency, err := time.ParseDuration(r.String("BILAG_SANDBOX_LATENCY", "0s"))
		if err != nil || latency < 0 {
			latency = 0 // the eAccounting row reports it
		}
		o.sandbox = economicsandbox.New(economicsandbox.WithApp(app), economicsandbox.WithApp(export), economicsandbox.WithBaseURL(base),
			economicsandbox.WithLatency(latency), economicsandbox.WithLogger(a.log.With("component", "economic-sandbox")))
		o.banner = fmt.Sprintf("Visma e-conomic sandbox on %s (demo logins: %s)", base, economicDemoLogins())
		o.clients = economicDemoClients()
		// Seed 001's sample period, for Nordlys (the demo agreement with
		// the export's product groups).
		o.demoInvoices = map[string][]byte{economic.ExportName: economic.DemoPeriod()}
	}
	if a.db != nil {
		// The fair-use count per agreement and day lives in the database:
		// it survives restarts and holds across instances.
		cfg.Calls = a.db
	}
	if m := a.metrics; m != nil {
		cfg.Observe = func(endpoint string, status int, d time.Duration) {
			m.ObserveUpstream("economic", endpoint, status, d)
		}
	}
	c, err := cfg.Open(a.log, client)
	if err != nil {
		return o, err
	}
	o.connector = c
	o.formOrigins = c.FormOrigins()
	if x := c.Export(); x != nil {
		// The export (issue 26): its own app, a receiving connector of
		// its own beside the reading one, on the same agreement's fair-use
		// day.
		o.also = append(o.also, x)
	}
	return o, nil
}

// economicDemoClients are the demo firm's e-conomic clients: two Danish
// companies with valid CVRs (the agreement without a CVR is left out: a
// company in Bilag has a number).
func economicDemoClients() []demo.Company {
	var out []demo.Company
	for _, ag := range economicsandbox.Agreements() {
		if ag.OrgNumber != "" {
			out = append(out, demo.Company{Name: ag.Name, Country: ag.Country, OrgNumber: ag.OrgNumber})
		}
	}
	return out
}

func economicDemoLogins() string {
	var out []string
	for _, u := range economicsandbox.DemoUsers() {
		out = append(out, u.Email+" / "+u.Password)
	}
	return strings.Join(out, ", ")
}

// economicStandalone is `bilag sandbox --connector economic`: the sandbox
// with one app, whose tokens it prints.
func economicStandalone(base string, log *slog.Logger, stdout io.Writer) (http.Handler, error) {
	app := economicsandbox.App{Name: "Bilag (sandbox)", PublicToken: "bilag-sandbox", SecretToken: randomSecret(), Role: economicsandbox.RoleBookkeeping}
	h := economicsandbox.New(economicsandbox.WithApp(app), economicsandbox.WithBaseURL(base), economicsandbox.WithLogger(log))
	fmt.Fprintf(stdout, "Visma e-conomic sandbox on %s\n", base)
	fmt.Fprintf(stdout, "  grant page      %s/secure/api1/requestaccess.aspx\n  REST API        %s\n  Documents API   %s%s\n", base, base, base, economicsandbox.DocumentsPrefix)
	fmt.Fprintf(stdout, "  app public token  %s\n  app secret token  %s\n  app role          %s\n", app.PublicToken, app.SecretToken, app.Role)
	fmt.Fprintf(stdout, "  demo logins     %s\n  demo tokens     X-AppSecretToken: demo, X-AgreementGrantToken: demo (GET only)\n", economicDemoLogins())
	fmt.Fprintf(stdout, "  Bilag settings  BILAG_ECONOMIC_APP_PUBLIC_TOKEN=%s BILAG_ECONOMIC_GRANT_URL=%s/secure/api1/requestaccess.aspx BILAG_ECONOMIC_API_URL=%s BILAG_ECONOMIC_DOCUMENTS_API_URL=%s%s\n",
		app.PublicToken, base, base, base, economicsandbox.DocumentsPrefix)
	return h, nil
}
