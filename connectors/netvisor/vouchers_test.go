package netvisor

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/netvisor/sandbox"
)

// sync reads every page as the server's sync does.
func readAll(t *testing.T, c *Connector, g connectors.Grant, q connectors.VoucherQuery) []connectors.Voucher {
	t.Helper()
	var all []connectors.Voucher
	for range 20 {
		page, err := c.Vouchers(context.Background(), g, q)
		if err != nil {
			t.Fatalf("Vouchers(%+v) = %v", q, err)
		}
		all = append(all, page.Vouchers...)
		if page.Next == "" || len(page.Vouchers) == 0 {
			return all
		}
		q.Cursor = page.Next
	}
	t.Fatal("Vouchers never ended")
	return nil
}

func TestVouchersFullSyncByYear(t *testing.T) {
	t.Parallel()
	now := func() time.Time { return time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC) }
	e := newEnv(t, sandbox.WithNow(now))
	e.cfg.Now = now
	c := e.open(t, e.cfg)
	g, err := c.Connect(context.Background(), e.values())
	if err != nil {
		t.Fatal(err)
	}
	before := e.sb.Calls("accountingledger.nv")
	all := readAll(t, c, g, connectors.VoucherQuery{})
	byRef := map[string]connectors.Voucher{}
	var refs []string
	for _, v := range all {
		byRef[v.Ref] = v
		refs = append(refs, v.Ref)
	}
	want := []string{"801", "901", "1001", "1003", "1002", "1004", "1011", "1005", "1006", "1012", "1007", "1009", "1013"}
	if !slices.Equal(refs, want) {
		t.Errorf("refs = %v, want %v (oldest year first, deleted 1010 left out)", refs, want)
	}
	// Seven years back from 2026 is 2020: 2020-2023 are empty and read
	// within the first page; 2024, 2025 and 2026 are a page each.
	if n := e.sb.Calls("accountingledger.nv") - before; n != 7 {
		t.Errorf("ledger calls = %d, want 7 (one a year)", n)
	}
	p := byRef["1002"]
	if p.Kind != connectors.KindSupplierInvoice || p.Text != "Koivulauta, Koivu & Mänty" || p.Amount != 186000 || !p.HasDocuments {
		t.Errorf("voucher 1002 = %+v", p)
	}
	if p.Date != time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC) || p.UpstreamType != "Purchase invoice" || p.Number != "2" {
		t.Errorf("voucher 1002 date/type/number = %v %q %q", p.Date, p.UpstreamType, p.Number)
	}
	if len(p.Rows) != 3 || p.Rows[2].Credit != 186000 || p.Rows[0].Account != "4000" {
		t.Errorf("voucher 1002 rows = %+v", p.Rows)
	}
	kinds := map[string]connectors.VoucherKind{"1003": connectors.KindCustomerInvoice, "1005": connectors.KindReceipt,
		"1006": connectors.KindManual, "1007": connectors.KindBank}
	for ref, k := range kinds {
		if byRef[ref].Kind != k {
			t.Errorf("voucher %s kind = %q, want %q", ref, byRef[ref].Kind, k)
		}
	}
	if byRef["1006"].HasDocuments {
		t.Error("a memo voucher without attachments has documents")
	}
	if got := byRef["1009"].UpstreamType; got != "Memo voucher (invalidated)" {
		t.Errorf("invalidated voucher's type = %q", got)
	}
}

func TestVouchersIncremental(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.grant(t)
	now := time.Now()
	e.sb.AddVoucher(sandbox.DemoOrgID, sandbox.Voucher{Key: 1100, Date: now, Number: 9, Text: "Uusi tosite", Class: "Memo voucher",
		Lines: []sandbox.Line{{Account: "4000", Sum: 1234}, {Account: "1910", Sum: -1234}}})
	got := readAll(t, e.conn, g, connectors.VoucherQuery{ModifiedSince: now.Add(-time.Hour)})
	if len(got) != 1 || got[0].Ref != "1100" || got[0].Amount != 1234 {
		t.Errorf("changed since an hour ago = %+v, want voucher 1100 alone", got)
	}
}

func TestVoucherByRef(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.grant(t)
	v, err := e.conn.Voucher(context.Background(), g, "1005")
	if err != nil || v.Text != "Työkalut, Motonet" {
		t.Fatalf("Voucher(1005) = %+v, %v", v, err)
	}
	for _, ref := range []string{"1010", "424242", "../x"} {
		if _, err := e.conn.Voucher(context.Background(), g, ref); !errors.Is(err, connectors.ErrNotFound) {
			t.Errorf("Voucher(%q) = %v, want ErrNotFound", ref, err)
		}
	}
}

// Keys withdrawn in Netvisor end the connection: AUTHENTICATION_FAILED on
// an ordinary call is the grant revoked, which the core turns into "needs
// re-approval".
func TestWithdrawnKeysEndTheGrant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.grant(t)
	e.sb.Withdraw(sandbox.DemoCustomer().ID)
	_, err := e.conn.Vouchers(context.Background(), g, connectors.VoucherQuery{})
	if !errors.Is(err, connectors.ErrGrantRevoked) || connectors.Classify(err).Class != connectors.ClassEnded {
		t.Errorf("Vouchers() after withdrawal = %v, want the grant revoked", err)
	}
}

// A host taken off BILAG_NETVISOR_HOSTS since the approval gets no more
// signed requests.
func TestHostOffTheListEndsTheGrant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.grant(t)
	cfg := e.cfg
	cfg.Hosts = []string{"isvapi.netvisor.fi"}
	before := e.sb.Calls("accountingledger.nv")
	_, err := e.open(t, cfg).Voucher(context.Background(), g, "1002")
	if !errors.Is(err, connectors.ErrGrantRevoked) || e.sb.Calls("accountingledger.nv") != before {
		t.Errorf("a call to a host off the list = %v (%d calls), want the grant ended and no call", err, e.sb.Calls("accountingledger.nv")-before)
	}
}
