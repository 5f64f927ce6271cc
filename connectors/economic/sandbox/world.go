package sandbox

import (
	"fmt"
	"strconv"
)

// Agreement is a demo agreement (one company's accounting) as the demo
// firm's client list needs it.
type Agreement struct {
	Number    int64
	Name      string
	Country   string
	OrgNumber string
}

// DemoUser is a demo login of the grant page.
type DemoUser struct {
	Email, Password, Name, About string
}

type user struct {
	email, password, name, about string
	// roles by agreement number.
	roles map[int64]string
}

type agreement struct {
	Agreement
	typeName string
	years    []*year
	invoices []*bookedInvoice
	docs     []*attachedDoc
	// books is the export side: what a front system's invoices land in.
	books *books
}

type year struct {
	id       string
	from, to string
	closed   bool
	entries  []*entry
}

type entry struct {
	number        int64
	entryType     string
	voucher       int64
	date          string
	text          string
	amount        float64
	account       int64
	bookedInvoice int64
	year          string
	// department is the entry's departmental distribution, a single
	// department's number; 0 for none.
	department int64
}

type bookedInvoice struct {
	number int64
	date   string
	gross  float64
	name   string
}

type attachedDoc struct {
	number  int64
	voucher int64
	year    string
	note    string
	// hostile is a file that is no PDF though served as one.
	hostile bool
}

type world struct {
	agreements []*agreement
	users      []*user
}

// The demo agreements. Their CVRs pass the modulus-11 check.
const (
	AgreementNordlys    int64 = 7001011
	AgreementFjordkaffe int64 = 7001012
	AgreementUdenCVR    int64 = 7001013
)

// Agreements lists the demo agreements.
func Agreements() []Agreement {
	return []Agreement{
		{Number: AgreementNordlys, Name: "Nordlys Bogføring ApS", Country: "DK", OrgNumber: "35121005"},
		{Number: AgreementFjordkaffe, Name: "Fjordkaffe ApS", Country: "DK", OrgNumber: "29871000"},
		{Number: AgreementUdenCVR, Name: "Uden CVR ApS", Country: "DK", OrgNumber: ""},
	}
}

// DemoUsers lists the grant page's demo logins. The passwords are shown on
// purpose: this is a sandbox.
func DemoUsers() []DemoUser {
	return []DemoUser{
		{"revisor@demo.dk", "revisor-demo", "Rikke Revisor", "accountant administering every demo agreement (SuperUser)"},
		{"bogholder@demo.dk", "bogholder-demo", "Bo Bogholder", "Bookkeeping in Nordlys Bogføring ApS"},
		{"salg@demo.dk", "salg-demo", "Sara Salg", "Sales only in Nordlys Bogføring ApS: lacks the Bookkeeping role"},
	}
}

func (w *world) user(email string) *user {
	for _, u := range w.users {
		if u.email == email {
			return u
		}
	}
	return nil
}

func (w *world) agreement(n int64) *agreement {
	for _, a := range w.agreements {
		if a.Number == n {
			return a
		}
	}
	return nil
}

var entryTypes = []string{"supplierInvoice", "customerInvoice", "customerPayment", "financeVoucher", "supplierPayment"}

var texts = map[string]string{
	"supplierInvoice": "Leverandørfaktura %d",
	"customerInvoice": "Salgsfaktura %d",
	"customerPayment": "Indbetaling kunde %d",
	"financeVoucher":  "Kassebilag %d",
	"supplierPayment": "Betaling leverandør %d",
}

// buildWorld makes the demo data, the same on every run. Every agreement
// has vouchers 1…n in each of its years, so voucher numbers repeat across
// years as they do in e-conomic.
func buildWorld(counts map[int64]int, extra map[int64][]*year) *world {
	w := &world{}
	for _, a := range Agreements() {
		ag := &agreement{Agreement: a, typeName: "denmark", books: seedBooks()}
		n := counts[a.Number]
		if n == 0 {
			n = 40
		}
		switch a.Number {
		case AgreementFjordkaffe:
			// A split year: its id holds a "/", written _6_ in paths.
			ag.years = []*year{{id: "2024/2025", from: "2024-07-01", to: "2025-06-30"}}
		default:
			ag.years = []*year{
				{id: "2024", from: "2024-01-01", to: "2024-12-31", closed: true},
				{id: "2025", from: "2025-01-01", to: "2025-12-31"},
			}
		}
		entryNo, docNo := int64(1), int64(1)
		for yi, y := range ag.years {
			for v := int64(1); v <= int64(n); v++ {
				t := entryTypes[int(v-1)%len(entryTypes)]
				day := fmt.Sprintf("%s-%02d-%02d", y.from[:4], 1+int(v-1)%12, 1+int(v*7)%28)
				if y.from[5:7] == "07" {
					day = y.from[:4] + day[4:]
					if day < y.from {
						day = y.to[:4] + day[4:]
					}
				}
				amount := float64(100*v+int64(yi)*17) + 0.25*float64(v%4)
				text := fmt.Sprintf(texts[t], v)
				inv := int64(0)
				if t == "customerInvoice" {
					inv = int64(10000*(yi+1)) + v
					ag.invoices = append(ag.invoices, &bookedInvoice{number: inv, date: day, gross: amount, name: text})
				}
				add := func(account int64, amt float64) {
					y.entries = append(y.entries, &entry{number: entryNo, entryType: t, voucher: v, date: day, text: text,
						amount: amt, account: account, bookedInvoice: inv, year: y.id})
					entryNo++
				}
				add(1000+v%7*10, amount)
				if v%3 == 0 {
					// Every third voucher's first entry is booked on a
					// department (1 or 2).
					y.entries[len(y.entries)-1].department = 1 + v%2
				}
				add(5820, -amount)
				if t == "supplierInvoice" || t == "financeVoucher" {
					ag.docs = append(ag.docs, &attachedDoc{number: docNo, voucher: v, year: y.id, note: text})
					docNo++
				}
			}
		}
		// Years added by WithAccountingYear hold no entries yet.
		for _, y := range extra[a.Number] {
			ag.years = append(ag.years, &year{id: y.id, from: y.from, to: y.to, closed: y.closed})
		}
		w.agreements = append(w.agreements, ag)
	}
	// One hostile file, served as a PDF: voucher 4 (a financeVoucher) of
	// Nordlys 2025 has it beside its real attachment.
	if ag := w.agreement(AgreementNordlys); ag != nil {
		ag.docs = append(ag.docs, &attachedDoc{number: 9001, voucher: 4, year: "2025", note: "scan", hostile: true})
		// Voucher 5 has a receipt in 2024 only: documents are matched on
		// the year as well as the number.
		ag.docs = append(ag.docs, &attachedDoc{number: 9002, voucher: 5, year: "2024", note: "Kvittering 2024"})
	}
	for _, d := range DemoUsers() {
		u := &user{email: d.Email, password: d.Password, name: d.Name, about: d.About, roles: map[int64]string{}}
		switch d.Email {
		case "revisor@demo.dk":
			for _, a := range Agreements() {
				u.roles[a.Number] = RoleSuperUser
			}
		case "bogholder@demo.dk":
			u.roles[AgreementNordlys] = RoleBookkeeping
		case "salg@demo.dk":
			u.roles[AgreementNordlys] = RoleSales
		}
		w.users = append(w.users, u)
	}
	return w
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
