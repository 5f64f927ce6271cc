package netvisor

import "testing"

// The known-answer vector of shared/reference/other-connectors.md §B4,
// computed with Python's hmac and cross-checked with openssl.
func TestMACKnownAnswer(t *testing.T) {
	t.Parallel()
	s := Signature{
		URL:           "https://isvapi.netvisor.fi/accountingledger.nv?startdate=2024-01-01&enddate=2024-01-31",
		Sender:        "ExamplePortal",
		CustomerID:    "CUSTID_1",
		Timestamp:     "2024-01-15 12:00:00.000",
		Language:      "EN",
		OrgID:         "1234567-8",
		TransactionID: "0f8fad5bd9cb469fa16570867728950e",
		TimestampUnix: "1705320000",
		CustomerKey:   "customerkey123",
		PartnerKey:    "partnerkey456",
	}
	const want = "bbdc3b5c41ded5c5b688c242bb0e0498a2b3e8f2d38f348f2f0063333c5ae128"
	if got := s.MAC(); got != want {
		t.Errorf("MAC() = %s, want %s", got, want)
	}
}

// Latin-1, not UTF-8: a sender named with a Finnish letter signs its one
// byte, as Netvisor computes it.
func TestMACLatin1(t *testing.T) {
	t.Parallel()
	a := Signature{URL: "u", Sender: "Kirjanpitäjä", CustomerKey: "k", PartnerKey: "p"}
	if string(latin1(a.Sender)) != "Kirjanpit\xe4j\xe4" {
		t.Fatalf("latin1(%q) = %q", a.Sender, latin1(a.Sender))
	}
	b := a
	b.Sender = "Kirjanpitaja"
	if a.MAC() == b.MAC() {
		t.Error("ä and a sign alike")
	}
}
