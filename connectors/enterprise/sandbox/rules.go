package sandbox

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// The sandbox's rules are written here from the seed's field tables, on
// their own: the sandbox imports nothing of the client package, so that a
// mistake in Bilag's validator is refused here instead of passing twice.
// Where the seed is clear the sandbox is strict (types, lengths, what
// occurs once); where it is of two minds (zipCode, cellPhone, the e-mail
// field's spelling) it takes either reading, as Enterprise would have to.

// Registry is what the sandbox's "system owner's database" holds: the
// system codes, the company, and the principal, commodity and VAT codes
// that exist there ("Oppgitt verdi må være opprettet i systemeiers
// database").
type Registry struct {
	Systems     []string
	Company     int
	Principals  []int
	Commodities []int
	VATCodes    []int
}

// Registered is the sandbox's registry.
func Registered() Registry {
	return Registry{
		Systems: []string{"WS", "BI"}, Company: 1,
		Principals:  []int{20, 30},
		Commodities: []int{100, 200, 300},
		VATCodes:    []int{0, 100, 150},
	}
}

// Codes are the registry's codes as the lists a person types into the
// connection form.
func Codes() (principals, commodities, vat string) {
	r := Registered()
	return joinInts(r.Principals), joinInts(r.Commodities), joinInts(r.VATCodes)
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// Order is an order the sandbox took, as much of it as it shows and keys
// serial numbers by.
type Order struct {
	ExternalSystem string   `json:"externalSystem"`
	Company        int      `json:"company"`
	OrderID        string   `json:"orderId"`
	Customer       Customer `json:"customer"`
	OrderLines     []Line   `json:"orderLines"`
}

// Customer is an order's customer, as posted.
type Customer struct {
	CustomerNumber string `json:"customerNumber"`
	Name           string `json:"name,omitempty"`
	// ZipCode is as posted: a number's digits, or the text.
	ZipCode    string `json:"zipCode,omitempty"`
	NationCode string `json:"nationCode,omitempty"`
}

// Line is an order line's key and amount.
type Line struct {
	PrincipalNumber int `json:"principalNumber"`
	CommodityNumber int `json:"commodityNumber"`
	SerialNumber    int `json:"serialNumber"`
	// Amount is in hundredths.
	Amount int64 `json:"amount"`
}

// Total is the sum of the lines' amounts, with two decimals.
func (o Order) Total() string {
	var t int64
	for _, l := range o.OrderLines {
		t += l.Amount
	}
	sign := ""
	if t < 0 {
		sign, t = "-", -t
	}
	return fmt.Sprintf("%s%d.%02d", sign, t/100, t%100)
}

// The seed's field names, level by level. bankAccount: the version log
// adds it in 1.2 and no table describes it, not even its level, so it is
// taken at any level, as any text.
var (
	topFields      = []string{"externalSystem", "company", "division", "orderId", "customer", "orderLines", "bankAccount"}
	customerFields = []string{"customerNumber", "name", "address1", "address2", "address3", "address4", "address5",
		"foreignZipCode", "zipCode", "cellPhone", "eMailAddress", "emailAddress", "nationCode", "bankAccount"}
	lineFields = []string{"principalNumber", "commodityNumber", "serialNumber", "price", "quantity", "amount",
		"internalInvoice", "accountId1", "accountId2", "accountId3", "accountId4", "accountId5", "accountId6",
		"accountId7", "accountId8", "accountId9", "accountId10", "vatCode", "profile", "yourRef", "orderRef",
		"lineText", "bankAccount"}
)

// decimalFormat is "12 tegn num, 10.2. Format 999999999.99". The format
// shows no sign; a minus is taken, as credit lines need one (to confirm).
// Compiled on first use, not when the program starts.
var decimalFormat = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^-?[0-9]{1,9}(\.[0-9]{1,2})?$`) })

// reading gathers what is wrong with one posted order, in the sandbox's
// words ("field: what"), and reads what it keeps.
type reading struct {
	problems []string
	where    string
}

func (r *reading) bad(field, format string, args ...any) {
	r.problems = append(r.problems, r.where+field+": "+fmt.Sprintf(format, args...))
}

// object reads m's fields, refusing those not in known.
func (r *reading) object(m map[string]any, known []string) {
	for k := range m {
		if !contains(known, k) {
			r.bad(k, "ukjent felt")
		}
	}
}

// text is a String of at most max characters; required says it occurs once.
func (r *reading) text(m map[string]any, field string, max int, required bool) (string, bool) {
	v, ok := m[field]
	if !ok || v == nil {
		if required {
			r.bad(field, "mangler")
		}
		return "", false
	}
	s, isText := v.(string)
	switch {
	case !isText:
		r.bad(field, "skal være tekst")
		return "", false
	case s == "" && required:
		r.bad(field, "mangler")
		return "", false
	case utf8.RuneCountInString(s) > max:
		r.bad(field, "høyst %d tegn", max)
		return "", false
	}
	return s, true
}

// integer is an Integer of at most digits digits, never negative.
func (r *reading) integer(m map[string]any, field string, digits int, required bool) (int, bool) {
	v, ok := m[field]
	if !ok || v == nil {
		if required {
			r.bad(field, "mangler")
		}
		return 0, false
	}
	n, isNumber := v.(json.Number)
	if !isNumber {
		r.bad(field, "skal være et heltall")
		return 0, false
	}
	s := n.String()
	if len(s) > digits || strings.Trim(s, "0123456789") != "" {
		r.bad(field, "heltall med høyst %d siffer", digits)
		return 0, false
	}
	i, _ := strconv.Atoi(s)
	return i, true
}

// decimal is a Decimal in the seed's format, in hundredths.
func (r *reading) decimal(m map[string]any, field string) (int64, bool) {
	v, ok := m[field]
	if !ok || v == nil {
		r.bad(field, "mangler")
		return 0, false
	}
	n, isNumber := v.(json.Number)
	if !isNumber || !decimalFormat().MatchString(n.String()) {
		r.bad(field, "skal være et tall på formen 999999999.99")
		return 0, false
	}
	s := n.String()
	neg := strings.HasPrefix(s, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	frac = (frac + "00")[:2]
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	if neg {
		return -(w*100 + f), true
	}
	return w*100 + f, true
}

// digitsText is a String of one to max digits (customerNumber, kept as
// text for the leading zeros of a birth number).
func (r *reading) digitsText(m map[string]any, field string, max int) (string, bool) {
	s, ok := r.text(m, field, max, true)
	if ok && strings.Trim(s, "0123456789") != "" {
		r.bad(field, "bare siffer")
		return "", false
	}
	return s, ok
}

// readOrder applies the seed's rules to a posted order, and the
// registry's; it returns the order and what is wrong with it.
func readOrder(m map[string]any, reg Registry) (Order, []string) {
	r := &reading{}
	var o Order
	r.object(m, topFields)
	if s, ok := r.text(m, "externalSystem", 2, true); ok {
		// "2 tegn alfa": two characters of text.
		if utf8.RuneCountInString(s) != 2 {
			r.bad("externalSystem", "skal være 2 tegn")
		}
		o.ExternalSystem = s
	}
	if n, ok := r.integer(m, "company", 4, true); ok {
		if n != reg.Company {
			r.bad("company", "selskap %d finnes ikke", n)
		}
		o.Company = n
	}
	if n, ok := r.integer(m, "division", 1, true); ok && n != 0 {
		r.bad("division", "skal alltid være 0")
	}
	o.OrderID, _ = r.text(m, "orderId", 16, true)
	r.text(m, "bankAccount", maxText, false)
	switch c := m["customer"].(type) {
	case map[string]any:
		o.Customer = readCustomer(r, c)
	case nil:
		r.bad("customer", "mangler")
	default:
		r.bad("customer", "skal være et objekt")
	}
	switch ls := m["orderLines"].(type) {
	case nil:
	case []any:
		for i, l := range ls {
			r.where = fmt.Sprintf("linje %d ", i+1)
			lm, ok := l.(map[string]any)
			if !ok {
				r.bad("orderLines", "skal være et objekt")
				continue
			}
			o.OrderLines = append(o.OrderLines, readLine(r, lm, reg))
		}
		r.where = ""
	default:
		r.bad("orderLines", "skal være en liste")
	}
	return o, r.problems
}

// maxText bounds a text the seed gives no length for.
const maxText = 1000

func readCustomer(r *reading, m map[string]any) Customer {
	var c Customer
	r.where = "customer."
	defer func() { r.where = "" }()
	r.object(m, customerFields)
	c.CustomerNumber, _ = r.digitsText(m, "customerNumber", 11)
	c.Name, _ = r.text(m, "name", 40, false)
	for _, f := range []string{"address1", "address2", "address3", "address4", "address5"} {
		r.text(m, f, 40, false)
	}
	norway := true
	if n, ok := r.text(m, "nationCode", 2, false); ok && n != "" {
		// ISO 3166-1 alpha-2: two capital letters.
		if len(n) != 2 || strings.Trim(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			r.bad("nationCode", "skal være en landkode etter ISO 3166-1 (2 store bokstaver)")
		}
		c.NationCode, norway = n, n == "NO"
	}
	// zipCode is typed Integer, "4 tegn num", but Norwegian postcodes
	// begin with 0: a number up to 9999, or text of four digits. It is
	// for Norwegian addresses; foreignZipCode is required for the others.
	switch z := m["zipCode"].(type) {
	case nil:
		if norway {
			r.bad("zipCode", "mangler for norsk kunde")
		}
	case json.Number:
		if s := z.String(); len(s) > 4 || strings.Trim(s, "0123456789") != "" {
			r.bad("zipCode", "postnummer er 4 siffer")
		} else {
			c.ZipCode = s
		}
	case string:
		if len(z) != 4 || strings.Trim(z, "0123456789") != "" {
			r.bad("zipCode", "postnummer er 4 siffer")
		} else {
			c.ZipCode = z
		}
	default:
		r.bad("zipCode", "postnummer er 4 siffer")
	}
	if f, ok := r.text(m, "foreignZipCode", 10, false); !norway && (!ok || f == "") {
		r.bad("foreignZipCode", "påkrevd for kunde med utenlandsk adresse")
	}
	// cellPhone is typed Integer, "20 tegn alfa", and sent as text in the
	// example: either.
	if p, isNumber := m["cellPhone"].(json.Number); isNumber {
		if s := p.String(); len(s) > 20 || strings.Trim(s, "0123456789") != "" {
			r.bad("cellPhone", "høyst 20 siffer")
		}
	} else {
		r.text(m, "cellPhone", 20, false)
	}
	// The table spells it eMailAddress, the example emailAddress.
	_, table := m["eMailAddress"]
	_, example := m["emailAddress"]
	switch {
	case table && example:
		r.bad("eMailAddress", "oppgitt to ganger (eMailAddress og emailAddress)")
	case table, example:
		name := "eMailAddress"
		if example {
			name = "emailAddress"
		}
		if e, ok := r.text(m, name, 40, false); ok && e != "" && !emailOK(e) {
			r.bad(name, "må inneholde @, minst ett tegn, punktum og minst ett tegn til")
		}
	}
	r.text(m, "bankAccount", maxText, false)
	return c
}

// emailOK is the seed's rule: an @, at least one character after it, then
// a point, then at least one more character.
func emailOK(e string) bool {
	_, after, ok := strings.Cut(e, "@")
	dot := strings.LastIndex(after, ".")
	return ok && dot >= 1 && dot < len(after)-1
}

func readLine(r *reading, m map[string]any, reg Registry) Line {
	var l Line
	r.object(m, lineFields)
	var ok bool
	if l.PrincipalNumber, ok = r.integer(m, "principalNumber", 3, true); ok && !containsInt(reg.Principals, l.PrincipalNumber) {
		r.bad("principalNumber", "oppdragsgiver %d finnes ikke i systemeiers database", l.PrincipalNumber)
	}
	if l.CommodityNumber, ok = r.integer(m, "commodityNumber", 4, true); ok && !containsInt(reg.Commodities, l.CommodityNumber) {
		r.bad("commodityNumber", "vare %d finnes ikke i systemeiers database", l.CommodityNumber)
	}
	l.SerialNumber, _ = r.integer(m, "serialNumber", 2, true)
	r.decimal(m, "price")
	r.decimal(m, "quantity")
	l.Amount, _ = r.decimal(m, "amount")
	if v, given := m["internalInvoice"]; given && v != nil {
		if _, isBool := v.(bool); !isBool {
			r.bad("internalInvoice", "skal være true eller false")
		}
	}
	account := false
	for i := 1; i <= 10; i++ {
		if a, _ := r.text(m, "accountId"+strconv.Itoa(i), 12, false); a != "" {
			account = true
		}
	}
	if _, given := m["vatCode"]; given {
		if n, ok := r.integer(m, "vatCode", 3, false); ok && !containsInt(reg.VATCodes, n) {
			r.bad("vatCode", "mva-kode %d finnes ikke i systemeiers database", n)
		}
	} else if account {
		r.bad("vatCode", "påkrevd når en konteringsdimensjon er overstyrt")
	}
	r.text(m, "profile", 20, false)
	r.text(m, "yourRef", 40, false)
	r.text(m, "orderRef", 20, false)
	switch ts := m["lineText"].(type) {
	case nil:
	case []any:
		if len(ts) > 99 {
			r.bad("lineText", "høyst 99 fritekstlinjer")
			break
		}
		for i, t := range ts {
			s, isText := t.(string)
			if !isText || utf8.RuneCountInString(s) > 60 {
				r.bad("lineText", "linje %d: tekst på høyst 60 tegn", i+1)
			}
		}
	default:
		r.bad("lineText", "skal være en liste av tekster")
	}
	r.text(m, "bankAccount", maxText, false)
	return l
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
