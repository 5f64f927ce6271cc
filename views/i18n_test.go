package views

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// Once bokmål and Danish are enabled, their readers get their own language,
// and Nynorsk and plain Norwegian readers get bokmål.
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
// sees: the consent, result and error pages and each connector's blocks
// and wording of them, the words the server passes them, and the layout's
// words outside the portal's navigation.
func accountantKeys(t *testing.T) []string {
	t.Helper()
	r, err := New(FS())
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"app.tagline", "nav.skip", "nav.language"}
	for _, page := range []string{"consent.html", "consent_checking.html", "consent_result.html", "connect_form.html", "error.html"} {
		keys = append(keys, templateKeys(t, page)...)
	}
	for _, conn := range r.Connectors() {
		keys = append(keys, templateKeys(t, "connectors/"+conn+".html")...)
	}
	for k := range catalog {
		rest := k
		for _, conn := range r.Connectors() {
			rest = strings.TrimPrefix(rest, conn+".")
		}
		for _, prefix := range []string{"accountant.", "consent.", "result.", "reason.", "err.", "area.", "form.", "connector."} {
			if strings.HasPrefix(rest, prefix) {
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return slices.Compact(keys)
}

// untranslated lists the keys among keys with no text of their own in lang
// (English does not count for it).
func untranslated(lang string, keys []string) []string {
	var missing []string
	for _, k := range keys {
		if catalog[k].in(lang) == "" {
			missing = append(missing, k)
		}
	}
	return missing
}

// Every language Bilag offers has every text the accountant sees, so an
// enabled language whose texts are not written yet fails here rather than
// showing the accountant half a page in English.
func TestAccountantTextsInEveryLanguage(t *testing.T) {
	keys := accountantKeys(t)
	if len(keys) < 100 {
		t.Fatalf("found %d keys the accountant sees, want the consent and result pages' (>100)", len(keys))
	}
	// The check itself must see a missing text, not Translate's fallback.
	if got := untranslated("xx", keys); len(got) != len(keys) {
		t.Fatalf("untranslated(\"xx\") finds %d of %d keys missing, want all", len(got), len(keys))
	}
	for _, lang := range Languages() {
		if missing := untranslated(lang, keys); len(missing) > 0 {
			t.Errorf("language %q is enabled but lacks %d of the accountant's %d texts: %s", lang, len(missing), len(keys), strings.Join(missing, ", "))
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
