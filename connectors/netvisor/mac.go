package netvisor

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Signature is what the MAC of one request covers, in the order Netvisor
// documents (support.netvisor.fi 77000557880 "API authentication").
type Signature struct {
	// URL is the request URL exactly as sent: scheme, host, path and query.
	URL           string
	Sender        string
	CustomerID    string
	Timestamp     string
	Language      string
	OrgID         string
	TransactionID string
	TimestampUnix string
	CustomerKey   string
	PartnerKey    string
}

// Message is the string the MAC is computed over: the ten fields joined by
// "&". With the keys masked it is what Netvisor quotes back on
// AUTHENTICATION_FAILED.
func (s Signature) Message() string {
	return strings.Join([]string{s.URL, s.Sender, s.CustomerID, s.Timestamp, s.Language, s.OrgID,
		s.TransactionID, s.TimestampUnix, s.CustomerKey, s.PartnerKey}, "&")
}

// MAC is the HMAC-SHA256 of Message under the key "CustomerKey&PartnerKey",
// both over their Latin-1 bytes, in lower-case hex.
func (s Signature) MAC() string {
	m := hmac.New(sha256.New, latin1(s.CustomerKey+"&"+s.PartnerKey))
	m.Write(latin1(s.Message()))
	return hex.EncodeToString(m.Sum(nil))
}

// latin1 is s in ISO-8859-1. A rune outside it (which no id, key or URL
// Bilag sends has) becomes '?', as the .NET encoder Netvisor runs on writes it.
func latin1(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			r = '?'
		}
		b = append(b, byte(r))
	}
	return b
}
