package views

import (
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// Over a list of enabled languages, readers get their own language when it
// is on the list, Nynorsk and plain Norwegian readers get bokmål, and a
// language not on the list is never swapped for a neighbour (Finnish here).
func TestMatchLanguageOnceEnabled(t *testing.T) {
	enabled := []string{"en", "sv", "da", "nb"}
	tests := []struct{ header, want string }{
		{"", "en"},
		{"nb-NO,nb;q=0.9", "nb"},
		{"nn-NO,nn;q=0.9,en;q=0.5", "nb"},
		{"no", "nb"},
		{"da-DK,da;q=0.9,en;q=0.8", "da"},
		{"sv-SE,nb;q=0.9", "sv"},
		{"en;q=0.5, nb;q=0.8", "nb"},
		{"fi-FI", "en"},
	}
	for _, tt := range tests {
		if got := matchLanguage(tt.header, enabled); got != tt.want {
			t.Errorf("matchLanguage(%q, %q) = %q, want %q", tt.header, enabled, got, tt.want)
		}
	}
}

// Languages cannot be changed through what it returns, and every language
// it enables is one Text has room for and the switcher can name.
func TestLanguages(t *testing.T) {
	l := Languages()
	if len(l) == 0 || l[0] != "en" {
		t.Fatalf("Languages() = %q, want English first (the default and the fallback)", l)
	}
	l[0] = "xx"
	if Languages()[0] != "en" || Supported("xx") {
		t.Error("changing the slice Languages returned changed the languages")
	}
	all := Text{En: "en", Sv: "sv", Da: "da", Nb: "nb", Fi: "fi"}
	for _, lang := range Languages() {
		if all.in(lang) != lang {
			t.Errorf("enabled language %q has no field in Text", lang)
		}
		if languageName(lang) == lang {
			t.Errorf("enabled language %q has no name for the language switcher", lang)
		}
		if !Supported(lang) {
			t.Errorf("Supported(%q) = false", lang)
		}
	}
	for _, lang := range []string{"", "xx", "no"} {
		if Supported(lang) {
			t.Errorf("Supported(%q) = true", lang)
		}
	}
}

// A text missing in a language falls back to English; a missing key is
// shown as itself.
func TestTranslateFallsBack(t *testing.T) {
	v := Text{En: "Save", Sv: "Spara"}
	for lang, want := range map[string]string{"en": "Save", "sv": "Spara", "nb": "Save", "da": "Save", "fi": "Save", "xx": "Save", "": "Save"} {
		if got := v.text(lang); got != want {
			t.Errorf("%+v.text(%q) = %q, want %q", v, lang, got, want)
		}
	}
	for _, lang := range []string{"en", "sv", "nb"} {
		if got := Translate(lang, "no.such.key"); got != "no.such.key" {
			t.Errorf("Translate(%q, missing key) = %q, want the key", lang, got)
		}
	}
	if got := Translate("sv", "common.page", 2, 5); got != "Sida 2 av 5" {
		t.Errorf(`Translate("sv", "common.page", 2, 5) = %q`, got)
	}
}

// accountantKeys are the keys the accountant who approves a consent link
// sees: the consent, checking, result and error pages and each connector's
// blocks and wording of them (its key form's fields and name too), the
// words the server passes them, and the layout's words outside the
// portal's navigation. It returns the connectors with words of their own.
func accountantKeys(t *testing.T) (keys, connectors []string) {
	t.Helper()
	r, err := New(FS())
	if err != nil {
		t.Fatal(err)
	}
	connectors = r.Connectors()
	keys = []string{"app.tagline", "nav.skip", "nav.language"}
	for _, page := range []string{"consent.html", "consent_checking.html", "consent_result.html", "connect_form.html", "error.html"} {
		keys = append(keys, templateKeys(t, page)...)
	}
	for _, conn := range connectors {
		keys = append(keys, templateKeys(t, "connectors/"+conn+".html")...)
	}
	for k := range catalog {
		rest := k
		for _, conn := range connectors {
			rest = strings.TrimPrefix(rest, conn+".")
		}
		for _, prefix := range []string{"accountant.", "consent.", "result.", "reason.", "err.", "area.", "form.", "field.", "connector."} {
			if strings.HasPrefix(rest, prefix) {
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return slices.Compact(keys), connectors
}

// keyConnector is the connector among connectors whose own words key is
// ("<connector>." keys and its name, "connector.<connector>"), or "" for
// a neutral key.
func keyConnector(key string, connectors []string) string {
	for _, conn := range connectors {
		if strings.HasPrefix(key, conn+".") || key == "connector."+conn {
			return conn
		}
	}
	return ""
}

// missingTexts lists the keys among keys that lack a text of their own in
// lang in cat (English does not count for it): a neutral key always, a
// connector's own key only when the connector has some text in lang. A
// connector is written in the languages of its countries (issues 15-17),
// and in each of those wholly; in another language its own words fall back
// to English while the page around them is in the reader's language.
func missingTexts(cat map[string]Text, lang string, keys, connectors []string) []string {
	speaks := map[string]bool{}
	for _, k := range keys {
		if conn := keyConnector(k, connectors); conn != "" && cat[k].in(lang) != "" {
			speaks[conn] = true
		}
	}
	var missing []string
	for _, k := range keys {
		if conn := keyConnector(k, connectors); cat[k].in(lang) == "" && (conn == "" || speaks[conn]) {
			missing = append(missing, k)
		}
	}
	return missing
}

func TestMissingTexts(t *testing.T) {
	cat := map[string]Text{
		"consent.give":          {En: "Give", Da: "Giv"},
		"consent.title":         {En: "Connect"},
		"x.consent.title":       {En: "Connect X", Da: "Forbind X"},
		"x.result.how":          {En: "How"},
		"connector.x":           {En: "X"},
		"y.consent.title":       {En: "Connect Y", Fi: "Yhdistä Y"},
		"connector.y":           {En: "Y", Fi: "Y"},
		"xy.consent.title":      {En: "Connect XY"},
		"connector.xy":          {En: "XY", Da: "XY"},
		"consent.kicker":        {En: "Request", Da: "Anmodning"},
		"connector.unspecified": {En: "U"},
	}
	keys := slices.Sorted(maps.Keys(cat))
	conns := []string{"x", "y", "xy"}
	tests := []struct {
		lang string
		want []string
	}{
		// x writes Danish, so all of x; y does not, so none of y; xy does
		// (its name), so all of xy; the neutral keys always.
		{"da", []string{"connector.unspecified", "connector.x", "consent.title", "x.result.how", "xy.consent.title"}},
		{"fi", []string{"connector.unspecified", "consent.give", "consent.kicker", "consent.title"}},
	}
	for _, tt := range tests {
		if got := missingTexts(cat, tt.lang, keys, conns); !slices.Equal(got, tt.want) {
			t.Errorf("missingTexts(%s) = %q, want %q", tt.lang, got, tt.want)
		}
	}
}

// Every language Bilag offers has every neutral text the accountant sees,
// and every connector's own texts in each language it is written in, so an
// enabled language whose texts are not written yet fails here rather than
// showing the accountant half a page in English.
func TestAccountantTextsInEveryLanguage(t *testing.T) {
	keys, conns := accountantKeys(t)
	if len(keys) < 100 {
		t.Fatalf("found %d keys the accountant sees, want the consent and result pages' (>100)", len(keys))
	}
	// The check itself must see a missing text, not Translate's fallback.
	if got := missingTexts(catalog, "xx", keys, conns); len(got) == 0 {
		t.Fatalf("missingTexts(\"xx\") finds no key missing")
	}
	for _, lang := range Languages() {
		if missing := missingTexts(catalog, lang, keys, conns); len(missing) > 0 {
			t.Errorf("language %q is enabled but lacks %d of the accountant's %d texts: %s", lang, len(missing), len(keys), strings.Join(missing, ", "))
		}
	}
}

// eAccounting's own words are written in every language Bilag offers: its
// companies are Swedish, but its accountant may read any of them.
func TestEAccountingInEveryLanguage(t *testing.T) {
	keys, _ := accountantKeys(t)
	for _, lang := range Languages() {
		var missing []string
		for _, k := range keys {
			if keyConnector(k, []string{"eaccounting"}) != "" && catalog[k].in(lang) == "" {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			t.Errorf("eAccounting lacks %d texts in %q: %s", len(missing), lang, strings.Join(missing, ", "))
		}
	}
}

// formatVerb matches a fmt verb: flags, an argument index, width and
// precision (each possibly * or indexed), and the verb.
var formatVerb = regexp.MustCompile(`%[-+# 0]*(\[\d+\])?(\d+|\*)?(\.(\[\d+\])?(\d+|\*)?)?(\[\d+\])?[a-zA-Z%]`)

// formatVerbs lists the verbs of a format string that take arguments, with
// flags, widths and precisions left out (they change no argument) and
// argument indexes and *s kept (they do).
func formatVerbs(s string) []string {
	var verbs []string
	for _, m := range formatVerb.FindAllString(s, -1) {
		if m == "%%" {
			continue
		}
		var b strings.Builder
		b.WriteByte('%')
		for _, idx := range regexp.MustCompile(`\[\d+\]|\*`).FindAllString(m, -1) {
			b.WriteString(idx)
		}
		b.WriteByte(m[len(m)-1])
		verbs = append(verbs, b.String())
	}
	return verbs
}

func TestFormatVerbs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Page %d of %d", []string{"%d", "%d"}},
		{"100%% of %s", []string{"%s"}},
		{"%5.2f and %-8s and %[2]s and %*d", []string{"%f", "%s", "%[2]s", "%*d"}},
		{"no verbs", nil},
	}
	for _, tt := range tests {
		if got := formatVerbs(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("formatVerbs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Every language's text of a key takes the same arguments as the English
// one (the same verbs in the same order), so Translate(lang, key, args...)
// formats the same arguments in every language.
func TestFormatArgumentsMatchAcrossLanguages(t *testing.T) {
	for k, v := range catalog {
		want := formatVerbs(v.En)
		for _, lang := range []string{"sv", "da", "nb", "fi"} {
			s := v.in(lang)
			if s == "" {
				continue // falls back to English
			}
			if got := formatVerbs(s); !slices.Equal(got, want) {
				t.Errorf("key %q: %s text has verbs %q, English has %q", k, lang, got, want)
			}
		}
	}
}
