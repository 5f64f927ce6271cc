package db_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"bilag/db"
	"bilag/db/dbtest"
)

// TestTextFilter: the text filter finds a substring of the folded text
// wherever it lies: among the newest rows (read off them), far past them
// (through the text index: FTS5 trigrams on SQLite, pg_trgm on
// PostgreSQL), and for texts too short for a trigram (LIKE). A changed or
// deleted voucher's text is found as it is now.
func TestTextFilter(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		ctx := t.Context()
		// A window of 20 rows, so that 200 vouchers put most past it; a
		// trigram in 100 vouchers is common.
		d, co := openCompany(t, url, db.Options{TextWindow: 20, TextRare: 100}, "Text AB")
		other := &db.Company{Name: "Annan AB", Country: "SE", OrgNumber: "556016-0680", Active: true}
		if err := d.CreateCompany(ctx, other); err != nil {
			t.Fatal(err)
		}
		day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		texts := map[int]string{
			3:   "Åkes Öl & Bröd",          // far past the window, folded letters
			5:   `Faktura "100%" rabatt_x`, // LIKE's and FTS5's special characters
			150: "Hyra kontor maj",
			151: "Hyra lager",
		}
		var vs []db.Voucher
		for i := range 200 {
			text, ok := texts[i]
			if !ok {
				text = fmt.Sprintf("Kontorsmaterial %d", i)
			}
			vs = append(vs, db.Voucher{CompanyID: co.ID, ConnectionID: 1, Ref: fmt.Sprint(i), Number: fmt.Sprintf("A%d", i), Date: day.AddDate(0, 0, i), Text: text})
		}
		// Another company's voucher with the same text is never found.
		vs = append(vs, db.Voucher{CompanyID: other.ID, ConnectionID: 2, Ref: "o1", Number: "A1", Date: day, Text: "Åkes Öl & Bröd"})
		if err := d.UpsertVouchers(ctx, vs); err != nil {
			t.Fatal(err)
		}
		refs := func(f db.VoucherFilter) ([]string, db.VoucherList) {
			t.Helper()
			if f.PageSize == 0 {
				f.PageSize = 10
			}
			l, err := d.Vouchers(ctx, co.ID, f)
			if err != nil {
				t.Fatalf("Vouchers(%+v) = %v", f, err)
			}
			var out []string
			for _, v := range l.Vouchers {
				out = append(out, v.Ref)
			}
			return out, l
		}
		for _, c := range []struct {
			text  string
			want  []string
			total int64
		}{
			{"åke", []string{"3"}, 1},
			{"ÖL & BR", []string{"3"}, 1},
			{"kes öl", []string{"3"}, 1},
			{`"100%"`, []string{"5"}, 1},
			{"rabatt_x", []string{"5"}, 1},
			{"100_", nil, 0},
			{"%", []string{"5"}, 1},
			{"hyra", []string{"151", "150"}, 2},
			{"  hyra kontor ", []string{"150"}, 1},
			{"rö", []string{"3"}, 1},
			{"x", []string{"5"}, 1},
			{"ingenstans", nil, 0},
		} {
			got, l := refs(db.VoucherFilter{Text: c.text})
			if !slices.Equal(got, c.want) || l.Total != c.total || l.Capped {
				t.Errorf("text %q: refs %v total %d capped %v; want %v total %d", c.text, got, l.Total, l.Capped, c.want, c.total)
			}
		}
		// A common text fills the page from the newest rows and counts
		// them as a lower bound, as before the index.
		got, l := refs(db.VoucherFilter{Text: "kontorsmaterial"})
		if len(got) != 10 || got[0] != "199" || !l.Capped || !l.HasMore {
			t.Errorf("common text: refs %v capped %v more %v; want the 10 newest, capped, more", got, l.Capped, l.HasMore)
		}
		// A page past the window is read in order; its count is exact
		// (PostgreSQL counts through pg_trgm) or a lower bound that covers
		// the page.
		got, l = refs(db.VoucherFilter{Text: "kontorsmaterial", Page: 3})
		if len(got) != 10 || got[0] != "179" || !(l.Total == 196 && !l.Capped || l.Capped && l.Total >= 31) {
			t.Errorf("common text, page 3: refs %v total %d capped %v; want 179 first, 196 or more than 30", got, l.Total, l.Capped)
		}
		// With other filters, by the index.
		got, _ = refs(db.VoucherFilter{Text: "öl", Number: "a3"})
		if !slices.Equal(got, []string{"3"}) {
			t.Errorf("text and number: refs %v", got)
		}
		got, _ = refs(db.VoucherFilter{Text: "åkes", To: day.AddDate(0, 0, 2)})
		if got != nil {
			t.Errorf("text before its date: refs %v, want none", got)
		}

		// A new text replaces the old one in the index.
		vs[3].Text = "Bensin Circle K"
		if err := d.UpsertVouchers(ctx, vs[3:4]); err != nil {
			t.Fatal(err)
		}
		if got, _ := refs(db.VoucherFilter{Text: "åkes"}); got != nil {
			t.Errorf("old text after an update: refs %v, want none", got)
		}
		if got, _ := refs(db.VoucherFilter{Text: "circle"}); !slices.Equal(got, []string{"3"}) {
			t.Errorf("new text after an update: refs %v, want [3]", got)
		}
	})
}
