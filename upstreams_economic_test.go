package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"bilag/connectors"
	"bilag/connectors/economic"
	"bilag/connectors/orgnr"
)

// e-conomic is offered with its settings, or in demo mode against its
// sandbox under /economic, with Danish clients whose CVRs are valid.
func TestRegistryOffersEconomic(t *testing.T) {
	reg, err := openRegistry(testApp(t, false), getenv(map[string]string{"BILAG_ECONOMIC_APP_PUBLIC_TOKEN": "pub"}))
	if err == nil || !strings.Contains(err.Error(), "BILAG_ECONOMIC_APP_SECRET_TOKEN is required") {
		t.Fatalf("a public token without its secret: %v", err)
	}
	reg, err = openRegistry(testApp(t, false), getenv(map[string]string{"BILAG_ECONOMIC_APP_PUBLIC_TOKEN": "pub", "BILAG_ECONOMIC_APP_SECRET_TOKEN": "sec"}))
	if err != nil || reg.connectors["economic"] == nil || reg.sandbox != nil {
		t.Fatalf("with tokens: %+v, %v", reg, err)
	}
	if got := strings.Join(reg.countries["economic"], " "); got != "DK NO SE" {
		t.Errorf("countries %q", got)
	}
	if got := strings.Join(reg.formOrigins, " "); got != "https://secure.e-conomic.com" {
		t.Errorf("form origins %q, want e-conomic's grant page", got)
	}

	a := testApp(t, true)
	reg, err = openRegistry(a, getenv(nil))
	if err != nil || reg.connectors["economic"] == nil {
		t.Fatalf("demo mode: %v", err)
	}
	var dk int
	for _, c := range reg.clients {
		if c.Country == "DK" {
			dk++
			if _, err := orgnr.Validate("DK", c.OrgNumber); err != nil {
				t.Errorf("demo client %s has no valid CVR: %v", c.Name, err)
			}
		}
	}
	if dk != 2 {
		t.Errorf("Danish demo clients: %d", dk)
	}
	if !strings.Contains(strings.Join(reg.banners, "\n"), "revisor@demo.dk / revisor-demo") {
		t.Errorf("banners %q name no demo login", reg.banners)
	}
	// The demo connector reaches its sandbox, served under /economic.
	srv := httptest.NewServer(reg.sandbox)
	defer srv.Close()
	c := reg.connectors["economic"].(*economic.Connector)
	login, err := c.LoginURLIn(a.cfg.BaseURL.String()+"/oauth/economic/callback", "st", "", "da")
	if err != nil || !strings.HasPrefix(login, a.sandboxBase("economic")+"/secure/api1/requestaccess.aspx?") {
		t.Fatalf("demo login URL %q, %v", login, err)
	}
	u, _ := url.Parse(login)
	resp, err := http.Get(srv.URL + "/economic" + strings.TrimPrefix(u.Path, "/economic") + "?" + u.RawQuery)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the grant page under /economic: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestSandboxCommandServesEconomic(t *testing.T) {
	var out strings.Builder
	h, err := standaloneSandbox("economic", "http://127.0.0.1:9191", nil, &out)
	if err != nil || h == nil {
		t.Fatalf("standalone: %v", err)
	}
	for _, want := range []string{"requestaccess.aspx", "documentsapi/v4.0.1", "app secret token", "revisor@demo.dk"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, out.String())
		}
	}
}

// The export is an e-conomic app of its own (issue 26): configured by its
// two tokens, refused with one of them alone; in demo mode the sandbox has
// it, so that the export can be walked without an agreement.
func TestRegistryOffersEconomicExport(t *testing.T) {
	base := map[string]string{"BILAG_ECONOMIC_APP_PUBLIC_TOKEN": "pub", "BILAG_ECONOMIC_APP_SECRET_TOKEN": "sec"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	_, err := openRegistry(testApp(t, false), getenv(with(map[string]string{"BILAG_ECONOMIC_EXPORT_APP_PUBLIC_TOKEN": "xpub"})))
	if err == nil || !strings.Contains(err.Error(), "BILAG_ECONOMIC_EXPORT_APP_SECRET_TOKEN") {
		t.Fatalf("an export public token without its secret: %v", err)
	}
	reg, err := openRegistry(testApp(t, false), getenv(base))
	if err != nil {
		t.Fatal(err)
	}
	if x := reg.connectors["economic"].(*economic.Connector).Exporter(); x != nil || reg.connectors[economic.ExportName] != nil {
		t.Errorf("without the export app's tokens the connector exports")
	}
	if reg.words[economic.ExportName] == nil {
		t.Error("the export's words are not handed to the views when it is not configured")
	}
	reg, err = openRegistry(testApp(t, false), getenv(with(map[string]string{"BILAG_ECONOMIC_EXPORT_APP_PUBLIC_TOKEN": "xpub", "BILAG_ECONOMIC_EXPORT_APP_SECRET_TOKEN": "xsec"})))
	if err != nil || reg.connectors["economic"].(*economic.Connector).Exporter() == nil {
		t.Fatalf("with the export app's tokens: exporter %v, %v", reg.connectors["economic"], err)
	}
	checkExportRow(t, reg)
	if reg.demoInvoices != nil {
		t.Error("a configured export offers the demo's sample period")
	}
	reg, err = openRegistry(testApp(t, true), getenv(nil))
	if err != nil || reg.connectors["economic"].(*economic.Connector).Exporter() == nil {
		t.Fatalf("demo mode has no export app: %v", err)
	}
	checkExportRow(t, reg)
	// Demo mode offers seed 001's sample period for the export.
	if got := reg.demoInvoices[economic.ExportName]; !bytes.Equal(got, economic.DemoPeriod()) {
		t.Errorf("demo mode's sample period for the export: %d bytes", len(got))
	}
}

// checkExportRow: the export is a receiving connector of its own, beside
// the reading one, in e-conomic's countries.
func checkExportRow(t *testing.T, reg *registry) {
	t.Helper()
	x := reg.connectors[economic.ExportName]
	_, redirect := x.(connectors.RedirectConnector)
	_, checker := x.(connectors.Checker)
	_, sender := x.(connectors.InvoiceSender)
	_, lookup := x.(connectors.InvoiceLookup)
	_, pairer := x.(connectors.Pairer)
	if x == nil || !redirect || !checker || !sender || !lookup || !pairer {
		t.Fatalf("the export connector %T: redirect %v, checker %v, sender %v, lookup %v, pairer %v", x, redirect, checker, sender, lookup, pairer)
	}
	if _, reads := x.(connectors.VoucherReader); reads {
		t.Error("the export reads vouchers")
	}
	if got := strings.Join(reg.countries[economic.ExportName], " "); got != "DK NO SE" {
		t.Errorf("export countries %q", got)
	}
}
