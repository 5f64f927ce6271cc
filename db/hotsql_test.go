package db

import (
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	gormschema "gorm.io/gorm/schema"

	"bilag/db/dbtest"
)

// TestHotColumns: each hand-written query of the open path lists every
// column gorm knows of its model, in the order of its scan destinations;
// a column added to a model but not to its list fails here (it would read
// as its zero value).
func TestHotColumns(t *testing.T) {
	for _, c := range []struct {
		model   any
		columns string
		dest    func() []any
	}{
		{&User{}, userColumns, func() []any { return (&User{}).dest() }},
		{&Session{}, sessionColumns, func() []any { return (&Session{}).dest() }},
		{&Company{}, companyColumns, func() []any { return (&Company{}).dest() }},
		{&Connection{}, connectionColumns, func() []any { return (&Connection{}).dest() }},
		{&Voucher{}, voucherColumns, func() []any { return (&Voucher{}).dest() }},
		{&VoucherDocument{}, voucherDocumentColumns, func() []any { return (&VoucherDocument{}).dest() }},
	} {
		s, err := gormschema.Parse(c.model, &sync.Map{}, gormschema.NamingStrategy{})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, f := range s.Fields {
			if f.DBName != "" {
				want = append(want, f.DBName)
			}
		}
		got := strings.Split(c.columns, ", ")
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the hot queries select\n  %v\nbut the model has\n  %v", s.Table, got, want)
		}
		if n := len(c.dest()); n != len(want) {
			t.Errorf("%s: %d scan destinations for %d columns", s.Table, n, len(want))
		}
	}
}

// TestAuditColumns: the audit insert writes every column of AuditEvent
// but its id.
func TestAuditColumns(t *testing.T) {
	s, err := gormschema.Parse(&AuditEvent{}, &sync.Map{}, gormschema.NamingStrategy{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range s.Fields {
		if f.DBName != "" && f.DBName != "id" {
			want = append(want, f.DBName)
		}
	}
	if got := strings.Split(auditColumns, ", "); !reflect.DeepEqual(got, want) {
		t.Errorf("audit insert writes %v, AuditEvent has %v", got, want)
	}
}

// TestPostgresPlaceholders: ? become $1, $2, … in order.
func TestPostgresPlaceholders(t *testing.T) {
	if got := postgresPlaceholders("a = ? AND b IN (?, ?)"); got != "a = $1 AND b IN ($2, $3)" {
		t.Errorf("postgresPlaceholders = %q", got)
	}
}

// TestHotReadsAsGorm: on both databases the hand-written reads give the
// very structs gorm's reads give, every field set.
func TestHotReadsAsGorm(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, url string) {
		ctx := t.Context()
		d, err := Open(ctx, url, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		at := time.Date(2026, 3, 2, 9, 0, 0, 123456000, time.UTC)
		g := d.gorm.WithContext(ctx)
		u := &User{Email: "a@firm.test", Name: "Anna", Role: RoleAnalyst, PasswordHash: "h", Active: true, TOTPKeyID: "k", TOTPSealed: []byte{1, 2}, TOTPEnabledAt: &at, TOTPLastStep: 7}
		co := &Company{Name: "Dok AB", Country: "SE", OrgNumber: "556812-3474", Active: true, NoPrefetch: true, APISendAtOnce: true,
			OffboardedAt: &at, ContactEmail: "c@dok.test"}
		must(t, g.Create(u).Error, g.Create(co).Error, g.Create(&Membership{UserID: u.ID, CompanyID: co.ID}).Error)
		conn := &Connection{CompanyID: co.ID, Connector: "x", Status: ConnActive, ExternalID: "e", ExternalName: "n", OrgNumber: "o", Scopes: "s t",
			AddressStreet: "a\nb", AddressPostalCode: "p", AddressCity: "c", AddressCountry: "SE",
			ApprovedBy: "b", ApprovedAt: at, LinkID: 3, TokenKeyID: "k", TokenSealed: []byte{3}, TokenExpiry: &at, RefreshedAt: &at,
			LeaseOwner: "l", LeaseUntil: &at, LastError: "e"}
		sum := int64(5)
		v := &Voucher{CompanyID: co.ID, FiscalYearID: "f", Number: "A 1", NumberKey: "A1", Series: "A", Date: at, Text: "T", TextKey: "t", Amount: 9,
			HasDocuments: true, ModifiedAt: at, ConnectionID: 1, Ref: "r", Kind: "k", UpstreamType: "u", Accounts: ",1,", DocsUnknown: true}
		must(t, g.Create(conn).Error, g.Create(v).Error)
		doc := &VoucherDocument{CompanyID: co.ID, VoucherID: v.ID, Kind: "k", ExternalID: "x", FileName: "f", ContentType: "c", Size: 2, SHA256: "s",
			Position: 1, ConnectionID: 1, InvoiceStatus: "i", OpenSum: &sum, DueDate: &at}
		must(t, g.Create(doc).Error, d.CreateSession(ctx, u.ID, "tok", at, at))

		var wu User
		var ws Session
		var wc Company
		var wconn Connection
		var wv Voucher
		var wd VoucherDocument
		must(t, g.First(&wu, u.ID).Error, g.Where("user_id = ?", u.ID).First(&ws).Error, g.First(&wc, co.ID).Error,
			g.First(&wconn, conn.ID).Error, g.First(&wv, v.ID).Error, g.First(&wd, doc.ID).Error)
		s, su, err := d.SessionAndUser(ctx, "tok")
		same(t, err, []any{*s, *su}, []any{ws, wu})
		for _, who := range []*User{u, {ID: 99, Role: RoleAdmin}} {
			c, err := d.CompanyForUser(ctx, who, co.ID)
			same(t, err, *c, wc)
		}
		cs, err := d.ConnectionsForCompanies(ctx, []int64{co.ID})
		same(t, err, cs, []Connection{wconn})
		gv, gd, err := d.VoucherAndDocument(ctx, co.ID, v.ID, doc.ID)
		same(t, err, []any{*gv, *gd}, []any{wv, wd})
	})
}

func must(t *testing.T, errs ...error) {
	t.Helper()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func same(t *testing.T, err error, got, want any) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hot read\n  %+v\ngorm read\n  %+v", got, want)
	}
}
