package sandbox

import (
	"testing"
	"time"
)

// The cost centre and project lists, the rows that use them and the
// invoices' payment fields, each answer validated against the OpenAPI
// document by the test transport.
func TestDimensionsAndPayments(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 9, 15, 0, 0, 0, 0, time.UTC)
	e := newEnv(t, WithClock(func() time.Time { return now }))
	tok := e.connect("anna.lindqvist@example.se", "556812-3474", allScopes).AccessToken
	var ccs struct {
		Meta struct{ TotalNumberOfResults int }
		Data []struct {
			Id, Name string
			Number   int
			Items    []struct{ Id, ShortName, Name, CostCenterId string }
		}
	}
	if st, ae := e.get(tok, "/v2/costcenters", &ccs); st != 200 || len(ccs.Data) != 2 || ccs.Data[1].Number != 2 || ccs.Data[1].Items[0].CostCenterId != ccs.Data[1].Id {
		t.Fatalf("costcenters = %d %+v %+v", st, ae, ccs)
	}
	var ps struct {
		Data []struct{ Id, Number, Name string }
	}
	if st, ae := e.get(tok, "/v2/projects?$filter=Status%20eq%201", &ps); st != 200 || len(ps.Data) != 2 {
		t.Fatalf("ongoing projects = %d %+v %+v", st, ae, ps)
	}
	var vs struct {
		Data []struct {
			VoucherType int
			SourceId    *string
			Rows        []struct {
				AccountNumber     int64
				CostCenterItemId1 *string
				ProjectId         *string
			}
		}
	}
	if st, ae := e.get(tok, "/v2/vouchers?$pagesize=1000", &vs); st != 200 {
		t.Fatalf("vouchers = %d %+v", st, ae)
	}
	booked, customer, supplier := 0, "", ""
	for i, v := range vs.Data {
		for _, r := range v.Rows {
			if r.CostCenterItemId1 != nil || r.ProjectId != nil {
				booked++
			}
		}
		if unpaid(int32(i)) && v.SourceId != nil && v.VoucherType == vtCustomerInvoice {
			customer = *v.SourceId
		}
		if unpaid(int32(i)) && v.SourceId != nil && v.VoucherType == vtSupplierInvoice {
			supplier = *v.SourceId
		}
	}
	if booked == 0 || customer == "" || supplier == "" {
		t.Fatalf("%d rows on a dimension, unpaid customer invoice %q, supplier invoice %q", booked, customer, supplier)
	}
	var ci struct {
		RemainingAmount float64
		PaymentStatus   int
		DueDate         string
	}
	if st, ae := e.get(tok, "/v2/customerinvoices/"+customer, &ci); st != 200 || ci.RemainingAmount == 0 || ci.PaymentStatus == 0 || ci.DueDate == "" {
		t.Errorf("unpaid customer invoice = %d %+v %+v", st, ae, ci)
	}
	var si struct {
		RemainingAmount float64
		PaymentStatus   int
		PaymentDate     *string
	}
	if st, ae := e.get(tok, "/v2/supplierinvoices/"+supplier, &si); st != 200 || si.RemainingAmount == 0 || (si.PaymentStatus != 3 && si.PaymentStatus != 7) || si.PaymentDate != nil {
		t.Errorf("unpaid supplier invoice = %d %+v %+v", st, ae, si)
	}
	var cis struct {
		Meta struct{ TotalNumberOfResults int }
		Data []struct{ Id, ModifiedUtc string }
	}
	if st, ae := e.get(tok, "/v2/customerinvoices?modifiedSinceUtc=2025-06-01T00:00:00Z&$pagesize=1000", &cis); st != 200 || len(cis.Data) == 0 {
		t.Fatalf("customer invoices modified since June 2025 = %d %+v %+v", st, ae, cis)
	}
	for _, x := range cis.Data {
		if x.ModifiedUtc <= "2025-06-01T00:00:00Z" {
			t.Errorf("customer invoice %s modified %s listed as modified since June 2025", x.Id, x.ModifiedUtc)
		}
	}
	if st, ae := e.get(tok, "/v2/customerinvoices/"+supplier, nil); st != 404 || ae.ErrorCode != 3000 {
		t.Errorf("a supplier invoice's id as a customer invoice = %d %+v, want 404/3000", st, ae)
	}
}
