package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"bilag/connectors/netvisor"
	nvsandbox "bilag/connectors/netvisor/sandbox"
	"bilag/db/doccache"
	"bilag/db/seal"
	"bilag/server/config"
	"bilag/server/demo"
)

// netvisorRow is Visma Netvisor's registry row: Finland, keys pasted into
// the key form.
func netvisorRow() upstream {
	return upstream{name: "netvisor", countries: []string{"FI"}, open: openNetvisor, standalone: standaloneNetvisor, words: netvisor.Words}
}

// netvisorDemoPartnerID is the demo's partner id; its key is derived from
// the secret key, so that `bilag sync --all` signs as the running demo does.
const netvisorDemoPartnerID = "BILAG_DEMO_PARTNER"

func openNetvisor(a *app, r *config.Reader, client *http.Client) (opened, error) {
	const prefix = "BILAG_NETVISOR_"
	cfg := netvisor.Config{
		PartnerID: r.String(prefix+"PARTNER_ID", ""), PartnerKey: r.Secret(prefix + "PARTNER_KEY"),
		Sender: r.String(prefix+"SENDER", "Bilag"),
	}
	for h := range strings.SplitSeq(r.String(prefix+"HOSTS", strings.Join(netvisor.DefaultHosts(), ",")), ",") {
		if h = strings.TrimSpace(h); h != "" {
			cfg.Hosts = append(cfg.Hosts, h)
		}
	}
	if cfg.PartnerID != "" && cfg.PartnerKey == "" {
		r.Fail(prefix+"PARTNER_KEY", "is required when %sPARTNER_ID is set", prefix)
	}
	var o opened
	switch {
	case r.Err() != nil:
		return o, nil // reported by openRegistry with every other mistake
	case cfg.PartnerID == "" && !a.cfg.Demo:
		return o, nil // not offered
	case cfg.PartnerID == "":
		base := a.sandboxBase("netvisor")
		cfg.PartnerID = netvisorDemoPartnerID
		cfg.PartnerKey = hex.EncodeToString(seal.DeriveKey(a.cfg.SecretKey, "bilag demo netvisor partner"))[:32]
		cfg.Hosts = []string{base}
		o.sandbox = nvsandbox.New(nvsandbox.WithBaseURL(base), nvsandbox.WithPartner(cfg.PartnerID, cfg.PartnerKey),
			nvsandbox.WithLogger(a.log.With("component", "netvisor-sandbox")))
		dc := nvsandbox.DemoCustomer()
		o.banner = fmt.Sprintf("Visma Netvisor sandbox on %s (demo API identifiers to paste: CustomerId %s, CustomerKey %s; they reach %s)",
			base, dc.ID, dc.Key, nvsandbox.DemoOrgID)
		for _, c := range nvsandbox.DemoOrgs()[:1] {
			o.clients = append(o.clients, demo.Company{Name: c.Name, Country: c.Country, OrgNumber: c.ID})
		}
		// A month of invoices for Saaristo Puutyö Oy to send, with the
		// customers and products its sandbox organisation has.
		o.demoInvoices = map[string][]byte{"netvisor": netvisor.DemoPeriod()}
	}
	if a.db != nil {
		cfg.Leases = a.db
	}
	if a.cfg.DataDir != "" {
		// Files opened are read to their end here before they are served
		// (a slow browser then holds no organisation's turn): in the data
		// dir, since the system's temporary directory is often a tmpfs,
		// which would hold a 200 MB file in memory.
		cfg.StashDir = filepath.Join(a.cfg.DataDir, "netvisor-tmp")
		if err := os.MkdirAll(cfg.StashDir, 0o700); err != nil {
			return o, fmt.Errorf("netvisor: stash directory: %w", err)
		}
	}
	if a.keys != nil && a.cfg.DataDir != "" {
		// Attachments an open passes on its way are kept encrypted, like
		// every cached document, in a cache of their own, opened at the
		// first document: `bilag sync --all` opens none, and opening the
		// cache would clear a running server's files in progress.
		dir, size, keys, log := filepath.Join(a.cfg.DataDir, "netvisor-stash"), max(a.cfg.CacheMaxBytes/4, 64<<20), a.keys, a.log
		cfg.Stash = &stash{open: func() (*doccache.Cache, error) {
			c, err := doccache.Open(dir, size, keys)
			if err != nil {
				log.Warn("netvisor attachment stash", "err", err)
			}
			return c, err
		}}
	}
	if m := a.metrics; m != nil {
		cfg.Observe = func(endpoint string, status int, d time.Duration) { m.ObserveUpstream("netvisor", endpoint, status, d) }
	}
	c, err := cfg.Open(a.log, client)
	if err != nil {
		return o, err
	}
	o.connector = c
	return o, nil
}

// standaloneNetvisor is `bilag sandbox --connector netvisor`.
func standaloneNetvisor(base string, log *slog.Logger, stdout io.Writer) (http.Handler, error) {
	h := nvsandbox.New(nvsandbox.WithBaseURL(base), nvsandbox.WithLogger(log))
	dc := nvsandbox.DemoCustomer()
	fmt.Fprintf(stdout, "Visma Netvisor sandbox on %s\n", base)
	fmt.Fprintf(stdout, "  partner: PartnerId %s, PartnerKey %s (BILAG_NETVISOR_PARTNER_ID, _PARTNER_KEY; BILAG_NETVISOR_HOSTS=%s)\n",
		nvsandbox.DefaultPartnerID, nvsandbox.DefaultPartnerKey, base)
	fmt.Fprintf(stdout, "  API identifiers to paste: CustomerId %s, CustomerKey %s\n", dc.ID, dc.Key)
	for _, o := range nvsandbox.DemoOrgs() {
		fmt.Fprintf(stdout, "  company: %s, business id (Y-tunnus) %s\n", o.Name, o.ID)
	}
	return h, nil
}

// stash keeps Netvisor's passed attachments in a document cache, opened
// on first use; without it (it failed to open) nothing is kept.
type stash struct {
	open func() (*doccache.Cache, error)
	once sync.Once
	c    *doccache.Cache
}

func (s *stash) cache() *doccache.Cache {
	s.once.Do(func() { s.c, _ = s.open() })
	return s.c
}

func (s *stash) Get(key string) (io.ReadCloser, bool) {
	c := s.cache()
	if c == nil {
		return nil, false
	}
	_, _, body, ok, err := c.Get(key)
	if err != nil || !ok {
		return nil, false
	}
	return body, true
}

func (s *stash) Put(key, contentType, fileName string) (netvisor.StashWriter, error) {
	c := s.cache()
	if c == nil {
		return nil, errors.New("netvisor attachment stash not open")
	}
	e, err := c.Writer(key, doccache.Meta{ContentType: contentType, FileName: fileName, Size: -1})
	if err != nil {
		return nil, err
	}
	return stashEntry{e}, nil
}

type stashEntry struct{ e *doccache.Entry }

func (s stashEntry) Write(p []byte) (int, error) { return s.e.Write(p) }
func (s stashEntry) Commit() error               { _, err := s.e.Commit(); return err }
func (s stashEntry) Abort()                      { s.e.Abort() }
