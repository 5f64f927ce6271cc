package server

import (
	"strings"
	"unicode"

	"bilag/connectors"
	"bilag/db"
)

// upstreamDetails are the company's details as its accounting system held
// them at approval, beside the firm's own, and whether they differ. Bilag
// shows a difference and never copies the system's details over the
// firm's: which is right is for a person at the firm to say.
type upstreamDetails struct {
	Name, OrgNumber         string
	NameDiffers, OrgDiffers bool
	// Address is the system's address of the company, zero when it gave
	// none; CountryDiffers: its country is not the firm's record's (the
	// firm keeps no postal address, only the country, so that is what
	// can be compared).
	Address        connectors.Address
	CountryDiffers bool
}

// Differs reports whether anything the system holds differs from the
// firm's record.
func (u upstreamDetails) Differs() bool { return u.NameDiffers || u.OrgDiffers || u.CountryDiffers }

// upstreamDetailsOf is co's details as conn's system gave them at
// approval; nil when there is no connection or the system gave none.
func upstreamDetailsOf(co *db.Company, conn *db.Connection) *upstreamDetails {
	if conn == nil || (conn.ExternalName == "" && conn.OrgNumber == "" && conn.Address().IsZero()) {
		return nil
	}
	u := &upstreamDetails{Name: conn.ExternalName, OrgNumber: conn.OrgNumber, Address: conn.Address()}
	if cc := countryCode(u.Address.Country); cc != "" && co.Country != "" && cc != co.Country {
		u.CountryDiffers = true
	}
	u.NameDiffers = u.Name != "" && !strings.EqualFold(strings.Join(strings.Fields(u.Name), " "), strings.Join(strings.Fields(co.Name), " "))
	u.OrgDiffers = u.OrgNumber != "" && digits(u.OrgNumber) != digits(co.OrgNumber)
	return u
}

// countryCode is the ISO code of an upstream's country, given as a code
// ("SE") or a name in one of the Nordic languages or English ("Danmark");
// "" when it is neither, so that nothing unknown is flagged.
func countryCode(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "se", "sverige", "sweden", "ruotsi":
		return "SE"
	case "dk", "danmark", "denmark", "tanska":
		return "DK"
	case "no", "norge", "norway", "noreg", "norja":
		return "NO"
	case "fi", "suomi", "finland":
		return "FI"
	case "nl", "nederland", "netherlands":
		return "NL"
	}
	return ""
}

// digits is s without anything but its digits: "556812-3474" and
// "5568123474" are one organisation number.
func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}
