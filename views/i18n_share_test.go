package views

import (
	"strings"
	"testing"
)

// shareKeys are the texts the approver of a consent link reads: the
// message and e-mail the analyst sends, in whichever language it is sent.
var shareKeys = []string{"share.message", "share.subject", "share.months", "share.when", "share.clock"}

// TestShareTextsInEveryLanguage: the link's message and e-mail exist in
// every language Bilag offers, each in its own words (no English fallback
// for the first thing a Danish, Norwegian or Finnish accountant reads),
// with the same places for the firm, company, system, link, expiry and
// sender as the English; and the analyst can label each language's copy.
func TestShareTextsInEveryLanguage(t *testing.T) {
	r, err := testRenderer(t)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range Languages() {
		for _, key := range shareKeys {
			en, ok := r.words["en"][key]
			if !ok {
				t.Errorf("%s: no key", key)
				continue
			}
			own := r.words.own(lang, key)
			if own == "" {
				t.Errorf("%s has no text in %s", key, lang)
				continue
			}
			for _, verb := range []string{"%[1]", "%[2]", "%[3]", "%[4]", "%[5]", "%[6]"} {
				if strings.Contains(en, verb) != strings.Contains(own, verb) {
					t.Errorf("%s in %s: %s differs from the English", key, lang, verb)
				}
			}
			if lang != "en" && own == en && key != "share.clock" && key != "share.when" {
				t.Errorf("%s in %s is the English text", key, lang)
			}
		}
		if n := len(strings.Fields(r.Translate(lang, "share.months"))); n != 12 {
			t.Errorf("share.months in %s has %d months", lang, n)
		}
		for _, key := range []string{"share.message." + lang, "share.copy." + lang} {
			if r.words.own("en", key) == "" || r.words.own("sv", key) == "" {
				t.Errorf("%s lacks English or Swedish", key)
			}
		}
	}
}
