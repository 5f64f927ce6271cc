package economic

import (
	"strconv"
	"strings"

	"bilag/connectors"
)

// The options of the pairing's tables: e-conomic's own values, labelled
// with their numbers and names as e-conomic shows them.

func option(n int64, name string) connectors.PairingOption {
	v := strconv.FormatInt(n, 10)
	return connectors.PairingOption{Value: v, Label: v + " · " + name}
}

// optionsOf is xs as options, leaving out those of refuses (barred ones).
func optionsOf[T any](xs []T, of func(T) (connectors.PairingOption, bool)) []connectors.PairingOption {
	var out []connectors.PairingOption
	for _, x := range xs {
		if o, ok := of(x); ok {
			out = append(out, o)
		}
	}
	return out
}

func groupOptions(l *exportLists) []connectors.PairingOption {
	return optionsOf(l.groups, func(pg ProductGroup) (connectors.PairingOption, bool) {
		return option(pg.ProductGroupNumber, pg.Name), true
	})
}

func productOptions(l *exportLists) []connectors.PairingOption {
	return optionsOf(l.products, func(p Product) (connectors.PairingOption, bool) {
		return connectors.PairingOption{Value: p.ProductNumber, Label: p.ProductNumber + " · " + p.Name}, !p.Barred
	})
}

func termOptions(l *exportLists) []connectors.PairingOption {
	return optionsOf(l.terms, func(t PaymentTerm) (connectors.PairingOption, bool) {
		return option(t.PaymentTermsNumber, t.Name), true
	})
}

func vatOptions(l *exportLists) []connectors.PairingOption {
	return optionsOf(l.vat, func(v VatAccount) (connectors.PairingOption, bool) {
		return connectors.PairingOption{Value: v.VatCode, Label: v.VatCode + " · " + v.Name}, !v.Barred
	})
}

func customerGroupOptions(l *exportLists) []connectors.PairingOption {
	return optionsOf(l.cgroups, func(cg CustomerGroup) (connectors.PairingOption, bool) {
		return option(cg.CustomerGroupNumber, cg.Name), true
	})
}

func zoneOptions(l *exportLists) []connectors.PairingOption {
	return optionsOf(l.zones, func(z VatZone) (connectors.PairingOption, bool) {
		return option(z.VatZoneNumber, z.Name), true
	})
}

func layoutOptions(l *exportLists) []connectors.PairingOption {
	return optionsOf(l.layouts, func(x Layout) (connectors.PairingOption, bool) {
		return option(x.LayoutNumber, x.Name), true
	})
}

// suggestGroup: the group named after the account (seed 001: "product
// groups … with the same names (numbers) as the sales accounts"), else one
// whose sales accounts include that account number.
func (l *exportLists) suggestGroup(account string) string {
	for _, pg := range l.groups {
		name := strings.TrimSpace(pg.Name)
		if first, _, _ := strings.Cut(name, " "); strings.EqualFold(name, account) || first == account {
			return strconv.FormatInt(pg.ProductGroupNumber, 10)
		}
	}
	n, err := strconv.ParseInt(account, 10, 64)
	if err != nil {
		return ""
	}
	for _, pg := range l.groups {
		for _, sa := range l.sales[pg.ProductGroupNumber] {
			if sa.SalesAccount.AccountNumber == n {
				return strconv.FormatInt(pg.ProductGroupNumber, 10)
			}
		}
	}
	return ""
}

// suggestProduct: a product numbered as the account, or the one Bilag
// made for it before.
func (l *exportLists) suggestProduct(account string) string {
	for _, n := range []string{account, newProductNumber(account)} {
		if p, ok := l.product(n); ok && !p.Barred {
			return p.ProductNumber
		}
	}
	return ""
}

// suggestTerm: the one payment term of the key's type and days (30 net
// days is not current month + 30).
func (l *exportLists) suggestTerm(key string) string {
	t, ok := l.termFor(key)
	if !ok {
		return ""
	}
	return strconv.FormatInt(t.PaymentTermsNumber, 10)
}

// termFor is the one payment term of the key's type and days.
func (l *exportLists) termFor(key string) (PaymentTerm, bool) {
	kind, days, ok := termOf(key)
	if !ok {
		return PaymentTerm{}, false
	}
	var found []PaymentTerm
	for _, t := range l.terms {
		if t.PaymentTermsType == kind && (t.DaysOfCredit == days || kind == PaymentTermsPaidInCash) {
			found = append(found, t)
		}
	}
	if len(found) != 1 {
		return PaymentTerm{}, false
	}
	return found[0], true
}

// suggestVat: the VAT account of that code, else the one sales VAT
// account whose rate the code is ("25").
func (l *exportLists) suggestVat(code string) string {
	if v, ok := l.vatAccount(code); ok && !v.Barred {
		return v.VatCode
	}
	rate, err := strconv.ParseFloat(strings.TrimSuffix(code, "%"), 64)
	if err != nil {
		return ""
	}
	var found []string
	for _, v := range l.vat {
		// vatType 1 is sales VAT (Salgsmoms) in e-conomic's standard chart.
		if !v.Barred && v.VatType.VatTypeNumber == 1 && v.RatePercentage == rate {
			found = append(found, v.VatCode)
		}
	}
	if len(found) != 1 {
		return ""
	}
	return found[0]
}

// zoneWords are how VAT zones and customer groups are commonly named, by
// zone row, in the languages e-conomic is sold in.
var zoneWords = map[string][]string{
	ZoneDomestic: {"domestic", "indland", "indenland", "inland", "innland", "innenland", "inrikes", "sverige", "danmark", "norge"},
	ZoneEU:       {"eu", "europe", "europa"},
	ZoneAbroad:   {"abroad", "udland", "udenland", "utland", "foreign", "export", "eksport"},
}

func nameFits(name, zone string) bool {
	n := strings.ToLower(name)
	for _, w := range zoneWords[zone] {
		if n == w || strings.HasPrefix(n, w+" ") || strings.Contains(n, w) && len(w) > 3 {
			return true
		}
	}
	return false
}

func (l *exportLists) suggestZone(zone string) string {
	for _, z := range l.zones {
		if nameFits(z.Name, zone) {
			return strconv.FormatInt(z.VatZoneNumber, 10)
		}
	}
	return ""
}

// suggestCustomerGroup: a group named for the zone (foreign customers
// for both eu and abroad), else the first group.
func (l *exportLists) suggestCustomerGroup(zone string) string {
	if len(l.cgroups) == 0 {
		return ""
	}
	words := zone
	if zone == ZoneEU {
		words = ZoneAbroad
	}
	for _, cg := range l.cgroups {
		if nameFits(cg.Name, words) {
			return strconv.FormatInt(cg.CustomerGroupNumber, 10)
		}
	}
	return strconv.FormatInt(l.cgroups[0].CustomerGroupNumber, 10)
}

func (l *exportLists) suggestLayout(string) string {
	if len(l.layouts) == 0 {
		return ""
	}
	return strconv.FormatInt(l.layouts[0].LayoutNumber, 10)
}
