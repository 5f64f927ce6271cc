package economic

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"bilag/connectors"
)

// exportLists is what the export reads of an agreement to pair, check and
// send: e-conomic's own lists, read live.
type exportLists struct {
	at       time.Time
	groups   []ProductGroup
	sales    map[int64][]SalesAccount // by product group
	products []Product
	terms    []PaymentTerm
	vat      []VatAccount
	zones    []VatZone
	layouts  []Layout
	cgroups  []CustomerGroup
	journals []Journal
	years    []yearJSON
}

// readLists reads every list (one call each, and one per product group
// for its sales accounts), listReaders at a time.
func (e *Export) readLists(ctx context.Context, g connectors.Grant) (*exportLists, error) {
	l := &exportLists{sales: map[int64][]SalesAccount{}}
	err := readAll(ctx, []func(context.Context) error{
		func(ctx context.Context) (err error) { l.groups, err = e.x.ProductGroups(ctx, g); return err },
		func(ctx context.Context) (err error) { l.products, err = e.x.Products(ctx, g); return err },
		func(ctx context.Context) (err error) { l.terms, err = e.x.PaymentTerms(ctx, g); return err },
		func(ctx context.Context) (err error) { l.vat, err = e.x.VatAccounts(ctx, g); return err },
		func(ctx context.Context) (err error) { l.zones, err = e.x.VatZones(ctx, g); return err },
		func(ctx context.Context) (err error) { l.layouts, err = e.x.Layouts(ctx, g); return err },
		func(ctx context.Context) (err error) { l.cgroups, err = e.x.CustomerGroups(ctx, g); return err },
		func(ctx context.Context) (err error) { l.journals, err = e.x.Journals(ctx, g); return err },
		func(ctx context.Context) (err error) {
			l.years, err = list[yearJSON](ctx, e.x, g, "GET /accounting-years", "/accounting-years", nil)
			return err
		},
	})
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	sales := make([]func(context.Context) error, len(l.groups))
	for i, pg := range l.groups {
		sales[i] = func(ctx context.Context) error {
			sa, err := e.x.SalesAccounts(ctx, g, pg.ProductGroupNumber)
			mu.Lock()
			defer mu.Unlock()
			l.sales[pg.ProductGroupNumber] = sa
			return err
		}
	}
	if err := readAll(ctx, sales); err != nil {
		return nil, err
	}
	return l, nil
}

// listReaders is how many lists are read at once. The pairing page and
// every pre-flight wait for all of them: one after another, an e-conomic
// that takes seconds per call made a person wait the sum (13 calls at 1.5
// s: 20 s at Send); a few at a time keeps well inside e-conomic's fair use.
const listReaders = 4

// readAll runs reads, listReaders at a time, and returns the first error;
// the first error cancels the reads not yet done.
func readAll(ctx context.Context, reads []func(context.Context) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	slots := make(chan struct{}, listReaders)
	var wg sync.WaitGroup
	for _, r := range reads {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := r(ctx); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

func (l *exportLists) group(n int64) (ProductGroup, bool) {
	for _, pg := range l.groups {
		if pg.ProductGroupNumber == n {
			return pg, true
		}
	}
	return ProductGroup{}, false
}

// salesAccount is a product group's sales account in a VAT zone.
func (l *exportLists) salesAccount(group, zone int64) (SalesAccount, bool) {
	for _, sa := range l.sales[group] {
		if sa.VatZone.VatZoneNumber == zone {
			return sa, true
		}
	}
	return SalesAccount{}, false
}

func (l *exportLists) product(number string) (Product, bool) {
	for _, p := range l.products {
		if p.ProductNumber == number {
			return p, true
		}
	}
	return Product{}, false
}

func (l *exportLists) term(n int64) (PaymentTerm, bool) {
	for _, t := range l.terms {
		if t.PaymentTermsNumber == n {
			return t, true
		}
	}
	return PaymentTerm{}, false
}

func (l *exportLists) vatAccount(code string) (VatAccount, bool) {
	for _, v := range l.vat {
		if strings.EqualFold(v.VatCode, code) {
			return v, true
		}
	}
	return VatAccount{}, false
}

func (l *exportLists) zone(n int64) (VatZone, bool) {
	for _, z := range l.zones {
		if z.VatZoneNumber == n {
			return z, true
		}
	}
	return VatZone{}, false
}

func (l *exportLists) journal(n int64) (Journal, bool) {
	for _, j := range l.journals {
		if j.JournalNumber == n {
			return j, true
		}
	}
	return Journal{}, false
}

// yearOf is the accounting year holding day (YYYY-MM-DD).
func (l *exportLists) yearOf(day string) (yearJSON, bool) {
	for _, y := range l.years {
		if y.FromDate <= day && day <= y.ToDate {
			return y, true
		}
	}
	return yearJSON{}, false
}

func (l *exportLists) hasLayout(n int64) bool {
	for _, x := range l.layouts {
		if x.LayoutNumber == n {
			return true
		}
	}
	return false
}

func (l *exportLists) hasCustomerGroup(n int64) bool {
	for _, x := range l.cgroups {
		if x.CustomerGroupNumber == n {
			return true
		}
	}
	return false
}

// number reads a paired value that names one of e-conomic's numbered
// things; 0 when it is none.
func number(s string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 1 {
		return 0
	}
	return n
}
