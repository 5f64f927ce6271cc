package server

import (
	"strings"
	"unicode"

	"bilag/db"
)

// upstreamDetails are the company's details as its accounting system held
// them at approval, beside the firm's own, and whether they differ. Bilag
// shows a difference and never copies the system's details over the
// firm's: which is right is for a person at the firm to say.
type upstreamDetails struct {
	Name, OrgNumber         string
	NameDiffers, OrgDiffers bool
}

// Differs reports whether anything the system holds differs from the
// firm's record.
func (u upstreamDetails) Differs() bool { return u.NameDiffers || u.OrgDiffers }

// upstreamDetailsOf is co's details as conn's system gave them at
// approval; nil when there is no connection or the system gave none.
func upstreamDetailsOf(co *db.Company, conn *db.Connection) *upstreamDetails {
	if conn == nil || (conn.ExternalName == "" && conn.OrgNumber == "") {
		return nil
	}
	u := &upstreamDetails{Name: conn.ExternalName, OrgNumber: conn.OrgNumber}
	u.NameDiffers = u.Name != "" && !strings.EqualFold(strings.Join(strings.Fields(u.Name), " "), strings.Join(strings.Fields(co.Name), " "))
	u.OrgDiffers = u.OrgNumber != "" && digits(u.OrgNumber) != digits(co.OrgNumber)
	return u
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
