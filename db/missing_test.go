package db

import (
	"testing"
	"time"
)

// TestVoucherAccounts: the index keeps a voucher's accounts, each once,
// and a later upsert replaces them with whether its connector could tell.
func TestVoucherAccounts(t *testing.T) {
	t.Parallel()
	if got := JoinAccounts([]string{"4010", " 2640", "4010", "", "1,9"}); got != ",4010,2640," {
		t.Errorf("JoinAccounts = %q", got)
	}
	if got := fitAccounts(",4010,2640,1930,", 12); got != ",4010,2640," {
		t.Errorf("fitAccounts = %q", got)
	}
	d := openForTest(t, "sqlite://"+t.TempDir()+"/a.db", nil)
	ctx := t.Context()
	co := &Company{Name: "A", Country: "SE", Active: true}
	if err := d.CreateCompany(ctx, co); err != nil {
		t.Fatal(err)
	}
	v := Voucher{CompanyID: co.ID, Ref: "r1", Date: time.Now(), Kind: "manual", Accounts: ",5010,", DocsUnknown: true}
	if err := d.UpsertVouchers(ctx, []Voucher{v}); err != nil {
		t.Fatal(err)
	}
	v.Accounts, v.DocsUnknown = ",6110,", false
	if err := d.UpsertVouchers(ctx, []Voucher{v}); err != nil {
		t.Fatal(err)
	}
	vs, err := d.DocumentCandidates(ctx, []int64{co.ID})
	if err != nil || len(vs) != 1 || vs[0].Accounts != ",6110," || vs[0].DocsUnknown {
		t.Fatalf("DocumentCandidates = %+v, %v", vs, err)
	}
}
