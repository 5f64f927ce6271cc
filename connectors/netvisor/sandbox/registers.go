package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// customerList is customerlist.nv (support.netvisor.fi 77000466758,
// "Resources – Customer register"): keyword matched in the name, code
// and organisation identifier; customercodelist, at most 100 codes.
func (s *Sandbox) customerList(w http.ResponseWriter, q url.Values, req request) {
	var codes []string
	if v := q.Get("customercodelist"); v != "" {
		codes = strings.Split(v, ",")
		if len(codes) > 100 {
			writeFailure(w, req.codes, "INVALID_DATA", "customercodelist can include at most 100 customer codes")
			return
		}
	}
	kw := strings.ToLower(q.Get("keyword"))
	s.mu.Lock()
	cs := append([]NVCustomer(nil), req.org.Customers...)
	s.mu.Unlock()
	x := okHeader(w, s.now())
	x.open("Customerlist")
	for _, c := range cs {
		if codes != nil && !containsString(codes, c.Code) {
			continue
		}
		if kw != "" && !strings.Contains(strings.ToLower(c.Name+"\x00"+c.Code+"\x00"+c.OrgNr), kw) {
			continue
		}
		x.open("Customer")
		x.elem("Netvisorkey", strconv.Itoa(c.Key))
		x.elem("Name", c.Name)
		x.elem("Code", c.Code)
		x.elem("OrganisationIdentifier", c.OrgNr)
		x.elem("CustomerGroupID", "")
		x.elem("CustomerGroupName", "")
		x.elem("Uri", fmt.Sprintf("https://isvapi.netvisor.fi/getcustomer.nv?id=%d", c.Key))
		x.close("Customer")
	}
	x.close("Customerlist")
	x.close("Root")
	x.flush()
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// productList is productlist.nv (support.netvisor.fi 77000554240): keyword
// in the name or code; deleted=0 leaves deleted products out (without it
// they are listed, as documented). The sandbox's products are all
// published (inferred: the flag is not modelled).
func (s *Sandbox) productList(w http.ResponseWriter, q url.Values, req request) {
	kw := strings.ToLower(q.Get("keyword"))
	noDeleted := q.Get("deleted") == "0"
	s.mu.Lock()
	ps := append([]Product(nil), req.org.Products...)
	s.mu.Unlock()
	x := okHeader(w, s.now())
	x.open("ProductList")
	for _, p := range ps {
		if (noDeleted && p.Deleted) || (kw != "" && !strings.Contains(strings.ToLower(p.Name+"\x00"+p.Code), kw)) {
			continue
		}
		x.open("Product")
		x.elem("NetvisorKey", strconv.Itoa(p.Key))
		x.elem("ProductCode", p.Code)
		x.elem("Name", p.Name)
		x.elem("UnitPrice", decimal(p.UnitPrice)+"0000000000")
		x.elem("UnitGrossPrice", decimal(p.UnitPrice*1255/1000)+"0000000000")
		x.elem("ProductGroupID", "")
		x.elem("ProductGroupDescription", "")
		x.elem("Uri", fmt.Sprintf("/getproduct.nv?id=%d", p.Key))
		x.close("Product")
	}
	x.close("ProductList")
	x.close("Root")
	x.flush()
}
