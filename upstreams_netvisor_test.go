package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"bilag/connectors"
	"bilag/connectors/netvisor"
	nvsandbox "bilag/connectors/netvisor/sandbox"
	"bilag/db/doccache"
	"bilag/db/seal"
)

func TestNetvisorRow(t *testing.T) {
	reg, err := openRegistry(testApp(t, false), getenv(map[string]string{"BILAG_NETVISOR_PARTNER_ID": "P"}))
	if err == nil || !strings.Contains(err.Error(), "BILAG_NETVISOR_PARTNER_KEY is required") {
		t.Errorf("a partner id without its key = %v", err)
	}
	reg, err = openRegistry(testApp(t, false), getenv(map[string]string{"BILAG_NETVISOR_PARTNER_ID": "P", "BILAG_NETVISOR_PARTNER_KEY": "K",
		"BILAG_NETVISOR_HOSTS": "isvapi.netvisor.fi"}))
	if err != nil {
		t.Fatal(err)
	}
	if reg.demoInvoices["netvisor"] != nil {
		t.Error("a configured Netvisor offers the demo's sample period")
	}
	c, ok := reg.connectors["netvisor"].(*netvisor.Connector)
	if !ok || strings.Join(reg.countries["netvisor"], " ") != "FI" {
		t.Fatalf("netvisor not offered in FI: %+v", reg)
	}
	if _, ok := any(c).(connectors.CredentialConnector); !ok || strings.Join(c.Hosts(), ",") != "isvapi.netvisor.fi" {
		t.Errorf("hosts = %q", c.Hosts())
	}

	reg, err = openRegistry(testApp(t, true), getenv(nil))
	if err != nil || reg.connectors["netvisor"] == nil {
		t.Fatalf("demo mode: %v", err)
	}
	dc := nvsandbox.DemoCustomer()
	banner := strings.Join(reg.banners, "\n")
	if !strings.Contains(banner, "http://127.0.0.1:8090/netvisor") || !strings.Contains(banner, dc.ID) || !strings.Contains(banner, dc.Key) {
		t.Errorf("banners %q do not give the demo API identifiers", banner)
	}
	var fi bool
	for _, co := range reg.clients {
		fi = fi || (co.Country == "FI" && co.OrgNumber == nvsandbox.DemoOrgID)
	}
	if !fi {
		t.Errorf("demo clients %v lack the Finnish company", reg.clients)
	}
	// Demo mode offers a sample month to send to the Finnish company.
	if got := reg.demoInvoices["netvisor"]; !bytes.Equal(got, netvisor.DemoPeriod()) {
		t.Errorf("demo mode's sample period for Netvisor: %d bytes", len(got))
	}
	rec := httptest.NewRecorder()
	reg.sandbox.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/netvisor/accountingledger.nv", nil))
	if !strings.Contains(rec.Body.String(), "AUTHENTICATION_FAILED") {
		t.Errorf("an unsigned request to the demo sandbox = %q", rec.Body.String())
	}
}

func TestNetvisorStandalone(t *testing.T) {
	var out strings.Builder
	h, err := standaloneSandbox("netvisor", "http://127.0.0.1:9091", nil, &out)
	if err != nil || h == nil {
		t.Fatal(err)
	}
	for _, want := range []string{"http://127.0.0.1:9091", nvsandbox.DefaultPartnerID, nvsandbox.DemoCustomer().Key, nvsandbox.DemoOrgID} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("standalone output lacks %q:\n%s", want, out.String())
		}
	}
}

// The stash of passed attachments is a sealed cache of its own, opened at
// the first document, so `bilag sync --all` beside a running server never
// touches its files.
func TestNetvisorStash(t *testing.T) {
	dir := t.TempDir()
	a := testApp(t, true)
	a.cfg.DataDir, a.cfg.CacheMaxBytes = dir, 1<<30
	keys, err := seal.NewKeyring(a.cfg.SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	a.keys = keys
	reg, err := openRegistry(a, getenv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "netvisor-stash")); !os.IsNotExist(err) {
		t.Fatalf("the stash was opened before any document: %v", err)
	}
	// Opened files are stashed in the data dir, not a tmpfs /tmp.
	if fi, err := os.Stat(filepath.Join(dir, "netvisor-tmp")); err != nil || !fi.IsDir() {
		t.Errorf("no stash directory for opened files in the data dir: %v", err)
	}
	st := &stash{open: func() (*doccache.Cache, error) {
		return doccache.Open(filepath.Join(dir, "netvisor-stash"), 1<<30, keys)
	}}
	w, err := st.Put("k", "image/png", "kuitti.png")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("receipt bytes"))
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	body, ok := st.Get("k")
	if !ok {
		t.Fatal("a committed file is not in the stash")
	}
	got, _ := io.ReadAll(body)
	body.Close()
	if string(got) != "receipt bytes" {
		t.Errorf("stash = %q", got)
	}
	_ = reg
}
