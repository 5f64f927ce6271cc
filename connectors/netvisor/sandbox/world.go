package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Org is a company in Netvisor, found by its business id (Y-tunnus).
type Org struct {
	ID, Name string
	// NoAPI: the company's Netvisor package lacks the API.
	NoAPI    bool
	Vouchers []*Voucher
	Purchase map[int]*PurchaseInvoice
	Sales    map[int]*SalesInvoice
	// Customers and Products are the registers an import links to.
	Customers []NVCustomer
	Products  []Product
	// Orders are sales orders salesorderinvoicing.nv delivers.
	Orders map[int]*SalesOrder
}

// NVCustomer is a customer of the company's customer register.
type NVCustomer struct {
	Key               int
	Code, Name, OrgNr string
}

// Product is a product of the company's product register.
type Product struct {
	Key        int
	Code, Name string
	// UnitPrice is the net price in cents.
	UnitPrice int64
	Deleted   bool
}

// SalesOrder is a sales order with its lines' keys.
type SalesOrder struct {
	Key, CustomerKey int
	Number           string
	// Status is undelivered, delivered or billed.
	Status string
	Lines  []int
	// Date, Customer and Items are what getorder.nv shows of it; Invoices
	// the keys of the sales invoices made from it (includedocuments=1).
	Date     time.Time
	Customer string
	Items    []OrderItem
	Invoices []int
}

// OrderItem is one product line of an order; prices in cents.
type OrderItem struct {
	Key                      int
	ProductCode, Name        string
	UnitPrice, VatSum, Sum   int64
	VatPercent, VatCode, Qty string
}

// Voucher is one accounting voucher.
type Voucher struct {
	Key    int
	Date   time.Time
	Number int
	Text   string
	// Class is the voucher class's English name; Finnish and Swedish
	// answers use classNames.
	Class string
	// Status is "valid", "invalidated" or "deleted".
	Status string
	// LinkType is "purchaseinvoice" or "salesinvoice" and LinkKey the
	// invoice's NetvisorKey, when the voucher was booked from one.
	LinkType    string
	LinkKey     int
	Lines       []Line
	Attachments []*File
	Modified    time.Time
}

// Line is one voucher line; Sum is in cents, positive for debit.
type Line struct {
	Account string
	Sum     int64
	Text    string
	Vat     int
	// Dimensions are the line's Dimension elements (accountingledger.nv:
	// DimensionName, DimensionItem; rantalainen/netvisor-api-client
	// src/interfaces/accounting.ts AccountingLedgerVoucherLine).
	Dimensions []LineDimension
}

// LineDimension is a dimension a line is booked on: the dimension's name
// as the company named it and the item's.
type LineDimension struct{ Name, Item string }

// PurchaseInvoice is a purchase invoice with the image Netvisor keeps of it.
type PurchaseInvoice struct {
	Key            int
	Number, Vendor string
	Date           time.Time
	Amount         int64
	Image          *File
}

// SalesInvoice is a sales invoice with its PDF.
type SalesInvoice struct {
	Key              int
	Number, Customer string
	Date             time.Time
	// DueDate is when it falls due (getsalesinvoice.nv's
	// SalesInvoiceDueDate; the list has none).
	DueDate time.Time
	Amount  int64
	PDF     *File
	// Status is the seed's code: open, overdue, reminded, requested,
	// collected, paid, unsent, creditloss or rejected.
	Status         string
	CustomerCode   string
	Reference      string
	PrivateComment string
	// OpenSum is what is unpaid, in cents.
	OpenSum  int64
	Modified time.Time
	// Lines are the imported product lines; Attachments the files.
	Lines       []SalesLine
	Attachments []Attachment
	// Comments is the processing history salesinvoicecomment.nv adds to.
	Comments []string
	// Orders are the keys of the orders the invoice was made from
	// (getsalesinvoice.nv's documents, includedocuments=1).
	Orders []int
}

// SalesLine is an imported product line.
type SalesLine struct {
	ProductCode, Name, VatCode string
	VatPercent, UnitPrice      string
	Quantity                   string
	VatSum, LineSum            int64
}

// Attachment is a file imported with an invoice.
type Attachment struct {
	MimeType, Description, FileName, Type string
	Data                                  []byte
	PrintByDefault                        bool
}

// The demo world's business ids: valid Y-tunnus numbers (check digit
// right), unlike the reference's MAC example 1234567-8.
const (
	DemoOrgID  = "2876543-5"
	OtherOrgID = "1572864-3"
)

// DemoCustomer is the API identifiers the demo prints to paste: they reach
// the demo organisation only.
func DemoCustomer() Customer {
	return Customer{ID: "BILAG-DEMO-USER", Key: "demo-customer-key-2876543", Orgs: []string{DemoOrgID}}
}

// DemoOrg is a company of the demo world.
type DemoOrg struct{ ID, Name, Country string }

// DemoOrgs are the demo world's companies; the first has the vouchers.
func DemoOrgs() []DemoOrg {
	return []DemoOrg{{DemoOrgID, "Saaristo Puutyö Oy", "FI"}, {OtherOrgID, "Kaamos Design Oy", "FI"}}
}

// classNames are voucher classes in FI and SE, by their English name:
// Netvisor localises them with the interface language.
var classNames = map[string][2]string{
	"Purchase invoice": {"Ostolasku", "Inköpsfaktura"},
	"Sales invoice":    {"Myyntilasku", "Försäljningsfaktura"},
	"Memo voucher":     {"Muistiotosite", "Memorialverifikat"},
	"Bank statement":   {"Tiliote", "Kontoutdrag"},
	"Expense receipt":  {"Kulukuitti", "Utgiftskvitto"},
}

func (s *Sandbox) seed() {
	c := DemoCustomer()
	s.customers[c.ID] = &c
	c.Denied = map[string]bool{}
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	mod := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	a := &Org{ID: DemoOrgID, Name: "Saaristo Puutyö Oy", Purchase: map[int]*PurchaseInvoice{}, Sales: map[int]*SalesInvoice{}}
	a.Purchase[501] = &PurchaseInvoice{Key: 501, Number: "LR-88412", Vendor: "Lauttasaaren Rauta Oy", Date: day(2026, 1, 12), Amount: 30752,
		Image: pdfFile("ostolasku-LR-88412.pdf", "Lauttasaaren Rauta Oy", "Lasku LR-88412 · 12.1.2026", "Saaristo Puutyö Oy, Y-tunnus 2876543-5", "Ruuveja ja saranoita", "Yhteensä 307,52 EUR (sis. ALV 24 %)")}
	a.Purchase[502] = &PurchaseInvoice{Key: 502, Number: "2026-0391", Vendor: "Koivu & Mänty Sahat Oy", Date: day(2026, 2, 3), Amount: 186000,
		Image: pdfFile("ostolasku-2026-0391.pdf", "Koivu & Mänty Sahat Oy", "Lasku 2026-0391 · 3.2.2026", "Koivulautaa 22 x 100, 300 jm", "Yhteensä 1 860,00 EUR")}
	a.Sales[601] = &SalesInvoice{Key: 601, Number: "1041", Customer: "Helsingin Keittiötalo Oy", CustomerCode: "1001", Date: day(2026, 1, 20), DueDate: day(2026, 2, 3), Amount: 496000, Status: "paid", Reference: "10414", Modified: mod,
		PDF: pdfFile("myyntilasku-1041.pdf", "Saaristo Puutyö Oy", "Lasku 1041 · 20.1.2026", "Helsingin Keittiötalo Oy", "Tammiset keittiön ovet, 16 kpl", "Yhteensä 4 960,00 EUR")}
	a.Sales[602] = &SalesInvoice{Key: 602, Number: "1042", Customer: "Ravintola Särö", CustomerCode: "1002", Date: day(2026, 3, 2), DueDate: day(2026, 3, 16), Amount: 124000, Status: "open", OpenSum: 124000, Reference: "10427", Modified: mod,
		PDF: pdfFile("myyntilasku-1042.pdf", "Saaristo Puutyö Oy", "Lasku 1042 · 2.3.2026", "Ravintola Särö", "Baaritiski, korjaus", "Yhteensä 1 240,00 EUR")}
	// The invoice's own attachments (includeattachments=1): a timesheet
	// and a delivery note, as an invoice's sender attaches them.
	a.Sales[602].Attachments = []Attachment{
		{MimeType: "application/pdf", Description: "Tuntilista helmikuu", FileName: "tuntilista-1042.pdf", Data: pdfFile("tuntilista-1042.pdf", "Saaristo Puutyö Oy", "Tuntilista · Ravintola Särö", "Baaritiskin korjaus 16 h").Bytes()},
		{MimeType: "image/png", Description: "Lähete", FileName: "lahete-1042.png", Data: receiptPNG("lahete-1042.png", 1042).Bytes()},
	}
	// More sales invoices in the seed's statuses, so that the voucher page
	// and the unpaid/overdue filter show something: an advance invoice
	// overdue with its order not yet delivered (the order a person can
	// invoice from the portal), one reminded and part paid, one open and
	// not yet due.
	a.Sales[603] = &SalesInvoice{Key: 603, Number: "1043", Customer: "Turun Saunamestarit Oy", CustomerCode: "1003", Date: day(2026, 3, 12), DueDate: day(2026, 3, 26), Amount: 20000, Status: "overdue", OpenSum: 20000, Reference: "10430", Modified: mod,
		PDF: pdfFile("myyntilasku-1043.pdf", "Saaristo Puutyö Oy", "Ennakkolasku 1043 · 12.3.2026", "Turun Saunamestarit Oy", "Ennakko tilauksesta 5001", "Yhteensä 200,00 EUR")}
	a.Sales[604] = &SalesInvoice{Key: 604, Number: "1044", Customer: "Helsingin Keittiötalo Oy", CustomerCode: "1001", Date: day(2026, 4, 8), DueDate: day(2026, 4, 22), Amount: 74400, Status: "reminded", OpenSum: 34400, Reference: "10443", Modified: mod,
		PDF: pdfFile("myyntilasku-1044.pdf", "Saaristo Puutyö Oy", "Lasku 1044 · 8.4.2026", "Helsingin Keittiötalo Oy", "Tammiovet, 4 kpl", "Yhteensä 744,00 EUR")}
	a.Sales[605] = &SalesInvoice{Key: 605, Number: "1045", Customer: "Ravintola Särö", CustomerCode: "1002", Date: day(2026, 11, 27), DueDate: day(2027, 1, 29), Amount: 31250, Status: "open", OpenSum: 31250, Reference: "10456", Modified: mod,
		PDF: pdfFile("myyntilasku-1045.pdf", "Saaristo Puutyö Oy", "Lasku 1045 · 27.11.2026", "Ravintola Särö", "Asennustyö 5 h", "Yhteensä 312,50 EUR")}
	a.Sales[603].Orders = []int{801}
	lines := func(account string, gross int64, vat int, counter string) []Line {
		net := gross * 100 / int64(100+vat)
		ls := []Line{{Account: account, Sum: net, Vat: vat}}
		if vat > 0 {
			ls = append(ls, Line{Account: "1537", Sum: gross - net, Text: "ALV"})
		}
		return append(ls, Line{Account: counter, Sum: -gross})
	}
	salesLines := func(gross int64) []Line {
		net := gross * 100 / 124
		return []Line{{Account: "1701", Sum: gross}, {Account: "3000", Sum: -net, Vat: 24}, {Account: "2939", Sum: -(gross - net), Text: "ALV"}}
	}
	a.Vouchers = []*Voucher{
		{Key: 1001, Date: day(2026, 1, 12), Number: 1, Text: "Lauttasaaren Rauta, ruuvit ja saranat", Class: "Purchase invoice", LinkType: "purchaseinvoice", LinkKey: 501, Lines: lines("4000", 30752, 24, "2871")},
		{Key: 1002, Date: day(2026, 2, 3), Number: 2, Text: "Koivulauta, Koivu & Mänty", Class: "Purchase invoice", LinkType: "purchaseinvoice", LinkKey: 502, Lines: lines("4000", 186000, 24, "2871"),
			Attachments: []*File{receiptPNG("rahtikirja-2026-0391.png", 20260203)}},
		{Key: 1003, Date: day(2026, 1, 20), Number: 1, Text: "Myyntilasku 1041, Helsingin Keittiötalo", Class: "Sales invoice", LinkType: "salesinvoice", LinkKey: 601, Lines: salesLines(496000)},
		{Key: 1004, Date: day(2026, 3, 2), Number: 2, Text: "Myyntilasku 1042, Ravintola Särö", Class: "Sales invoice", LinkType: "salesinvoice", LinkKey: 602, Lines: salesLines(124000)},
		{Key: 1011, Date: day(2026, 3, 12), Number: 3, Text: "Ennakkolasku 1043, Turun Saunamestarit", Class: "Sales invoice", LinkType: "salesinvoice", LinkKey: 603, Lines: salesLines(20000)},
		{Key: 1012, Date: day(2026, 4, 8), Number: 4, Text: "Myyntilasku 1044, Helsingin Keittiötalo", Class: "Sales invoice", LinkType: "salesinvoice", LinkKey: 604, Lines: salesLines(74400)},
		{Key: 1013, Date: day(2026, 11, 27), Number: 5, Text: "Myyntilasku 1045, Ravintola Särö", Class: "Sales invoice", LinkType: "salesinvoice", LinkKey: 605, Lines: salesLines(31250)},
		{Key: 1005, Date: day(2026, 3, 14), Number: 1, Text: "Työkalut, Motonet", Class: "Expense receipt", Lines: lines("4300", 8990, 24, "1910"),
			Attachments: []*File{receiptPNG("kuitti-motonet.png", 8990), pdfFile("takuutodistus.pdf", "Motonet", "Takuutodistus", "Akkuporakone 18 V")}},
		{Key: 1006, Date: day(2026, 3, 31), Number: 3, Text: "Poistot Q1", Class: "Memo voucher", Lines: []Line{
			{Account: "6800", Sum: 120000, Dimensions: []LineDimension{{Name: "Kustannuspaikka", Item: "Hallinto"}, {Name: "Projekti", Item: "Kesämökki"}}},
			{Account: "1160", Sum: -120000}}},
		{Key: 1007, Date: day(2026, 4, 30), Number: 4, Text: "Tiliote huhtikuu", Class: "Bank statement", Lines: []Line{{Account: "1910", Sum: 496000}, {Account: "1701", Sum: -496000}},
			Attachments: []*File{pdfFile("tiliote-2026-04.pdf", "Nordea", "Tiliote 1.4.–30.4.2026", "Saaristo Puutyö Oy")}},
		{Key: 1009, Date: day(2026, 5, 4), Number: 5, Text: "Virheellinen kirjaus", Class: "Memo voucher", Status: "invalidated", Lines: []Line{{Account: "4000", Sum: 1000}, {Account: "1910", Sum: -1000}}},
		{Key: 1010, Date: day(2026, 5, 5), Number: 6, Text: "Poistettu tosite", Class: "Memo voucher", Status: "deleted", Lines: []Line{{Account: "4000", Sum: 500}, {Account: "1910", Sum: -500}}},
		{Key: 901, Date: day(2025, 12, 31), Number: 88, Text: "Tilinpäätös 2025, jaksotukset", Class: "Memo voucher", Lines: []Line{{Account: "1800", Sum: 45000}, {Account: "4000", Sum: -45000}}},
		{Key: 801, Date: day(2024, 6, 28), Number: 41, Text: "Juhannuslahjat", Class: "Expense receipt", Lines: lines("7690", 12400, 0, "1910"),
			Attachments: []*File{receiptPNG("kuitti-juhannus.png", 12400)}},
	}
	if s.largeSize > 0 {
		a.Vouchers = append(a.Vouchers, &Voucher{Key: 1008, Date: day(2026, 4, 15), Number: 2, Text: "Skannatut kuitit, arkisto 2026", Class: "Expense receipt",
			Lines:       []Line{{Account: "4300", Sum: 2500}, {Account: "1910", Sum: -2500}},
			Attachments: []*File{receiptPNG("arkisto-kansilehti.png", 2026), largePDF("skannatut-kuitit-2026.pdf", s.largeSize, "Saaristo Puutyö Oy", "Skannatut kuitit 2026", "Arkisto")}})
	}
	for _, v := range a.Vouchers {
		if v.Status == "" {
			v.Status = "valid"
		}
		v.Modified = mod
	}
	a.Customers = []NVCustomer{
		{Key: 11, Code: "1001", Name: "Helsingin Keittiötalo Oy", OrgNr: "0112038-9"},
		{Key: 12, Code: "1002", Name: "Ravintola Särö", OrgNr: "2345678-3"},
		{Key: 13, Code: "1003", Name: "Turun Saunamestarit Oy", OrgNr: "3456789-6"},
	}
	a.Products = []Product{
		{Key: 21, Code: "OVI-01", Name: "Tammiovi, keittiö", UnitPrice: 18500},
		{Key: 22, Code: "ASENNUS", Name: "Asennustyö", UnitPrice: 6250},
		{Key: 23, Code: "TISKI", Name: "Baaritiski", UnitPrice: 100000},
		{Key: 24, Code: "VANHA", Name: "Poistettu tuote", UnitPrice: 100, Deleted: true},
	}
	a.Orders = map[int]*SalesOrder{
		// The order advance invoice 603 was made from, still to deliver.
		801: {Key: 801, CustomerKey: 13, Number: "5001", Status: "undelivered", Lines: []int{80101, 80102}, Date: day(2026, 3, 10), Customer: "Turun Saunamestarit Oy", Invoices: []int{603},
			Items: []OrderItem{{Key: 80101, ProductCode: "OVI-01", Name: "Tammiovi, keittiö", UnitPrice: 18500, Qty: "2", VatPercent: "24", VatCode: "KOMY", VatSum: 8880, Sum: 45880},
				{Key: 80102, ProductCode: "ASENNUS", Name: "Asennustyö", UnitPrice: 6250, Qty: "3", VatPercent: "24", VatCode: "KOMY", VatSum: 4650, Sum: 23400}}},
		// The order invoice 602 was made from.
		802: {Key: 802, CustomerKey: 12, Number: "5002", Status: "billed", Lines: []int{80201}, Date: day(2026, 2, 27), Customer: "Ravintola Särö", Invoices: []int{602},
			Items: []OrderItem{{Key: 80201, ProductCode: "TISKI", Name: "Baaritiski", UnitPrice: 100000, Qty: "1", VatPercent: "24", VatCode: "KOMY", VatSum: 24000, Sum: 124000}}},
	}
	a.Sales[602].Orders = []int{802}
	b := &Org{ID: OtherOrgID, Name: "Kaamos Design Oy", Purchase: map[int]*PurchaseInvoice{}, Sales: map[int]*SalesInvoice{},
		Vouchers: []*Voucher{{Key: 2001, Date: day(2026, 2, 1), Number: 1, Text: "Vuokra helmikuu", Class: "Memo voucher", Status: "valid", Modified: mod,
			Lines: []Line{{Account: "5000", Sum: 90000}, {Account: "1910", Sum: -90000}}}}}
	s.orgs[a.ID], s.orgs[b.ID] = a, b
}

// AddVoucher adds (or replaces, by Key) a voucher of an organisation, with
// Modified set to the sandbox's now when zero.
func (s *Sandbox) AddVoucher(orgID string, v Voucher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orgs[orgID]
	if o == nil {
		return
	}
	if v.Status == "" {
		v.Status = "valid"
	}
	if v.Modified.IsZero() {
		v.Modified = s.now()
	}
	o.Vouchers = slices.DeleteFunc(o.Vouchers, func(x *Voucher) bool { return x.Key == v.Key })
	o.Vouchers = append(o.Vouchers, &v)
}

// VoucherFile is the file of a voucher's attachment (by position), for tests
// that compare what was opened.
func (s *Sandbox) VoucherFile(orgID string, key, index int) *File {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.orgs[orgID].Vouchers {
		if v.Key == key && index < len(v.Attachments) {
			return v.Attachments[index]
		}
	}
	return nil
}

// PurchaseImage and SalesPDF are an invoice's file, for tests.
func (s *Sandbox) PurchaseImage(orgID string, key int) *File {
	return s.orgs[orgID].Purchase[key].Image
}

// SalesPDF is a sales invoice's PDF, for tests.
func (s *Sandbox) SalesPDF(orgID string, key int) *File { return s.orgs[orgID].Sales[key].PDF }

// route answers an authenticated request. The world is read under the lock
// into plain values; files are immutable, so their bytes stream unlocked.
func (s *Sandbox) route(w http.ResponseWriter, r *http.Request, req request) {
	q := r.URL.Query()
	switch req.resource {
	case "accountingledger.nv":
		s.ledger(w, q, req)
	case "purchaseinvoicelist.nv":
		s.invoiceList(w, q, req)
	case "salesinvoicelist.nv":
		s.salesInvoiceList(w, q, req)
	case "customerlist.nv":
		s.customerList(w, q, req)
	case "accountlist.nv":
		s.accountList(w, req)
	case "accountbalance.nv":
		s.accountBalance(w, q, req)
	case "productlist.nv":
		s.productList(w, q, req)
	case "salesinvoice.nv":
		s.importSalesInvoice(w, r, req)
	case "updatesalesinvoicestatus.nv":
		s.updateStatus(w, q, req)
	case "salesinvoicecomment.nv":
		s.comment(w, r, req)
	case "deletesalesinvoice.nv":
		s.deleteSalesInvoice(w, q, req)
	case "salesorderinvoicing.nv":
		s.orderInvoicing(w, r, req)
	case "getvoucherattachments.nv":
		s.voucherAttachments(w, q, req)
	case "getpurchaseinvoice.nv":
		s.purchaseInvoice(w, q, req)
	case "getsalesinvoice.nv":
		s.salesInvoice(w, q, req)
	case "getorder.nv":
		s.order(w, q, req)
	default:
		writeFailure(w, req.codes, "INVALID_DATA", "Unknown resource "+req.resource)
	}
}

func okHeader(w http.ResponseWriter, now time.Time) *xmlWriter {
	x := newXMLWriter(w, http.StatusOK)
	x.open("Root")
	x.open("ResponseStatus")
	x.elem("Status", "OK")
	x.elem("TimeStamp", now.In(helsinki()).Format("2.1.2006 15:04:05"))
	x.close("ResponseStatus")
	return x
}

// helsinki is Netvisor's zone, loaded on first use: LoadLocation reads
// the zone database, which no command should pay for at start.
var helsinki = sync.OnceValue(func() *time.Location {
	if l, err := time.LoadLocation("Europe/Helsinki"); err == nil {
		return l
	}
	return time.FixedZone("EET", 2*3600)
})

func ansiParam(q url.Values, name string) (time.Time, bool, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, false, nil
	}
	t, err := time.Parse("2006-01-02", v)
	return t, true, err
}

// ledger is accountingledger.nv: by netvisorkey, by startdate+enddate, or by
// changedsince (vouchers changed on or after that day, Helsinki time).
func (s *Sandbox) ledger(w http.ResponseWriter, q url.Values, req request) {
	start, hasStart, err1 := ansiParam(q, "startdate")
	end, hasEnd, err2 := ansiParam(q, "enddate")
	since, hasSince, err3 := ansiParam(q, "changedsince")
	key, keyErr := strconv.Atoi(q.Get("netvisorkey"))
	hasKey := q.Has("netvisorkey")
	switch {
	case err1 != nil || err2 != nil || err3 != nil || (hasKey && keyErr != nil):
		writeFailure(w, req.codes, "INVALID_DATA", "Invalid parameter value")
		return
	case !hasKey && !(hasStart && hasEnd) && !hasSince:
		writeFailure(w, req.codes, "INVALID_DATA", "One of netvisorkey, startdate and enddate, or changedsince is required")
		return
	}
	meta := q.Get("includeattachmentsmetadata") == "1"
	s.mu.Lock()
	var out []Voucher
	for _, v := range req.org.Vouchers {
		switch {
		case hasKey && v.Key != key:
			continue
		case hasStart && hasEnd && (v.Date.Before(start) || v.Date.After(end)):
			continue
		case hasSince && v.Modified.In(helsinki()).Format("2006-01-02") < since.Format("2006-01-02"):
			continue
		}
		out = append(out, *v)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Voucher) int { return a.Date.Compare(b.Date)*10 + cmpInt(a.Key, b.Key) })
	x := okHeader(w, s.now())
	x.open("Vouchers")
	for _, v := range out {
		x.open("Voucher", "Status", v.Status)
		x.elem("NetvisorKey", strconv.Itoa(v.Key))
		x.elem("VoucherDate", finnishDate(v.Date))
		x.elem("VoucherNumber", strconv.Itoa(v.Number))
		x.elem("VoucherDescription", v.Text)
		x.elem("VoucherClass", className(v.Class, req.language))
		if v.LinkType != "" {
			x.elem("LinkedSourceNetvisorKey", strconv.Itoa(v.LinkKey), "type", v.LinkType)
		}
		x.elem("VoucherNetvisorURI", fmt.Sprintf("https://isvapi.netvisor.fi/voucher.nv?netvisorkey=%d", v.Key))
		for i, l := range v.Lines {
			x.open("VoucherLine")
			x.elem("NetvisorKey", strconv.Itoa(v.Key*100+i))
			x.elem("LineSum", decimal(l.Sum))
			x.elem("Description", l.Text)
			x.elem("AccountNumber", l.Account)
			x.elem("VatPercent", strconv.Itoa(l.Vat), "vatcode", vatCode(l.Vat))
			for _, d := range l.Dimensions {
				x.open("Dimension")
				x.elem("DimensionName", d.Name)
				x.elem("DimensionItem", d.Item)
				x.close("Dimension")
			}
			x.close("VoucherLine")
		}
		if meta {
			// Inferred: the metadata's shape is not documented; the
			// sandbox gives getvoucherattachments.nv's fields without
			// Content, in the same order.
			x.open("VoucherAttachments")
			for _, f := range v.Attachments {
				x.open("VoucherAttachment")
				x.elem("Filename", f.Name)
				x.elem("SizeInBytes", strconv.FormatInt(f.Size(), 10))
				x.elem("MimeType", f.MimeType)
				x.close("VoucherAttachment")
			}
			x.close("VoucherAttachments")
		}
		x.close("Voucher")
	}
	x.close("Vouchers")
	x.close("Root")
	x.flush()
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func vatCode(vat int) string {
	if vat == 0 {
		return "NONE"
	}
	return "KOOS"
}

func className(en, lang string) string {
	if n, ok := classNames[en]; ok {
		switch lang {
		case "FI":
			return n[0]
		case "SE":
			return n[1]
		}
	}
	return en
}

// invoiceList answers the list resources Bilag probes with: invoices by
// invoice date.
func (s *Sandbox) invoiceList(w http.ResponseWriter, q url.Values, req request) {
	begin, hasBegin, err1 := ansiParam(q, "begininvoicedate")
	end, hasEnd, err2 := ansiParam(q, "endinvoicedate")
	if err1 != nil || err2 != nil {
		writeFailure(w, req.codes, "INVALID_DATA", "Invalid date")
		return
	}
	in := func(d time.Time) bool { return (!hasBegin || !d.Before(begin)) && (!hasEnd || !d.After(end)) }
	x := okHeader(w, s.now())
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.resource == "purchaseinvoicelist.nv" {
		x.open("PurchaseInvoiceList")
		for _, k := range sortedKeys(req.org.Purchase) {
			p := req.org.Purchase[k]
			if !in(p.Date) {
				continue
			}
			x.open("PurchaseInvoice")
			x.elem("PurchaseInvoiceNetvisorKey", strconv.Itoa(p.Key))
			x.elem("PurchaseInvoiceNumber", p.Number)
			x.elem("PurchaseInvoiceDate", ansiDate(p.Date), "format", "ansi")
			x.elem("VendorName", p.Vendor)
			x.elem("PurchaseInvoiceSum", decimal(p.Amount))
			x.close("PurchaseInvoice")
		}
		x.close("PurchaseInvoiceList")
	} else {
		x.open("SalesInvoiceList")
		for _, k := range sortedKeys(req.org.Sales) {
			si := req.org.Sales[k]
			if !in(si.Date) {
				continue
			}
			x.open("SalesInvoice")
			x.elem("NetvisorKey", strconv.Itoa(si.Key))
			x.elem("InvoiceNumber", si.Number)
			x.elem("InvoiceDate", ansiDate(si.Date), "format", "ansi")
			x.elem("CustomerName", si.Customer)
			x.elem("InvoiceSum", decimal(si.Amount))
			x.close("SalesInvoice")
		}
		x.close("SalesInvoiceList")
	}
	x.close("Root")
	x.flush()
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// voucherAttachments is getvoucherattachments.nv: every attachment of one
// voucher, each with its bytes in base64, in one answer (up to 200 MB).
func (s *Sandbox) voucherAttachments(w http.ResponseWriter, q url.Values, req request) {
	key, err := strconv.Atoi(q.Get("netvisorkey"))
	if err != nil {
		writeFailure(w, req.codes, "INVALID_DATA", "netvisorkey is required")
		return
	}
	var files []*File
	s.mu.Lock()
	for _, v := range req.org.Vouchers {
		if v.Key == key && v.Status != "deleted" {
			files = v.Attachments
		}
	}
	s.mu.Unlock()
	x := okHeader(w, s.now())
	x.open("Attachments")
	for _, f := range files {
		x.open("Attachment")
		x.elem("Filename", f.Name)
		x.elem("SizeInBytes", strconv.FormatInt(f.Size(), 10))
		x.elem("MimeType", f.MimeType)
		x.base64("Content", f)
		x.close("Attachment")
	}
	x.close("Attachments")
	x.close("Root")
	x.flush()
}

// purchaseInvoice is getpurchaseinvoice.nv; with include=invoiceimage the
// image comes in InvoiceImage (inferred: the element's name is not in the
// material the sandbox is written from).
func (s *Sandbox) purchaseInvoice(w http.ResponseWriter, q url.Values, req request) {
	key, err := strconv.Atoi(q.Get("netvisorkey"))
	if err != nil {
		writeFailure(w, req.codes, "INVALID_DATA", "netvisorkey is required")
		return
	}
	s.mu.Lock()
	p := req.org.Purchase[key]
	s.mu.Unlock()
	x := okHeader(w, s.now())
	if p != nil {
		x.open("PurchaseInvoice")
		x.elem("PurchaseInvoiceNetvisorKey", strconv.Itoa(p.Key))
		x.elem("PurchaseInvoiceNumber", p.Number)
		x.elem("PurchaseInvoiceDate", ansiDate(p.Date), "format", "ansi")
		x.elem("VendorName", p.Vendor)
		x.elem("PurchaseInvoiceAmount", decimal(p.Amount))
		if q.Get("include") == "invoiceimage" && p.Image != nil {
			x.base64("InvoiceImage", p.Image)
		}
		x.close("PurchaseInvoice")
	}
	x.close("Root")
	x.flush()
}

// salesInvoice is getsalesinvoice.nv; pdfimage=pdf always returns the
// invoice's PDF in LastSentInvoicePDFBase64Data.
func (s *Sandbox) salesInvoice(w http.ResponseWriter, q url.Values, req request) {
	key, err := strconv.Atoi(q.Get("netvisorkey"))
	if err != nil {
		writeFailure(w, req.codes, "INVALID_DATA", "netvisorkey is required")
		return
	}
	s.mu.Lock()
	si := req.org.Sales[key]
	s.mu.Unlock()
	x := okHeader(w, s.now())
	if si != nil {
		x.open("SalesInvoice")
		x.elem("SalesInvoiceNetvisorKey", strconv.Itoa(si.Key))
		x.elem("SalesInvoiceNumber", si.Number)
		x.elem("SalesInvoiceDate", ansiDate(si.Date), "format", "ansi")
		if !si.DueDate.IsZero() {
			x.elem("SalesInvoiceDueDate", ansiDate(si.DueDate), "format", "ansi")
		}
		x.elem("SalesInvoiceReferencenumber", si.Reference)
		x.elem("SalesInvoiceAmount", decimal(si.Amount))
		x.elem("InvoiceStatus", statusName(si.Status, req.language), "status", si.Status)
		x.elem("SalesInvoicePrivateComment", si.PrivateComment)
		x.elem("InvoicingCustomerCode", si.CustomerCode)
		x.elem("InvoicingCustomerName", si.Customer)
		if q.Get("pdfimage") == "pdf" && si.PDF != nil {
			x.base64("LastSentInvoicePDFBase64Data", si.PDF)
		}
		if q.Get("includeattachments") == "1" && len(si.Attachments) > 0 {
			writeSalesAttachments(x, si.Attachments)
		}
		if q.Get("includedocuments") == "1" {
			s.writeRelated(x, req.org, "salesorder", "ordernumber", si.Orders)
		}
		x.close("SalesInvoice")
	}
	x.close("Root")
	x.flush()
}
