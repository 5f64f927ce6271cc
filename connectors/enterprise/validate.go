package enterprise

import (
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Finding is one thing wrong with an uploaded order: where (the order's
// line, 1-based, 0 for the order itself; the field by its JSON name,
// "customer." before a customer field; Index for the n-th lineText) and what.
type Finding struct {
	Line  int
	Field string
	Index int
	Code  string
	// Arg fills the text's %s: a bound, the expected value, a row.
	Arg string
	// Warning does not keep the order from being sent.
	Warning bool
}

// The finding codes; the catalogue has "enterprise.import.<code>".
const (
	CodeRequired      = "required"
	CodeTooLong       = "too_long"       // Arg: the most characters
	CodeDigits        = "digits"         // Arg: the most digits
	CodeTextExpected  = "text_expected"  // a number where leading zeros would be lost
	CodeWrongType     = "wrong_type"     // an object, list or boolean where a value belongs
	CodeTwoChars      = "two_chars"      // externalSystem: exactly two characters
	CodeDivision      = "division"       // division is always 0
	CodeDecimal       = "decimal"        // not -999999999.99…999999999.99 with at most two decimals
	CodeBoolean       = "boolean"        // not true/false
	CodeEmail         = "email"          // no @, something, a point, something
	CodeEmailTwice    = "email_twice"    // eMailAddress and emailAddress both given
	CodeNation        = "nation"         // not an ISO 3166-1 alpha-2 code
	CodeNationMissing = "nation_missing" // warning: read as Norway
	CodeZip           = "zip"            // Norwegian postcode: four digits
	CodeZipRequired   = "zip_required"   // Norwegian customer without a postcode
	CodeForeignZip    = "foreign_zip"    // foreign customer without foreignZipCode
	CodePhone         = "phone"          // not digits, spaces and a leading +
	CodeVATRequired   = "vat_required"   // an account is set but no vatCode
	CodeNotInList     = "not_in_list"    // not among the codes the connection lists
	CodeAmount        = "amount"         // warning: Arg is price × quantity
	CodeSerialTwice   = "serial_twice"   // Arg: the other order and line
	CodeSentBefore    = "sent_before"    // warning; Arg: the upload, order and line that sent it
	CodeTooManyTexts  = "too_many_texts" // Arg: 99
	CodeMismatch      = "mismatch"       // Arg: the connection's value
	CodeUnknownField  = "unknown_field"
	CodeRowsDiffer    = "rows_differ"  // Arg: the CSV row
	CodeNoLines       = "no_lines"     // warning
	CodeBankAccount   = "bank_account" // warning: not a Norwegian account number
)

// Rules is what a connection adds to the seed's field rules: its company
// and system code, and the codes it knows to exist (nil: not checked; only
// Enterprise itself knows them then).
type Rules struct {
	// System is the connection's externalSystem; an order without one gets
	// it, an order with another is refused.
	System string
	// Company likewise; 0 is none.
	Company     int
	Principals  map[int]bool
	Commodities map[int]bool
	VATCodes    map[int]bool
	Accounts    map[string]bool
}

// Checked is one uploaded order, validated.
type Checked struct {
	// Order is what is sent; meaningful when OK.
	Order    Order
	Findings []Finding
	// serials are its lines' serial keys, by line; the zero key where a
	// field of it could not be read.
	serials []serialKey
}

// serialKey is what Enterprise takes once per customer: "if a basis with
// the same principal / commodity / serial number already exists on the
// customer, the new one is refused". The company is part of it because
// each Enterprise company has its own customers.
type serialKey struct {
	company              int
	customer             string
	principal, commodity int
	serial               int
}

// OK reports whether nothing but warnings was found.
func (c Checked) OK() bool {
	for _, f := range c.Findings {
		if !f.Warning {
			return false
		}
	}
	return true
}

// Text lengths of the seed's field tables ("n tegn alfa").
const (
	lenOrderID   = 16
	lenName      = 40
	lenForeign   = 10
	lenPhone     = 20
	lenEmail     = 40
	lenAccount   = 12
	lenProfile   = 20
	lenYourRef   = 40
	lenOrderRef  = 20
	lenLineText  = 60
	lenCustomer  = 11
	digitsComp   = 4
	digitsPrinc  = 3
	digitsCommod = 4
	digitsSerial = 2
	digitsVAT    = 3
)

// ParseJSON reads and validates a JSON upload: one order object, or a list.
func ParseJSON(data []byte, r Rules) ([]Checked, error) {
	raws, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	return ValidateAll(raws, r), nil
}

// ParseCSV reads and validates a CSV upload.
func ParseCSV(data []byte, r Rules) ([]Checked, error) {
	raws, err := parseCSV(data)
	if err != nil {
		return nil, err
	}
	return ValidateAll(raws, r), nil
}

// ValidateAll validates every order and then what only the upload as a
// whole shows: a serial number used twice for one customer, principal and
// commodity, which Enterprise refuses. The repeat is looked for in every
// order, whatever else is wrong with it, so that every finding shows at
// once; only a line whose key could not be read is left out.
func ValidateAll(raws []rawOrder, r Rules) []Checked {
	out := make([]Checked, len(raws))
	seen := map[serialKey]string{}
	for i, raw := range raws {
		out[i] = validate(raw, r)
		for j, k := range out[i].serials {
			if k == (serialKey{}) {
				continue
			}
			if prev, dup := seen[k]; dup {
				out[i].Findings = append(out[i].Findings, Finding{Line: j + 1, Field: "serialNumber", Code: CodeSerialTwice, Arg: prev})
				continue
			}
			seen[k] = orderName(out[i].Order, i) + " / " + strconv.Itoa(j+1)
		}
	}
	return out
}

// orderName is how a finding names the i-th order of an upload: its
// orderId, or its place when it has none that could be read.
func orderName(o Order, i int) string {
	if o.OrderID != "" {
		return o.OrderID
	}
	return "#" + strconv.Itoa(i+1)
}

// checker gathers the findings of one order.
type checker struct {
	findings []Finding
	line     int
}

func (c *checker) add(field, code, arg string) {
	c.findings = append(c.findings, Finding{Line: c.line, Field: field, Code: code, Arg: arg})
}

func (c *checker) warn(field, code, arg string) {
	c.findings = append(c.findings, Finding{Line: c.line, Field: field, Code: code, Arg: arg, Warning: true})
}

// text reads a string field of at most max characters; numbers are
// refused where leading zeros matter (strict), else read as typed.
func (c *checker) text(v value, field string, max int, required, strict bool) string {
	switch {
	case !v.set():
		if required {
			c.add(field, CodeRequired, "")
		}
		return ""
	case v.kind == kOther || v.kind == kBool:
		c.add(field, CodeWrongType, "")
		return ""
	case v.kind == kNumber && strict:
		c.add(field, CodeTextExpected, "")
		return ""
	case utf8.RuneCountInString(v.text) > max:
		c.add(field, CodeTooLong, strconv.Itoa(max))
		return ""
	}
	return v.text
}

// integer reads a non-negative whole number of at most max digits.
func (c *checker) integer(v value, field string, max int, required bool) (int, bool) {
	switch {
	case !v.set():
		if required {
			c.add(field, CodeRequired, "")
		}
		return 0, false
	case v.kind == kOther || v.kind == kBool:
		c.add(field, CodeWrongType, "")
		return 0, false
	case !digitsOnly(v.text) || len(v.text) > max:
		c.add(field, CodeDigits, strconv.Itoa(max))
		return 0, false
	}
	n, _ := strconv.Atoi(v.text)
	return n, true
}

func (c *checker) decimal(v value, field string) (Decimal, bool) {
	switch {
	case !v.set():
		c.add(field, CodeRequired, "")
		return 0, false
	case v.kind == kOther || v.kind == kBool:
		c.add(field, CodeWrongType, "")
		return 0, false
	}
	d, ok := parseDecimal(v.text)
	if !ok {
		c.add(field, CodeDecimal, "")
	}
	return d, ok
}

func validate(raw rawOrder, r Rules) Checked {
	c := &checker{findings: append([]Finding(nil), raw.findings...)}
	var o Order

	// Top level.
	sys := raw.top["externalSystem"]
	if !sys.set() && r.System != "" {
		sys = value{text: r.System, kind: kString}
	}
	// "2 tegn alfa": the seed's alfa is any text, not letters only (its
	// "alfa" orderId has the example 12345-A2), so any two characters.
	if s := c.text(sys, "externalSystem", 2, true, false); s != "" {
		switch {
		case utf8.RuneCountInString(s) != 2:
			c.add("externalSystem", CodeTwoChars, "")
		case r.System != "" && s != r.System:
			c.add("externalSystem", CodeMismatch, r.System)
		default:
			o.ExternalSystem = s
		}
	}
	comp := raw.top["company"]
	if !comp.set() && r.Company > 0 {
		comp = value{text: strconv.Itoa(r.Company), kind: kNumber}
	}
	if n, ok := c.integer(comp, "company", digitsComp, true); ok {
		if r.Company > 0 && n != r.Company {
			c.add("company", CodeMismatch, strconv.Itoa(r.Company))
		}
		o.Company = n
	}
	// division: "not in use, always 0"; an order without it gets 0.
	if div := raw.top["division"]; div.set() {
		if n, ok := c.integer(div, "division", 1, true); ok && n != 0 {
			c.add("division", CodeDivision, "")
		}
	}
	o.OrderID = c.text(raw.top["orderId"], "orderId", lenOrderID, true, false)

	switch {
	case raw.customerOK:
		o.Customer = checkCustomer(c, raw.customer)
	case !hasFinding(c.findings, "customer"):
		c.add("customer", CodeRequired, "")
	}

	o.OrderLines = make([]Line, 0, len(raw.lines))
	serials := make([]serialKey, len(raw.lines))
	for i, rl := range raw.lines {
		c.line = i + 1
		l, keyRead := checkLine(c, rl, r)
		o.OrderLines = append(o.OrderLines, l)
		if keyRead && o.Customer.CustomerNumber != "" {
			serials[i] = serialKey{o.Company, o.Customer.CustomerNumber, l.PrincipalNumber, l.CommodityNumber, l.SerialNumber}
		}
	}
	c.line = 0
	if len(raw.lines) == 0 {
		c.warn("orderLines", CodeNoLines, "")
	}
	return Checked{Order: o, Findings: c.findings, serials: serials}
}

func checkCustomer(c *checker, m map[string]value) Customer {
	var cu Customer
	const p = "customer."
	// customerNumber: "String to keep the leading zeros of a birth number,
	// numeric in the database": digits only, kept as typed.
	if n := c.text(m["customerNumber"], p+"customerNumber", lenCustomer, true, true); n != "" {
		if !digitsOnly(n) {
			c.add(p+"customerNumber", CodeDigits, strconv.Itoa(lenCustomer))
		} else {
			cu.CustomerNumber = n
		}
	}
	cu.Name = c.text(m["name"], p+"name", lenName, false, false)
	cu.Address1 = c.text(m["address1"], p+"address1", lenName, false, false)
	cu.Address2 = c.text(m["address2"], p+"address2", lenName, false, false)
	cu.Address3 = c.text(m["address3"], p+"address3", lenName, false, false)
	cu.Address4 = c.text(m["address4"], p+"address4", lenName, false, false)
	cu.Address5 = c.text(m["address5"], p+"address5", lenName, false, false)

	nation := m["nationCode"]
	norway := true
	if nation.set() {
		n := c.text(nation, p+"nationCode", 2, false, false)
		switch {
		case n == "":
		case !isNation(n):
			c.add(p+"nationCode", CodeNation, "")
		default:
			cu.NationCode = n
			norway = n == "NO"
		}
	} else {
		// "Norwegian customers shall always have NO": an order without a
		// nation code is read as Norwegian, and the analyst is told.
		c.warn(p+"nationCode", CodeNationMissing, "")
	}
	cu.ZipCode = checkZip(c, m["zipCode"], norway)
	cu.ForeignZipCode = c.text(m["foreignZipCode"], p+"foreignZipCode", lenForeign, false, false)
	if !norway && cu.ForeignZipCode == "" && !m["foreignZipCode"].set() {
		c.add(p+"foreignZipCode", CodeForeignZip, "")
	}
	cu.CellPhone = cellPhoneAsText(c, m["cellPhone"])
	cu.BankAccount = checkBankAccount(c, m["bankAccount"])
	if e := c.text(m[emailField], p+emailField, lenEmail, false, false); e != "" {
		if !emailOK(e) {
			c.add(p+emailField, CodeEmail, "")
		} else {
			cu.EMailAddress = e
		}
	}
	return cu
}

// checkZip reads the Norwegian postcode. The seed types zipCode Integer
// ("4 tegn num") while Norwegian postcodes such as 0277 begin with a zero
// (contradiction 2 of the README): Bilag keeps it as four digits of text,
// sends it as a JSON string so the zero is never lost in Bilag's own
// records, and reads a JSON number by padding it to four digits. Its
// occurrence is 1 but it "is used for customers with a Norwegian address"
// (contradiction 3): required for Norwegian customers only.
func checkZip(c *checker, v value, norway bool) string {
	const f = "customer.zipCode"
	switch {
	case !v.set():
		if norway {
			c.add(f, CodeZipRequired, "")
		}
		return ""
	case v.kind == kOther || v.kind == kBool:
		c.add(f, CodeWrongType, "")
		return ""
	case !digitsOnly(v.text) || v.text == "" || len(v.text) > 4 || (v.kind == kString && len(v.text) != 4):
		c.add(f, CodeZip, "")
		return ""
	}
	z := v.text
	for len(z) < 4 {
		z = "0" + z
	}
	return z
}

// cellPhoneAsText: the seed types cellPhone Integer but describes it as
// "20 tegn alfa", and its example sends "004798000001" as a string
// (contradiction 4 of the README). Bilag keeps text of at most 20
// characters, digits and spaces with an optional leading +, so 00 prefixes
// survive; a JSON number is read as its digits.
func cellPhoneAsText(c *checker, v value) string {
	const f = "customer.cellPhone"
	s := c.text(v, f, lenPhone, false, false)
	if s == "" {
		return ""
	}
	body := strings.TrimPrefix(s, "+")
	ok := body != ""
	for _, r := range body {
		if (r < '0' || r > '9') && r != ' ' {
			ok = false
		}
	}
	if !ok {
		c.add(f, CodePhone, "")
		return ""
	}
	return s
}

// checkBankAccount reads bankAccount, which the seed's version log adds
// in 1.2 ("New field bankAccount") while no field table describes it: not
// its level, type or format. Bilag reads it at the customer level (the
// only party an order describes), keeps it as typed, and checks it as a
// Norwegian account number, 11 digits whose last is a modulus-11 check
// digit. That is an inference, so a value that fails it is a warning and
// is sent all the same; only a value that is no text at all is refused.
func checkBankAccount(c *checker, v value) string {
	const f = "customer.bankAccount"
	switch {
	case !v.set():
		return ""
	case v.kind == kOther || v.kind == kBool:
		c.add(f, CodeWrongType, "")
		return ""
	}
	if !norwegianAccount(v.text) {
		c.warn(f, CodeBankAccount, "")
	}
	return v.text
}

// norwegianAccount: 11 digits, the last the check digit of the first ten
// weighted 5, 4, 3, 2, 7, 6, 5, 4, 3, 2 (modulus 11). A remainder of 0
// gives the check digit 0; one that would need the check digit 10 is
// never issued.
func norwegianAccount(s string) bool {
	if len(s) != 11 || !digitsOnly(s) {
		return false
	}
	weights := [10]int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2}
	sum := 0
	for i, w := range weights {
		sum += int(s[i]-'0') * w
	}
	check := (11 - sum%11) % 11
	return check != 10 && int(s[10]-'0') == check
}

// emailOK is the seed's rule: an @, at least one character after it, then
// a point, then at least one more character. Bilag also wants something
// before the @ and no spaces.
func emailOK(e string) bool {
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || strings.ContainsAny(e, " \t") || strings.Contains(domain, "@") {
		return false
	}
	dot := strings.LastIndex(domain, ".")
	return dot >= 1 && dot < len(domain)-1
}

// checkLine reads one order line; keyRead says whether its principal,
// commodity and serial number could be read (a code not in the
// connection's lists is still read: it is the same line twice all the same).
func checkLine(c *checker, rl rawLine, r Rules) (l Line, keyRead bool) {
	f := rl.fields
	okP, okC, okS := false, false, false
	if l.PrincipalNumber, okP = c.integer(f["principalNumber"], "principalNumber", digitsPrinc, true); okP && r.Principals != nil && !r.Principals[l.PrincipalNumber] {
		c.add("principalNumber", CodeNotInList, "")
	}
	if l.CommodityNumber, okC = c.integer(f["commodityNumber"], "commodityNumber", digitsCommod, true); okC && r.Commodities != nil && !r.Commodities[l.CommodityNumber] {
		c.add("commodityNumber", CodeNotInList, "")
	}
	l.SerialNumber, okS = c.integer(f["serialNumber"], "serialNumber", digitsSerial, true)
	keyRead = okP && okC && okS
	price, okP := c.decimal(f["price"], "price")
	qty, okQ := c.decimal(f["quantity"], "quantity")
	amount, okA := c.decimal(f["amount"], "amount")
	l.Price, l.Quantity, l.Amount = price, qty, amount
	if okP && okQ && okA {
		// price × quantity in ten-thousandths, exactly (it may pass int64).
		want := new(big.Int).Mul(big.NewInt(int64(price)), big.NewInt(int64(qty)))
		got := new(big.Int).Mul(big.NewInt(int64(amount)), big.NewInt(100))
		diff := new(big.Int).Sub(want, got)
		if diff.Abs(diff).Cmp(big.NewInt(100)) > 0 {
			c.warn("amount", CodeAmount, productText(want))
		}
	}
	if v := f["internalInvoice"]; v.set() {
		switch {
		case v.kind == kOther || v.kind == kNumber:
			c.add("internalInvoice", CodeBoolean, "")
		case strings.EqualFold(v.text, "true"):
			t := true
			l.InternalInvoice = &t
		case strings.EqualFold(v.text, "false"):
			t := false
			l.InternalInvoice = &t
		default:
			c.add("internalInvoice", CodeBoolean, "")
		}
	}
	anyAccount := false
	for i, p := range l.accounts() {
		name := "accountId" + strconv.Itoa(i+1)
		if *p = c.text(f[name], name, lenAccount, false, true); *p != "" {
			anyAccount = true
			if r.Accounts != nil && !r.Accounts[*p] {
				c.add(name, CodeNotInList, "")
			}
		}
	}
	if v := f["vatCode"]; v.set() {
		if n, ok := c.integer(v, "vatCode", digitsVAT, false); ok {
			l.VATCode = &n
			if r.VATCodes != nil && !r.VATCodes[n] {
				c.add("vatCode", CodeNotInList, "")
			}
		}
	} else if anyAccount {
		c.add("vatCode", CodeVATRequired, "")
	}
	l.Profile = c.text(f["profile"], "profile", lenProfile, false, false)
	l.YourRef = c.text(f["yourRef"], "yourRef", lenYourRef, false, false)
	l.OrderRef = c.text(f["orderRef"], "orderRef", lenOrderRef, false, false)
	switch {
	case rl.textsKind == kOther:
		c.add("lineText", CodeWrongType, "")
	case len(rl.texts) > maxTexts:
		c.add("lineText", CodeTooManyTexts, strconv.Itoa(maxTexts))
	default:
		for i, t := range rl.texts {
			if t.kind != kString {
				c.findings = append(c.findings, Finding{Line: c.line, Field: "lineText", Index: i + 1, Code: CodeWrongType})
				continue
			}
			if utf8.RuneCountInString(t.text) > lenLineText {
				c.findings = append(c.findings, Finding{Line: c.line, Field: "lineText", Index: i + 1, Code: CodeTooLong, Arg: strconv.Itoa(lenLineText)})
				continue
			}
			l.LineText = append(l.LineText, t.text)
		}
	}
	return l, keyRead
}

// productText writes price × quantity (in ten-thousandths) rounded to
// hundredths, for the warning.
func productText(tenThousandths *big.Int) string {
	q, m := new(big.Int).QuoRem(tenThousandths, big.NewInt(100), new(big.Int))
	// Round half away from zero.
	if new(big.Int).Abs(m).Cmp(big.NewInt(50)) >= 0 {
		if tenThousandths.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	if !q.IsInt64() || q.Int64() > maxDecimal || q.Int64() < -maxDecimal {
		return q.String()
	}
	return Decimal(q.Int64()).String()
}

func hasFinding(fs []Finding, field string) bool {
	for _, f := range fs {
		if f.Field == field {
			return true
		}
	}
	return false
}
