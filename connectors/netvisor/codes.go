package netvisor

import (
	"math/big"
	"strconv"
	"strings"

	"bilag/connectors"
)

// vatCode is one row of the seed's VAT code table (salesinvoice.nv, *1):
// a code and the percentages it may carry.
type vatCode struct {
	Code, Name string
	Percents   []string
}

// vatCodes is the seed's table, in its order (the Swedish names are the
// seed's own). The seed lists 0, 10, 14 and 24 %; Finland's rates since
// are 25.5 % (1.9.2024) and 13.5 % (1.1.2026), which Netvisor lets a
// company add (Hantera skattesatser): they are offered beside the seed's
// wherever 24 is (inferred).
func vatCodes() []vatCode {
	all := []string{"0", "10", "13.5", "14", "24", "25.5"}
	zero := []string{"0"}
	return []vatCode{
		{"NONE", "Ingen momsbehandling", zero},
		{"KOMY", "Inrikesförsäljning", all},
		{"EUMY", "EU-försäljning", zero},
		{"EUUM", "Försäljning utanför EU", zero},
		{"KOOS", "Inrikesinköp", all},
		{"EUOS", "EU-inköp", all},
		{"EUPO", "EU-tjänsteinköp", all},
		{"EUUO", "Inköp utanför EU", all},
		{"100", "100 %", zero},
		{"EUPM312", "312 EU-tjänsteförsäljning", zero},
		{"EUPM309", "309 EU-tjänsteförsäljning", all},
		{"MUUL", "Övrig momsfri omsättning (310)", all},
		{"EVTO", "Varuinköp från andra EU-länder, inte avdragsgillt", all},
		{"EVPO", "Tjänsteinköp från andra EU-länder, inte avdragsgillt", all},
		{"EVKV", "Icke avdragsgill omvänd skatteskyldighet", all},
		{"KAVE", "Omvänd skatteskyldighet", all},
		{"RAMY", "Försäljning av byggtjänster", zero},
		{"RAOS", "Köp av byggtjänster", all},
		{"EVRO", "Ej avdragsgillt köp av byggtjänster", all},
		{"MAAL", "Import utanför EU Moms", all},
		{"EVMA", "Import utanför EU Moms icke avdr. gill", all},
	}
}

// allowedVATCodes is the seed's list of codes an invoice line may carry
// ("Tillåtna momskoder"); the table has a few more (EVKV, KAVE, MAAL,
// EVMA), which the import does not take.
func allowedVATCodes() []string {
	return []string{"NONE", "KOOS", "EUOS", "EUUO", "EUPO", "100", "KOMY", "EUMY", "EUUM", "EUPM312", "EUPM309", "MUUL", "EVTO", "EVPO", "RAMY", "RAOS", "EVRO"}
}

// vatOptions are the pairing's values for the vatCode table: each allowed
// code with each percent the table gives it, as "CODE:percent".
func vatOptions() []connectors.PairingOption {
	var out []connectors.PairingOption
	allowed := allowedVATCodes()
	for _, v := range vatCodes() {
		if !contains(allowed, v.Code) {
			continue
		}
		for _, p := range v.Percents {
			// The label is a catalogue key ("pairing.vat.<code>"), the
			// code's name in the reader's words; the value says the
			// code and percent.
			out = append(out, connectors.PairingOption{Value: v.Code + ":" + p, Label: "pairing.vat." + v.Code})
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// pairedVAT is a vatCode pairing's value read: the Netvisor code and the
// percent; ok is false for a value not among vatOptions.
func pairedVAT(value string) (code string, percent connectors.Decimal, ok bool) {
	for _, o := range vatOptions() {
		if o.Value == value {
			c, p, _ := strings.Cut(value, ":")
			d, _ := connectors.ParseDecimal(p)
			return c, d, true
		}
	}
	return "", 0, false
}

// validReference reports whether s is a Finnish reference number
// (viitenumero: 4 to 20 digits, the last the 7-3-1 check digit) or an
// RF creditor reference (ISO 11649: RF, two check digits, up to 21
// letters or digits, mod 97). Spaces between groups are allowed.
func validReference(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	if strings.HasPrefix(strings.ToUpper(s), "RF") {
		return validRF(strings.ToUpper(s))
	}
	if len(s) < 4 || len(s) > 20 || !allDigits(s) {
		return false
	}
	return finnishCheckDigit(s[:len(s)-1]) == s[len(s)-1]
}

// finnishCheckDigit is the check digit of a reference's base: digits
// weighted 7, 3, 1, 7, … from the right, the sum's distance up to the
// next multiple of ten.
func finnishCheckDigit(base string) byte {
	weights := [3]int{7, 3, 1}
	sum := 0
	for i := 0; i < len(base); i++ {
		sum += int(base[len(base)-1-i]-'0') * weights[i%3]
	}
	return byte('0' + (10-sum%10)%10)
}

func validRF(s string) bool {
	if len(s) < 5 || len(s) > 25 || !allDigits(s[2:4]) {
		return false
	}
	var b strings.Builder
	for _, r := range s[4:] + s[:4] {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteString(strconv.Itoa(int(r-'A') + 10))
		default:
			return false
		}
	}
	n, ok := new(big.Int).SetString(b.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// latin9OK reports whether every character of s has a byte in
// ISO-8859-15, the encoding Netvisor reads (Resources – General).
func latin9OK(s string) bool {
	for _, r := range s {
		if _, ok := latin9Byte(r); !ok {
			return false
		}
	}
	return true
}

// latin9Byte is r's byte in ISO-8859-15: Latin-1 but for eight code
// points (the euro sign among them).
func latin9Byte(r rune) (byte, bool) {
	for b := byte(0xA4); b <= 0xBE; b++ {
		if latin9Rune(b) == r && r > 0xFF {
			return b, true
		}
	}
	switch r {
	case 0xA4, 0xA6, 0xA8, 0xB4, 0xB8, 0xBC, 0xBD, 0xBE:
		return 0, false
	}
	if r > 0xFF {
		return 0, false
	}
	return byte(r), true
}

// toLatin9 encodes s, already checked with latin9OK ('?' otherwise).
func toLatin9(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		b, ok := latin9Byte(r)
		if !ok {
			b = '?'
		}
		out = append(out, b)
	}
	return out
}

// amount writes hundredths as the seed writes amounts: a decimal comma
// and two decimals ("-123,45").
func amount(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return sign + strconv.FormatInt(cents/100, 10) + "," + strconv.FormatInt(cents%100/10, 10) + strconv.FormatInt(cents%10, 10)
}

// number writes a Decimal with a decimal comma and its own decimals
// (quantities, unit prices, percents): "5", "10,05", "25,5".
func number(d connectors.Decimal) string {
	s := d.String()
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "" || s == "-" {
		s = "0"
	}
	return strings.ReplaceAll(s, ".", ",")
}

// netOfGross is gross × 100 / (100 + percent), rounded half away from
// zero to hundredths; gross in hundredths.
func netOfGross(gross int64, percent connectors.Decimal) int64 {
	num := new(big.Int).Mul(big.NewInt(gross), big.NewInt(100*connectors.DecimalScale))
	den := big.NewInt(100*connectors.DecimalScale + int64(percent))
	return roundQuo(num, den)
}

// vatOf is net × percent / 100, rounded half away from zero, in
// hundredths.
func vatOf(net int64, percent connectors.Decimal) int64 {
	num := new(big.Int).Mul(big.NewInt(net), big.NewInt(int64(percent)))
	return roundQuo(num, big.NewInt(100*connectors.DecimalScale))
}

func roundQuo(num, den *big.Int) int64 {
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(r), big.NewInt(2)).Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q.Int64()
}
