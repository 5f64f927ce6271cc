package sandbox

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The chart of accounts and the balances an evidence pack reads (issue
// 29): accountlist.nv (Account: NetvisorKey, Number, Name, AccountType
// "account" or "accountgroup", FatherNetvisorKey, IsActive; fastmonkeys/
// netvisor.py tests/test_accounting.py, rantalainen/netvisor-api-client
// src/interfaces/accounting.ts AccountList) and accountbalance.nv
// (balancedates, comma-separated; per Account its netvisorkey and an
// AccountBalance per date with Debet, Kredit and Balance; rantalainen
// AccountBalanceParameters, AccountBalanceAccount). [I] The elements'
// capitalisation follows Netvisor's other answers; a balance is every
// valid booking up to and including the date.

// accountNames are the Finnish standard names of the accounts the demo
// world books to; an account missing here is named by its number.
func accountNames() map[string]string {
	return map[string]string{
		"1160": "Koneet ja kalusto", "1537": "Arvonlisäverosaamiset", "1701": "Myyntisaamiset", "1800": "Siirtosaamiset",
		"1910": "Pankkitili", "2871": "Ostovelat", "2939": "Arvonlisäverovelka", "3000": "Myynti", "4000": "Ostot",
		"6800": "Vuokrat",
	}
}

// chart is the org's accounts by number, each with its key.
func (s *Sandbox) chart(o *Org) []string {
	seen := map[string]bool{}
	for n := range accountNames() {
		seen[n] = true
	}
	for _, v := range o.Vouchers {
		for _, l := range v.Lines {
			seen[l.Account] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// accountKey is an account's NetvisorKey: groups have keys below 100.
func accountKey(number string) string {
	n, _ := strconv.Atoi(number)
	return strconv.Itoa(1000 + n)
}

func (s *Sandbox) accountList(w http.ResponseWriter, req request) {
	s.mu.Lock()
	numbers := s.chart(req.org)
	s.mu.Unlock()
	names := accountNames()
	x := okHeader(w, s.now())
	x.open("AccountList")
	x.open("CompanyDefaultAccounts")
	x.elem("TradePayables", "2871")
	x.elem("SalesReceivables", "1701")
	x.close("CompanyDefaultAccounts")
	x.open("Accounts")
	for _, g := range []struct{ key, name string }{{"1", "Vastaavaa"}, {"2", "Vastattavaa"}} {
		x.open("Account")
		x.elem("NetvisorKey", g.key)
		x.elem("Number", "")
		x.elem("Name", g.name)
		x.elem("AccountType", "accountgroup")
		x.elem("FatherNetvisorKey", "0")
		x.elem("IsActive", "1")
		x.close("Account")
	}
	for _, n := range numbers {
		name := names[n]
		if name == "" {
			name = "Tili " + n
		}
		x.open("Account")
		x.elem("NetvisorKey", accountKey(n))
		x.elem("Number", n)
		x.elem("Name", name)
		x.elem("AccountType", "account")
		x.elem("FatherNetvisorKey", map[bool]string{true: "1", false: "2"}[n < "2"])
		x.elem("IsActive", "1")
		x.close("Account")
	}
	x.close("Accounts")
	x.close("AccountList")
	x.close("Root")
	x.flush()
}

func (s *Sandbox) accountBalance(w http.ResponseWriter, q url.Values, req request) {
	var dates []time.Time
	for _, d := range strings.Split(q.Get("balancedates"), ",") {
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(d))
		if err != nil {
			writeFailure(w, req.codes, "INVALID_DATA", "balancedates must be dates yyyy-MM-dd separated by commas")
			return
		}
		dates = append(dates, t)
	}
	if q.Get("intervaltype") != "" && q.Get("intervaltype") != "0" {
		writeFailure(w, req.codes, "INVALID_DATA", "The sandbox answers separate dates only (intervaltype 0)")
		return
	}
	s.mu.Lock()
	numbers := s.chart(req.org)
	bal := make([]map[string]int64, len(dates))
	for i, d := range dates {
		bal[i] = map[string]int64{}
		for _, v := range req.org.Vouchers {
			if v.Status != "" && v.Status != "valid" || v.Date.After(d) {
				continue
			}
			for _, l := range v.Lines {
				bal[i][l.Account] += l.Sum
			}
		}
	}
	s.mu.Unlock()
	x := okHeader(w, s.now())
	x.open("AccountBalances")
	for _, n := range numbers {
		x.open("Account", "netvisorkey", accountKey(n))
		for i, d := range dates {
			b := bal[i][n]
			x.open("AccountBalance", "date", d.Format(time.DateOnly))
			x.elem("Debet", decimal(max(b, 0)))
			x.elem("Kredit", decimal(max(-b, 0)))
			x.elem("Balance", decimal(b))
			x.close("AccountBalance")
		}
		x.close("Account")
	}
	x.close("AccountBalances")
	x.close("Root")
	x.flush()
}
