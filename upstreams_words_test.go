package main

import (
	"strings"
	"testing"

	"bilag/connectors"
	"bilag/connectors/netvisor"
	"bilag/views"
)

// TestConnectorsSayWhatTheyDo (issue 25, item 1): every connector of the
// registry has a sentence for what its connection lets Bilag do, in every
// language, and the message that carries its link states it. A connector
// that reads nothing says so in words of its own: the neutral sentence,
// the neutral line on what Bilag is and the mail's neutral subject say
// that Bilag reads.
func TestConnectorsSayWhatTheyDo(t *testing.T) {
	reg, err := openRegistry(testApp(t, true), getenv(nil))
	if err != nil {
		t.Fatal(err)
	}
	r, err := views.New(views.Options{Connectors: reg.words})
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.connectors) < 4 {
		t.Fatalf("demo registry has %d connectors, want every row's", len(reg.connectors))
	}
	for name, c := range reg.connectors {
		_, reads := c.(connectors.VoucherReader)
		for _, lang := range views.Languages() {
			// The mail's subject too: the neutral one asks for read access.
			for _, key := range []string{"accountant.access", "accountant.whatis", "share.subject"} {
				own, neutral := r.TranslateFor(lang, name, key, "Revisorerna"), r.Translate(lang, key, "Revisorerna")
				switch {
				case own == key || own == "":
					t.Errorf("%s in %s: no text for %s", name, lang, key)
				case !reads && own == neutral:
					t.Errorf("%s in %s reads nothing but has the neutral %s %q", name, lang, key, own)
				}
			}
			say := r.TranslateFor(lang, name, "accountant.access")
			msg := r.TranslateFor(lang, name, "share.message", "Revisorerna", "Fjordlys AS", "Visma", "https://bilag.example/connect/x", "1 Jan", "Anna", say)
			if !strings.Contains(msg, say) || strings.Contains(msg, "%!") {
				t.Errorf("%s's message in %s does not state its access sentence %q:\n%s", name, lang, say, msg)
			}
		}
	}
}

// TestNetvisorStatusesHaveWords (issue 27): every sales invoice status the
// seed lists, the one Bilag keeps from the sync and shows beside the
// invoice, has its own words in every language.
func TestNetvisorStatusesHaveWords(t *testing.T) {
	reg, err := openRegistry(testApp(t, true), getenv(nil))
	if err != nil {
		t.Fatal(err)
	}
	r, err := views.New(views.Options{Connectors: reg.words})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range netvisor.SalesStatuses() {
		for _, lang := range views.Languages() {
			// The voucher page's words, then the sent invoice's.
			for _, key := range []string{"invoice.status." + st, "netvisor.imports.status." + st} {
				if got := r.TranslateFor(lang, "netvisor", key); got == key || got == "" {
					t.Errorf("status %s in %s: no words for %s", st, lang, key)
				}
			}
		}
	}
}
