package missing

import (
	"errors"
	"testing"
	"time"

	"bilag/db"
)

func day(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		kinds    []string
		accounts string
		want     string // RangesText, or the error key
	}{
		{nil, "4000-6999, 7010", "4000-6999, 7010"},
		{[]string{"receipt"}, "4000–4999\n6100-7799", "4000-4999, 6100-7799"},
		{nil, "", ""},
		{nil, "6999-4000", "missing.err.range"},
		{nil, "abc", "missing.err.range"},
		{nil, "-5", "missing.err.range"},
		{[]string{"bank"}, "", "missing.err.kind"},
		{[]string{"nonsense"}, "", "missing.err.kind"},
	} {
		r, err := Parse(tc.kinds, tc.accounts)
		got := r.RangesText()
		var bad *ErrRules
		if errors.As(err, &bad) {
			got = bad.Key
		} else if err != nil {
			t.Fatalf("Parse(%q) = %v", tc.accounts, err)
		}
		if got != tc.want {
			t.Errorf("Parse(%v, %q) = %q, want %q", tc.kinds, tc.accounts, got, tc.want)
		}
	}
}

func TestDefaults(t *testing.T) {
	for country, want := range map[string]string{"SE": "4000-6999", "NO": "4000-4999, 6100-7799", "DK": "1610-1769, 1820-2199", "FI": "", "": ""} {
		r, ok := Defaults(country)
		if ok != (want != "") || r.RangesText() != want {
			t.Errorf("Defaults(%q) = %q, %v; want %q", country, r.RangesText(), ok, want)
		}
	}
}

// TestFind: the list holds the vouchers the rules want a document for and
// that have none, never one whose connector could not tell, and counts
// them by month.
func TestFind(t *testing.T) {
	r, _ := Defaults("SE")
	r.Kinds = r.Kinds[:1] // supplier invoices only, besides 4000–6999
	cands := []db.Voucher{
		{ID: 1, Date: day("2024-03-20"), Kind: "manual", Accounts: ",5010,2640,1930,"},           // missing: account 5010
		{ID: 2, Date: day("2024-03-02"), Kind: "supplier_invoice", Accounts: ",2440,"},           // missing: kind
		{ID: 3, Date: day("2024-03-01"), Kind: "manual", Accounts: ",1930,3001,"},                // no rule: not missing
		{ID: 4, Date: day("2024-02-10"), Kind: "supplier_invoice", DocsUnknown: true},            // unknown
		{ID: 5, Date: day("2024-02-09"), Kind: "manual", Accounts: ",6999,"},                     // missing: range end
		{ID: 6, Date: day("2024-01-09"), Kind: "receipt", Accounts: ",7000,"},                    // no rule
		{ID: 7, Date: day("2024-01-08"), Kind: "manual", Accounts: ",4000,", HasDocuments: true}, // has one
	}
	l := Find(r, cands)
	var ids []int64
	for _, v := range l.Vouchers {
		ids = append(ids, v.ID)
	}
	if len(ids) != 3 || ids[0] != 1 || ids[1] != 2 || ids[2] != 5 {
		t.Errorf("missing = %v, want [1 2 5]", ids)
	}
	if l.Unknown != 1 {
		t.Errorf("Unknown = %d, want 1", l.Unknown)
	}
	if len(l.Months) != 2 || l.Months[0].Count != 2 || l.Months[1].Count != 1 || l.Months[1].Month != day("2024-02-01") {
		t.Errorf("Months = %+v", l.Months)
	}
}
