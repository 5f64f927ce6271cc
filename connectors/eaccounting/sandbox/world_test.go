package sandbox

import (
	"fmt"
	"net/http"
	"testing"
)

// fullMembers finds, for each active company, a demo user with eAccounting
// access and full permission in every program area, so that a refusal in
// the walk below can only come from the company's product variant.
func fullMembers() map[string]string {
	out := map[string]string{}
	for _, m := range demoMembers() {
		if m.eaccounting && m.bookkeeping == levelFull && m.purch == levelFull && m.sale == levelFull {
			if _, ok := out[m.org]; !ok {
				out[m.org] = m.email
			}
		}
	}
	return out
}

// TestEveryDocumentOpens walks the demo world as a client would: every
// voucher of every active company, and for each the calls that open its
// documents (its own attachments; the supplier invoice behind types 12/13
// and its attachments; the customer-invoice PDF behind types 14/15). Every
// one must answer 200: a document a client is shown but the API refuses
// for the company's product variant (4009) is demo data that contradicts
// Visma's rules.
func TestEveryDocumentOpens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, WithRateLimit(1<<30))
	members := fullMembers()
	for _, dc := range DemoCompanies() {
		if !dc.Active {
			continue // every call answers 4004, so no voucher is ever listed
		}
		t.Run(dc.Name, func(t *testing.T) {
			email, ok := members[dc.OrgNumber]
			if !ok {
				t.Fatalf("no demo user has full permission in %s", dc.Name)
			}
			tok := e.connect(email, dc.OrgNumber, allScopes).AccessToken
			var all page[voucherOut]
			if st, ae := e.get(tok, "/v2/vouchers?$pagesize=1000", &all); st != http.StatusOK {
				t.Fatalf("vouchers = %d %+v", st, ae)
			}
			if len(all.Data) == 0 || len(all.Data) != all.Meta.TotalNumberOfResults {
				t.Fatalf("vouchers: %d on the page of %d", len(all.Data), all.Meta.TotalNumberOfResults)
			}
			refused := map[string]int{}
			open := func(v *voucherOut, path string, out any) {
				st, ae := e.get(tok, path, out)
				if st != http.StatusOK {
					key := fmt.Sprintf("%d/%d", st, ae.ErrorCode)
					if refused[key] == 0 {
						t.Errorf("%s (type %d) %s = %d/%d %s", v.NumberAndNumberSeries, v.VoucherType, path, st, ae.ErrorCode, ae.DeveloperErrorMessage)
					}
					refused[key]++
				}
			}
			docs := 0
			for i := range all.Data {
				v := &all.Data[i]
				for _, id := range v.Attachments.AttachmentIds {
					docs++
					open(v, "/v2/attachments/"+id, nil)
				}
				if v.SourceId == nil {
					continue
				}
				switch v.VoucherType {
				case vtSupplierInvoice, vtSupplierCredit:
					var si struct{ Attachments []string }
					open(v, "/v2/supplierinvoices/"+*v.SourceId, &si)
					for _, id := range si.Attachments {
						docs++
						open(v, "/v2/attachments/"+id, nil)
					}
				case vtCustomerInvoice, vtCustomerCredit:
					docs++
					open(v, "/v2/customerinvoices/"+*v.SourceId+"/pdf", nil)
				}
			}
			if len(refused) > 0 {
				t.Errorf("%s (variant %d): refused calls by status/ErrorCode: %v", dc.Name, dc.ProductVariant, refused)
			}
			if docs == 0 {
				t.Errorf("%s has no documents at all", dc.Name)
			}
		})
	}
}
