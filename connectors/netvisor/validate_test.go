package netvisor

import (
	"context"
	"encoding/json"
	"testing"

	"bilag/connectors"
)

func dec(s string) connectors.Decimal {
	d, ok := connectors.ParseDecimal(s)
	if !ok {
		panic(s)
	}
	return d
}

func decp(s string) *connectors.Decimal { d := dec(s); return &d }

func intp(n int) *int { return &n }

// withExt changes the invoice's Netvisor extension.
func withExt(inv *connectors.Invoice, f func(*InvoiceExt)) {
	var ext InvoiceExt
	if err := readExt(inv.Extensions, &ext); err != nil {
		panic(err)
	}
	f(&ext)
	inv.Extensions = extensionOf(ext)
}

// withLineExt changes line i's Netvisor extension.
func withLineExt(inv *connectors.Invoice, i int, f func(*LineExt)) {
	var ext LineExt
	if err := readExt(inv.Lines[i].Extensions, &ext); err != nil {
		panic(err)
	}
	f(&ext)
	inv.Lines[i].Extensions = extensionOf(ext)
}

// exampleInvoice is a fresh copy of the connector's example (valid).
func exampleInvoice() connectors.Invoice {
	var c Connector
	inv := c.ExampleInvoice()
	b, _ := json.Marshal(inv)
	var out connectors.Invoice
	_ = json.Unmarshal(b, &out)
	return out
}

// Each rule of the seed's salesinvoice.nv import, with a case it refuses
// and one it takes, reported by line and field.
func TestValidationRules(t *testing.T) {
	t.Parallel()
	day := func(s string) connectors.Date { d, _ := connectors.ParseDate(s); return d }
	tests := []struct {
		name        string
		edit        func(*connectors.Invoice)
		line        int
		field, code string
	}{
		{"example is valid", func(*connectors.Invoice) {}, 0, "", ""},
		{"number required", func(i *connectors.Invoice) { i.Number = "" }, 0, "number", fRequired},
		{"number digits", func(i *connectors.Invoice) { i.Number = "F-12" }, 0, "number", fNumberDigits},
		{"number over 18 digits", func(i *connectors.Invoice) { i.Number = "1234567890123456789" }, 0, "number", fNumberDigits},
		{"number of 18 digits", func(i *connectors.Invoice) { i.Number = "123456789012345678" }, 0, "", ""},
		{"invoice date required", func(i *connectors.Invoice) { i.InvoiceDate = connectors.Date{} }, 0, "invoiceDate", fRequired},
		{"due date or terms", func(i *connectors.Invoice) { i.DueDate = connectors.Date{} }, 0, "dueDate", fDueOrTerms},
		{"terms instead of due date", func(i *connectors.Invoice) {
			i.DueDate = connectors.Date{}
			withExt(i, func(e *InvoiceExt) { e.PaymentTermNetDays = intp(14) })
		}, 0, "", ""},
		{"due date and terms", func(i *connectors.Invoice) { withExt(i, func(e *InvoiceExt) { e.PaymentTermNetDays = intp(14) }) }, 0, extField + ".paymentTermNetDays", fDueAndTerms},
		{"due before invoice date", func(i *connectors.Invoice) { i.DueDate = day("2026-05-01") }, 0, "dueDate", fDueBefore},
		{"customer link required", func(i *connectors.Invoice) { i.Customer.Number = "" }, 0, "customer.number", fRequired},
		{"customer by key", func(i *connectors.Invoice) {
			i.Customer.Number = ""
			withExt(i, func(e *InvoiceExt) { e.CustomerNetvisorKey = "11" })
		}, 0, "", ""},
		{"customer key digits", func(i *connectors.Invoice) { withExt(i, func(e *InvoiceExt) { e.CustomerNetvisorKey = "x1" }) }, 0, extField + ".customerNetvisorKey", fDigits},
		{"customer key and code", func(i *connectors.Invoice) {
			withExt(i, func(e *InvoiceExt) { e.CustomerNetvisorKey, e.CustomerCode = "11", "1001" })
		}, 0, extField + ".customerNetvisorKey", fGivenTwice},
		{"reference check digit", func(i *connectors.Invoice) { withExt(i, func(e *InvoiceExt) { e.ReferenceNumber = "12013" }) }, 0, extField + ".referenceNumber", fReference},
		{"RF reference", func(i *connectors.Invoice) {
			withExt(i, func(e *InvoiceExt) { e.ReferenceNumber = "RF18 5390 0754 7034" })
		}, 0, "", ""},
		{"currency", func(i *connectors.Invoice) { i.Customer.Currency = "eur" }, 0, "customer.currency", fCurrency},
		{"price type", func(i *connectors.Invoice) { withExt(i, func(e *InvoiceExt) { e.PriceType = "netvisor" }) }, 0, extField + ".priceType", fPriceType},
		{"gross price type", func(i *connectors.Invoice) { withExt(i, func(e *InvoiceExt) { e.PriceType = "gross" }) }, 0, "", ""},
		{"gross total differs", func(i *connectors.Invoice) {
			withExt(i, func(e *InvoiceExt) { e.PriceType, e.Total = "gross", decp("1.00") })
		}, 0, extField + ".total", fTotal},
		{"cash discount alone", func(i *connectors.Invoice) { withExt(i, func(e *InvoiceExt) { e.CashDiscountDays = intp(5) }) }, 0, extField + ".cashDiscountDays", fCashDiscount},
		{"cash discount", func(i *connectors.Invoice) {
			withExt(i, func(e *InvoiceExt) { e.CashDiscountDays, e.CashDiscountPercent = intp(5), decp("2") })
		}, 0, "", ""},
		{"overdue rate over 100", func(i *connectors.Invoice) { withExt(i, func(e *InvoiceExt) { e.OverrideRateOfOverdue = decp("101") }) }, 0, extField + ".overrideRateOfOverdue", fPercent},
		{"order number digits", func(i *connectors.Invoice) { withExt(i, func(e *InvoiceExt) { e.OrderNumber = "A1" }) }, 0, extField + ".orderNumber", fDigits},
		{"free text over 500", func(i *connectors.Invoice) {
			withExt(i, func(e *InvoiceExt) { e.FreeTextBeforeLines = string(make([]rune, 501)) })
		}, 0, extField + ".freeTextBeforeLines", fTooLong},
		{"our reference over 200", func(i *connectors.Invoice) {
			withExt(i, func(e *InvoiceExt) { e.OurReference = string(make([]rune, 201)) })
		}, 0, extField + ".ourReference", fTooLong},
		{"agreement over 35", func(i *connectors.Invoice) {
			withExt(i, func(e *InvoiceExt) { e.AgreementIdentifier = string(make([]rune, 36)) })
		}, 0, extField + ".agreementIdentifier", fTooLong},
		{"private comment leaves room for the mark", func(i *connectors.Invoice) {
			withExt(i, func(e *InvoiceExt) { e.PrivateComment = string(make([]rune, 480)) })
		}, 0, extField + ".privateComment", fTooLong},
		{"text outside ISO-8859-15", func(i *connectors.Invoice) { withExt(i, func(e *InvoiceExt) { e.YourReference = "Łukasz" }) }, 0, extField + ".yourReference", fLatin9},
		{"euro sign and Finnish letters", func(i *connectors.Invoice) {
			withExt(i, func(e *InvoiceExt) { e.YourReference = "Äänekoski 5 €, Šolta" })
		}, 0, "", ""},
		{"unknown extension field", func(i *connectors.Invoice) {
			i.Extensions = connectors.Extensions{Name: json.RawMessage(`{"deliveryChannel":"email"}`)}
		}, 0, extField, fExtension},
		{"no lines", func(i *connectors.Invoice) { i.Lines = nil }, 0, "lines", fNoLines},
		{"product link required", func(i *connectors.Invoice) { i.Lines[1].ProductNumber = "" }, 2, "productNumber", fRequired},
		{"product by key", func(i *connectors.Invoice) {
			i.Lines[1].ProductNumber = ""
			withLineExt(i, 1, func(e *LineExt) { e.ProductNetvisorKey = "22" })
		}, 0, "", ""},
		{"product code and key", func(i *connectors.Invoice) { withLineExt(i, 0, func(e *LineExt) { e.ProductNetvisorKey = "21" }) }, 1, extField + ".productNetvisorKey", fGivenTwice},
		{"product name required", func(i *connectors.Invoice) { i.Lines[0].Text = "" }, 1, "text", fRequired},
		{"product name over 200", func(i *connectors.Invoice) { i.Lines[0].Text = string(make([]rune, 201)) }, 1, "text", fTooLong},
		{"product name outside ISO-8859-15", func(i *connectors.Invoice) { i.Lines[0].Text = "Ovi ✓" }, 1, "text", fLatin9},
		{"VAT code required", func(i *connectors.Invoice) { i.Lines[0].VATCode = "" }, 1, "vatCode", fRequired},
		{"negative price", func(i *connectors.Invoice) { i.Lines[0].UnitPrice = dec("-1") }, 1, "unitPrice", fNegativePrice},
		{"credit note by negative quantity", func(i *connectors.Invoice) {
			for n := range i.Lines {
				i.Lines[n].Quantity = -i.Lines[n].Quantity
			}
		}, 0, "", ""},
		{"sales account digits", func(i *connectors.Invoice) { i.Lines[0].SalesAccount = "3000A" }, 1, "salesAccount", fDigits},
		{"line free text over 255", func(i *connectors.Invoice) {
			withLineExt(i, 0, func(e *LineExt) { e.FreeText = string(make([]rune, 256)) })
		}, 1, extField + ".freeText", fTooLong},
		{"unit name over 14", func(i *connectors.Invoice) {
			withLineExt(i, 1, func(e *LineExt) { e.UnitName = "tuntia tuntia tuntia" })
		}, 2, extField + ".unitName", fTooLong},
		{"discount over 100", func(i *connectors.Invoice) {
			withLineExt(i, 0, func(e *LineExt) { e.DiscountPercentage = decp("120") })
		}, 1, extField + ".discountPercentage", fPercent},
		{"dimension item required", func(i *connectors.Invoice) {
			withLineExt(i, 0, func(e *LineExt) { e.Dimensions = []Dimension{{Name: "Projekti"}} })
		}, 1, extField + ".dimensions.0.item", fRequired},
		{"dimension name over 50", func(i *connectors.Invoice) {
			withLineExt(i, 0, func(e *LineExt) { e.Dimensions = []Dimension{{Name: string(make([]rune, 51)), Item: "x"}} })
		}, 1, extField + ".dimensions.0.name", fTooLong},
		{"accrual even", func(i *connectors.Invoice) {
			withExt(i, func(e *InvoiceExt) { e.Accrual = &Accrual{StartMonth: 7, StartYear: 2026, EndMonth: 12, EndYear: 2026} })
		}, 0, "", ""},
		{"accrual by curve", func(i *connectors.Invoice) {
			withLineExt(i, 0, func(e *LineExt) { e.Accrual = &Accrual{StartMonth: 6, StartYear: 2026, DivisionCurveName: "kvartal"} })
		}, 0, "", ""},
		{"accrual end and curve", func(i *connectors.Invoice) {
			withExt(i, func(e *InvoiceExt) {
				e.Accrual = &Accrual{StartMonth: 7, StartYear: 2026, EndMonth: 12, EndYear: 2026, DivisionCurveName: "kvartal"}
			})
		}, 0, extField + ".accrual", fAccrual},
		{"accrual neither end nor curve", func(i *connectors.Invoice) {
			withExt(i, func(e *InvoiceExt) { e.Accrual = &Accrual{StartMonth: 7, StartYear: 2026} })
		}, 0, extField + ".accrual", fAccrual},
		{"accrual in the past", func(i *connectors.Invoice) {
			withLineExt(i, 1, func(e *LineExt) { e.Accrual = &Accrual{StartMonth: 5, StartYear: 2026, EndMonth: 8, EndYear: 2026} })
		}, 2, extField + ".accrual", fAccrualPast},
		{"accrual of the invoice's own month alone", func(i *connectors.Invoice) {
			withExt(i, func(e *InvoiceExt) { e.Accrual = &Accrual{StartMonth: 6, StartYear: 2026, EndMonth: 6, EndYear: 2026} })
		}, 0, extField + ".accrual", fAccrualPast},
		{"custom tag type", func(i *connectors.Invoice) {
			withExt(i, func(e *InvoiceExt) { e.CustomTags = []CustomTag{{Name: "Kohde", Value: "A", Type: "string"}} })
		}, 0, extField + ".customTags.0.type", fTagType},
		{"custom tag", func(i *connectors.Invoice) {
			withExt(i, func(e *InvoiceExt) { e.CustomTags = []CustomTag{{Name: "Kohde", Value: "A", Type: "text"}} })
		}, 0, "", ""},
		{"attachment description over 100", func(i *connectors.Invoice) {
			withExt(i, func(e *InvoiceExt) {
				e.Attachments = []Attachment{{MimeType: "image/png", Description: string(make([]rune, 101)), FileName: "a.png", Data: []byte{1}}}
			})
		}, 0, extField + ".attachments.0.description", fTooLong},
		{"attachment file name over 255", func(i *connectors.Invoice) {
			withExt(i, func(e *InvoiceExt) {
				e.Attachments = []Attachment{{MimeType: "image/png", Description: "Kuva", FileName: string(make([]rune, 256)), Data: []byte{1}}}
			})
		}, 0, extField + ".attachments.0.fileName", fTooLong},
		{"attachment mime type", func(i *connectors.Invoice) {
			withExt(i, func(e *InvoiceExt) {
				e.Attachments = []Attachment{{MimeType: "png", Description: "Kuva", FileName: "a.png", Data: []byte{1}}}
			})
		}, 0, extField + ".attachments.0.mimeType", fMimeType},
		{"attachment data required", func(i *connectors.Invoice) {
			withExt(i, func(e *InvoiceExt) {
				e.Attachments = []Attachment{{MimeType: "image/png", Description: "Kuva", FileName: "a.png"}}
			})
		}, 0, extField + ".attachments.0.data", fRequired},
		{"printbydefault with finvoice", func(i *connectors.Invoice) {
			withExt(i, func(e *InvoiceExt) {
				e.Attachments = []Attachment{{MimeType: "application/pdf", Description: "Tuntilista", FileName: "t.pdf", Data: []byte{1}, Type: "finvoice", PrintByDefault: true}}
			})
		}, 0, extField + ".attachments.0.printByDefault", fPrintFinvoice},
		{"printbydefault with pdf", func(i *connectors.Invoice) {
			withExt(i, func(e *InvoiceExt) {
				e.Attachments = []Attachment{{MimeType: "application/pdf", Description: "Tuntilista", FileName: "t.pdf", Data: []byte{1}, PrintByDefault: true}}
			})
		}, 0, "", ""},
		{"pdf file name required", func(i *connectors.Invoice) { i.PDF = &connectors.InvoicePDF{Data: []byte("%PDF")} }, 0, "pdf.fileName", fRequired},
	}
	var c Connector
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := exampleInvoice()
			tt.edit(&inv)
			checks, err := c.ValidateInvoices(context.Background(), connectors.Grant{}, []connectors.Invoice{inv})
			if err != nil {
				t.Fatal(err)
			}
			fs := checks[0].Findings
			if tt.code == "" {
				if len(fs) != 0 || checks[0].Key == "" || checks[0].Digest == "" {
					t.Fatalf("findings = %+v, key %q; want none", fs, checks[0].Key)
				}
				return
			}
			for _, f := range fs {
				if f.Line == tt.line && f.Field == tt.field && f.Code == tt.code {
					if checks[0].Key != "" {
						t.Errorf("Key = %q for an invoice with errors", checks[0].Key)
					}
					return
				}
			}
			t.Fatalf("findings = %+v, want line %d %s %s", fs, tt.line, tt.field, tt.code)
		})
	}
}

// A number used twice in one batch is a finding on the second.
func TestNumberTwiceInBatch(t *testing.T) {
	t.Parallel()
	var c Connector
	a, b := exampleInvoice(), exampleInvoice()
	checks, _ := c.ValidateInvoices(context.Background(), connectors.Grant{}, []connectors.Invoice{a, b})
	if len(checks[0].Findings) != 0 || len(checks[1].Findings) != 1 || checks[1].Findings[0].Code != fNumberTwice {
		t.Fatalf("checks = %+v", checks)
	}
}

func TestReferenceNumbers(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		ref string
		ok  bool
	}{
		{"12014", true}, {"1232", true}, {"1 2014", true}, {"12013", false}, {"123", false},
		{"123456789012345678903", false}, {"RF18539007547034", true}, {"RF18 5390 0754 7034", true}, {"RF19539007547034", false}, {"12a14", false},
	} {
		if got := validReference(tt.ref); got != tt.ok {
			t.Errorf("validReference(%q) = %v, want %v", tt.ref, got, tt.ok)
		}
	}
}

func TestAmountsAsTheSeedWritesThem(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		cents int64
		want  string
	}{{12345, "123,45"}, {-12345, "-123,45"}, {5, "0,05"}, {-5, "-0,05"}, {100, "1,00"}} {
		if got := amount(tt.cents); got != tt.want {
			t.Errorf("amount(%d) = %q, want %q", tt.cents, got, tt.want)
		}
	}
	for _, tt := range []struct{ d, want string }{{"5", "5"}, {"10.05", "10,05"}, {"25.5", "25,5"}, {"100", "100"}, {"-2.125", "-2,125"}} {
		if got := number(dec(tt.d)); got != tt.want {
			t.Errorf("number(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
	// 100,00 net at 25.5 %: 25,50 VAT; 125,50 gross is 100,00 net.
	if v := vatOf(10000, dec("25.5")); v != 2550 {
		t.Errorf("vatOf = %d", v)
	}
	if n := netOfGross(12550, dec("25.5")); n != 10000 {
		t.Errorf("netOfGross = %d", n)
	}
	if v := vatOf(-333, dec("24")); v != -80 {
		t.Errorf("vatOf(-3,33) = %d, want -80 (half away from zero)", v)
	}
}
