package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"bilag/connectors"
	"bilag/connectors/enterprise"
	entsandbox "bilag/connectors/enterprise/sandbox"
	"bilag/db"
	"bilag/server/config"
	"bilag/server/demo"
)

// openEnterprise builds Visma Enterprise's order import. Enterprise needs
// no client registered with Visma (each customer's server and web-service
// user are typed into the key form), so it is offered when
// BILAG_ENTERPRISE_ENABLED=1, or in demo mode against its sandbox.
//
// Demo mode is the one place a root URL may be http on loopback: exactly
// the sandbox's origin (Config.DemoOrigin), set only here and only when
// BILAG_DEMO=1 and Enterprise is not enabled for real. Every other URL
// still has to be https and public, or a private host an admin allowed
// for that company.
func openEnterprise(a *app, r *config.Reader, _ *http.Client) (opened, error) {
	const prefix = "BILAG_ENTERPRISE_"
	enabled := r.String(prefix+"ENABLED", "") == "1"
	timeout, err := time.ParseDuration(r.String(prefix+"TIMEOUT", "30s"))
	if err != nil || timeout <= 0 {
		r.Fail(prefix+"TIMEOUT", "is not a duration such as 30s")
	}
	var o opened
	if r.Err() != nil || (!enabled && !a.cfg.Demo) {
		return o, nil
	}
	cfg := enterprise.Config{Timeout: timeout, Log: a.log.With("connector", "enterprise")}
	if a.db != nil {
		cfg.PrivateHosts, cfg.Sent = a.db, a.db
	}
	if !enabled {
		base := a.sandboxBase("enterprise")
		cfg.DemoOrigin = "http://" + a.cfg.SandboxAddr
		box := entsandbox.New(entsandbox.WithBaseURL(base), entsandbox.WithLogger(a.log.With("component", "enterprise-sandbox")))
		o.sandbox, o.banner = box, box.Banner()
		o.clients = []demo.Company{enterpriseDemoClient}
	}
	c, err := cfg.Open()
	if err != nil {
		return o, err
	}
	o.connector = c
	return o, nil
}

// enterpriseDemoClient is the demo firm's Norwegian client, whose invoices
// are made in Visma Enterprise: it has no connection until someone makes
// a link and types the sandbox's web-service user into the key form.
var enterpriseDemoClient = demo.Company{Name: "Fjordlys Kommunale Tjenester AS", Country: "NO", OrgNumber: "923456783"}

// enterpriseSandbox is `bilag sandbox --connector enterprise`.
func enterpriseSandbox(base string, log *slog.Logger, stdout io.Writer) (http.Handler, error) {
	box := entsandbox.New(entsandbox.WithBaseURL(base), entsandbox.WithLogger(log))
	fmt.Fprintln(stdout, box.Banner())
	p, c, v := entsandbox.Codes()
	fmt.Fprintf(stdout, "principals %s; commodities %s; VAT codes %s; an orderId starting with %s loses its answer\n", p, c, v, entsandbox.LoseAnswerPrefix)
	return box, nil
}

// The database is the connector's allow-list of private hosts and its
// record of the orders sent.
var (
	_ connectors.PrivateHosts = (*db.DB)(nil)
	_ enterprise.SentOrders   = (*db.DB)(nil)
)
