package sandbox

import (
	"math"
	"slices"
	"strings"
)

// The export side of an agreement: the lists a front system's invoices are
// paired against, and what the export writes (customers, products, draft
// and booked invoices, journal vouchers with their files). Field names and
// rules come from e-conomic's documentation (see export.go); the values are
// demo data of a Danish company, the same for every demo agreement.

// account is an account of the chart, as far as the export needs it.
type account struct {
	number  int64
	name    string
	vatCode string // the VAT account its entries carry, "" for none
}

type vatAccount struct {
	code, name    string
	rate          float64
	vatType       int64
	vatTypeName   string
	account       int64
	contraAccount int64 // 0 when none
}

type vatZone struct {
	number int64
	name   string
}

// productGroup is a product group with its sales account per VAT zone
// (GET /product-groups/{n}/sales-accounts).
type productGroup struct {
	number int64
	name   string
	sales  map[int64]int64 // VAT zone → sales account
}

type product struct {
	number      string
	name        string
	description string
	group       int64
	salesPrice  float64
	costPrice   float64
	unit        int64
	barred      bool
}

type unit struct {
	number int64
	name   string
}

// paymentTerm kinds are e-conomic's paymentTermsType values.
type paymentTerm struct {
	number int64
	name   string
	kind   string
	days   int64
}

type layout struct {
	number int64
	name   string
}

type customerGroup struct {
	number  int64
	name    string
	account int64
	layout  int64
}

type customer struct {
	number                                int64
	name, cvr, address, zip, city         string
	country, currency, email, ean, vatNum string
	group, terms, zone, layout            int64
	barred                                bool
}

type journal struct {
	number       int64
	name         string
	restrictedTo string // an entry type, "" for any
	contra       int64  // default contra account of payments and finance vouchers
}

// invoiceLine is a draft's line as it was posted, with what the sandbox
// computes for it.
type invoiceLine struct {
	lineNumber, sortKey int64
	product             string
	description         string
	quantity, price     float64
	discount            float64
	unit                int64
}

// draft is a draft invoice (also kept, once booked, as the booked
// invoice's content).
type draft struct {
	number                int64
	date, dueDate         string
	currency              string
	exchangeRate          float64
	customer              int64
	layout, terms         int64
	recipientName         string
	recipientAddress      string
	recipientZip          string
	recipientCity         string
	recipientCountry      string
	recipientZone         int64
	heading, text1, text2 string
	other                 string
	lines                 []invoiceLine
}

// voucherEntry is a manual customer invoice entry of a journal voucher.
type voucherEntry struct {
	customer        int64
	contraAccount   int64
	contraVatCode   string
	customerInvoice int64
	text            string
	amount          float64
	currency        string
	date, dueDate   string
}

// attachment is a journal voucher's file.
type attachment struct {
	data      []byte
	pdf       bool
	pages     int
	createdAt string
}

type journalVoucher struct {
	journal int64
	year    string
	number  int64
	entries []voucherEntry
	file    *attachment
}

// books is the export side of one agreement.
type books struct {
	accounts       []account
	vatAccounts    []vatAccount
	vatZones       []vatZone
	productGroups  []productGroup
	products       []*product
	units          []unit
	paymentTerms   []paymentTerm
	layouts        []layout
	customerGroups []customerGroup
	customers      []*customer
	journals       []journal
	currencies     map[string]float64 // code → cost in DKK of 100 units
	drafts         []*draft
	nextDraft      int64
	// bookedDrafts keeps the content of the invoices booked through the
	// API, by booked invoice number.
	bookedDrafts map[int64]*draft
	vouchers     []*journalVoucher
}

// Demo values of the export side, named for the tests and the demo.
const (
	// VatZoneDomestic, VatZoneEU and VatZoneAbroad are the seeded VAT zones.
	VatZoneDomestic int64 = 1
	VatZoneEU       int64 = 2
	VatZoneAbroad   int64 = 3
	// JournalDaily is journal 1, "Daily", as the seed (001) names it.
	JournalDaily int64 = 1
)

func seedBooks() *books {
	return &books{
		accounts: []account{
			{1010, "Salg af varer, indland", "U25"}, {1011, "Salg af varer, EU", "UEUV"}, {1012, "Salg af varer, udland", ""},
			{1020, "Salg af ydelser, indland", "U25"}, {1021, "Salg af ydelser, EU", "UEUY"}, {1022, "Salg af ydelser, udland", ""},
			{1030, "Momsfrit salg", ""},
			{5600, "Debitorer, indland", ""}, {5610, "Debitorer, udland", ""}, {5820, "Bank", ""},
			{7250, "Købsmoms", ""}, {7260, "Salgsmoms", ""}, {7270, "Moms af varekøb i EU", ""},
		},
		vatAccounts: []vatAccount{
			{"U25", "Salgsmoms 25%", 25, 1, "Salgsmoms", 7260, 0},
			{"UEUV", "Salg af varer til andre EU-lande", 0, 1, "Salgsmoms", 7260, 0},
			{"UEUY", "Salg af ydelser til andre EU-lande", 0, 1, "Salgsmoms", 7260, 0},
			{"I25", "Købsmoms 25%", 25, 2, "Købsmoms", 7250, 0},
			{"IV25", "Moms af varekøb i EU", 25, 3, "Erhvervelsesmoms", 7270, 7250},
		},
		vatZones: []vatZone{{VatZoneDomestic, "Domestic"}, {VatZoneEU, "EU"}, {VatZoneAbroad, "Abroad"}},
		// The seed (001): product groups named (numbered) after the
		// front system's sales accounts.
		productGroups: []productGroup{
			{1, "1010 Salg af varer", map[int64]int64{VatZoneDomestic: 1010, VatZoneEU: 1011, VatZoneAbroad: 1012}},
			{2, "1020 Salg af ydelser", map[int64]int64{VatZoneDomestic: 1020, VatZoneEU: 1021, VatZoneAbroad: 1022}},
			{3, "1030 Momsfrit salg", map[int64]int64{VatZoneDomestic: 1030, VatZoneEU: 1030, VatZoneAbroad: 1030}},
		},
		products: []*product{
			{number: "1", name: "Fragt", group: 2, salesPrice: 500, unit: 1},
			{number: "2", name: "Emballage", group: 1, salesPrice: 25, unit: 1},
			{number: "99", name: "Udgået vare", group: 1, salesPrice: 10, unit: 1, barred: true},
		},
		units: []unit{{1, "stk."}, {2, "timer"}, {3, "km"}},
		// Net days and "current month + N" (invoiceMonth) side by side:
		// 30 net days is not "løbende måned + 30".
		paymentTerms: []paymentTerm{
			{1, "Netto 8 dage", "net", 8}, {2, "Netto 14 dage", "net", 14}, {3, "Netto 30 dage", "net", 30},
			{4, "Løbende måned + 30 dage", "invoiceMonth", 30}, {5, "Løbende måned + 15 dage", "invoiceMonth", 15},
			{6, "Kontant", "paidInCash", 0}, {7, "Forfaldsdato", "dueDate", 0},
		},
		layouts:        []layout{{1, "Standard"}, {2, "Standard (engelsk)"}},
		customerGroups: []customerGroup{{1, "Indenlandske kunder", 5600, 1}, {2, "Udenlandske kunder", 5610, 2}},
		customers: []*customer{
			{number: 1, name: "Fjordfragt A/S", cvr: "12345674", address: "Havnegade 4", zip: "8000", city: "Aarhus C", country: "Danmark",
				currency: "DKK", group: 1, terms: 3, zone: VatZoneDomestic, layout: 1},
			{number: 2, name: "Hamburg Spedition GmbH", address: "Kaistraße 9", zip: "20457", city: "Hamburg", country: "Tyskland",
				currency: "EUR", vatNum: "DE123456789", group: 2, terms: 3, zone: VatZoneEU, layout: 2},
		},
		journals:     []journal{{JournalDaily, "Daily", "", 5820}, {2, "Bank", "customerPayment", 5820}},
		currencies:   map[string]float64{"DKK": 100, "EUR": 746, "SEK": 68, "NOK": 65, "USD": 690, "GBP": 870},
		nextDraft:    1,
		bookedDrafts: map[int64]*draft{},
	}
}

func (b *books) account(n int64) *account {
	for i := range b.accounts {
		if b.accounts[i].number == n {
			return &b.accounts[i]
		}
	}
	return nil
}

func (b *books) vatAccount(code string) *vatAccount {
	for i := range b.vatAccounts {
		if strings.EqualFold(b.vatAccounts[i].code, code) {
			return &b.vatAccounts[i]
		}
	}
	return nil
}

func (b *books) vatZone(n int64) *vatZone {
	for i := range b.vatZones {
		if b.vatZones[i].number == n {
			return &b.vatZones[i]
		}
	}
	return nil
}

func (b *books) productGroup(n int64) *productGroup {
	for i := range b.productGroups {
		if b.productGroups[i].number == n {
			return &b.productGroups[i]
		}
	}
	return nil
}

func (b *books) product(n string) *product {
	for _, p := range b.products {
		if p.number == n {
			return p
		}
	}
	return nil
}

func (b *books) unit(n int64) *unit {
	for i := range b.units {
		if b.units[i].number == n {
			return &b.units[i]
		}
	}
	return nil
}

func (b *books) paymentTerm(n int64) *paymentTerm {
	for i := range b.paymentTerms {
		if b.paymentTerms[i].number == n {
			return &b.paymentTerms[i]
		}
	}
	return nil
}

func (b *books) layout(n int64) *layout {
	for i := range b.layouts {
		if b.layouts[i].number == n {
			return &b.layouts[i]
		}
	}
	return nil
}

func (b *books) customerGroup(n int64) *customerGroup {
	for i := range b.customerGroups {
		if b.customerGroups[i].number == n {
			return &b.customerGroups[i]
		}
	}
	return nil
}

func (b *books) customer(n int64) *customer {
	for _, c := range b.customers {
		if c.number == n {
			return c
		}
	}
	return nil
}

func (b *books) journal(n int64) *journal {
	for i := range b.journals {
		if b.journals[i].number == n {
			return &b.journals[i]
		}
	}
	return nil
}

func (b *books) draft(n int64) *draft {
	for _, d := range b.drafts {
		if d.number == n {
			return d
		}
	}
	return nil
}

func (b *books) voucher(journal int64, year string, n int64) *journalVoucher {
	for _, v := range b.vouchers {
		if v.journal == journal && v.year == year && v.number == n {
			return v
		}
	}
	return nil
}

// round2 rounds to cents, half away from zero.
func round2(x float64) float64 { return math.Round(x*100) / 100 }

// lineTotals is what e-conomic computes for a line: its net amount, and
// its VAT from the sales account its product's group has for the
// recipient's VAT zone (invoice lines carry no VAT code).
func (b *books) lineTotals(l invoiceLine, zone int64) (net, vat, rate float64, sales int64) {
	net = round2(l.quantity * l.price * (1 - l.discount/100))
	if p := b.product(l.product); p != nil {
		if g := b.productGroup(p.group); g != nil {
			sales = g.sales[zone]
			if a := b.account(sales); a != nil && a.vatCode != "" {
				if va := b.vatAccount(a.vatCode); va != nil {
					rate = va.rate
				}
			}
		}
	}
	return net, round2(net * rate / 100), rate, sales
}

// totals of a draft in its currency.
func (b *books) totals(d *draft) (net, vat float64) {
	for _, l := range d.lines {
		n, v, _, _ := b.lineTotals(l, d.recipientZone)
		net += n
		vat += v
	}
	return round2(net), round2(vat)
}

func (b *books) nextCustomerNumber() int64 {
	n := int64(0)
	for _, c := range b.customers {
		n = max(n, c.number)
	}
	return n + 1
}

// sortedCustomers, by number.
func (b *books) sortedCustomers() []*customer {
	out := slices.Clone(b.customers)
	slices.SortFunc(out, func(x, y *customer) int { return int(x.number - y.number) })
	return out
}
