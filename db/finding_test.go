package db_test

import (
	"strings"
	"testing"
	"time"

	"bilag/db"
	"bilag/db/dbtest"
)

// TestFindVouchersOnEveryDialect: amount within a tolerance (either sign),
// a number without its series, each order both ways, a voucher's
// neighbours in that order, and the search across companies, on SQLite
// and PostgreSQL alike.
func TestFindVouchersOnEveryDialect(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		ctx := t.Context()
		d, co := openCompany(t, url, db.Options{}, "Fynd AB")
		other := &db.Company{Name: "Annat AB", Country: "SE", OrgNumber: "559104-3210", Active: true}
		if err := d.CreateCompany(ctx, other); err != nil {
			t.Fatal(err)
		}
		day := func(n int) time.Time { return time.Date(2024, 1, n, 0, 0, 0, 0, time.UTC) }
		vs := []db.Voucher{
			{CompanyID: co.ID, ConnectionID: 1, Ref: "1", Number: "A9", Series: "A", Date: day(1), Amount: 125000},
			{CompanyID: co.ID, ConnectionID: 1, Ref: "2", Number: "A10", Series: "A", Date: day(2), Amount: -125400},
			{CompanyID: co.ID, ConnectionID: 1, Ref: "3", Number: "B9", Series: "B", Date: day(3), Amount: 5},
			{CompanyID: co.ID, ConnectionID: 1, Ref: "4", Number: "9", Date: day(4), Amount: 125600},
			{CompanyID: other.ID, ConnectionID: 2, Ref: "5", Number: "C9", Series: "C", Date: day(5), Amount: 1},
		}
		if err := d.UpsertVouchers(ctx, vs); err != nil {
			t.Fatal(err)
		}
		numbers := func(f db.VoucherFilter) string {
			t.Helper()
			l, err := d.Vouchers(ctx, co.ID, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, v := range l.Vouchers {
				out = append(out, v.Number)
			}
			return strings.Join(out, ",")
		}
		for _, tt := range []struct {
			name string
			f    db.VoucherFilter
			want string
		}{
			{"bare number, any series", db.VoucherFilter{Number: "9"}, "9,B9,A9"},
			{"number with series", db.VoucherFilter{Number: "a 9"}, "A9"},
			{"amount exact", db.VoucherFilter{HasAmount: true, AmountMin: 125000, AmountMax: 125000}, "A9"},
			{"amount within, either sign", db.VoucherFilter{HasAmount: true, AmountMin: 124500, AmountMax: 125500}, "A10,A9"},
			{"by number", db.VoucherFilter{Sort: db.SortNumber, Asc: true}, "9,A9,A10,B9"},
			{"by number, descending", db.VoucherFilter{Sort: db.SortNumber}, "B9,A10,A9,9"},
			{"by amount", db.VoucherFilter{Sort: db.SortAmount}, "9,A9,B9,A10"},
			{"by date, ascending", db.VoucherFilter{Sort: db.SortDate, Asc: true}, "A9,A10,B9,9"},
		} {
			if got := numbers(tt.f); got != tt.want {
				t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
			}
		}
		all, err := d.Vouchers(ctx, co.ID, db.VoucherFilter{Sort: db.SortNumber, Asc: true})
		if err != nil {
			t.Fatal(err)
		}
		for i := range all.Vouchers {
			prev, next, err := d.Neighbours(ctx, co.ID, db.VoucherFilter{Sort: db.SortNumber, Asc: true}, &all.Vouchers[i])
			if err != nil {
				t.Fatal(err)
			}
			if (i == 0) != (prev == nil) || (i > 0 && prev.ID != all.Vouchers[i-1].ID) {
				t.Errorf("previous of %s = %v", all.Vouchers[i].Number, prev)
			}
			last := i == len(all.Vouchers)-1
			if last != (next == nil) || (!last && next.ID != all.Vouchers[i+1].ID) {
				t.Errorf("next of %s = %v", all.Vouchers[i].Number, next)
			}
		}
		found, err := d.FindVouchers(ctx, []int64{co.ID, other.ID}, "9", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != 4 {
			t.Errorf("9 in both companies: %d vouchers, want 4", len(found))
		}
		if found, _ := d.FindVouchers(ctx, []int64{co.ID}, "c9", 10); len(found) != 0 {
			t.Errorf("C9 of another company found among the first's")
		}
	})
}

// TestUsersOverviewOnEveryDialect: each user's companies and last login.
func TestUsersOverviewOnEveryDialect(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		ctx := t.Context()
		d, co := openCompany(t, url, db.Options{}, "Bolag AB")
		u := &db.User{Email: "v@firm.test", Name: "Vera", Role: db.RoleViewer, PasswordHash: "x", Active: true}
		if err := d.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if err := d.AddUserToCompanies(ctx, u.ID, []int64{co.ID, co.ID}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := d.Audit(ctx, db.AuditEvent{Action: db.AuditLogin, UserID: &u.ID, Actor: u.Email}); err != nil {
				t.Fatal(err)
			}
		}
		ov, err := d.UsersOverview(ctx)
		if err != nil {
			t.Fatal(err)
		}
		o := ov[u.ID]
		if strings.Join(o.Companies, ",") != "Bolag AB" || o.LastLogin == nil || o.LastLogin.IsZero() {
			t.Errorf("overview = %+v, want Bolag AB and a last login", o)
		}
	})
}
