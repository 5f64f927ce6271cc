package views

import (
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"bilag/db"
)

// diskConnectors are the connectors' own words as their packages embed
// them (connectors/<name>/words), found on disk so that a connector added
// there is tested here without a line of views naming it.
func diskConnectors(t *testing.T) map[string]fs.FS {
	t.Helper()
	dirs, err := fs.Glob(os.DirFS(".."), "connectors/*/"+connectorDir)
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no connector words under ../connectors (%v)", err)
	}
	out := map[string]fs.FS{}
	for _, dir := range dirs {
		if name := path.Base(path.Dir(dir)); name != "connectortest" { // the server tests' fake, not a connector
			out[name] = os.DirFS(path.Join("..", path.Dir(dir)))
		}
	}
	return out
}

// testRenderer is the views as the server has them: the core's and every
// connector's words.
func testRenderer(t *testing.T) (*Renderer, error) {
	t.Helper()
	return New(Options{Connectors: diskConnectors(t)})
}

// templateFS is every template, each connector's as
// connectors/<name>.html beside the core's.
func templateFS(t *testing.T) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(FS(), name)
		out[name] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, cfs := range diskConnectors(t) {
		if b, err := fs.ReadFile(cfs, path.Join(connectorDir, connectorTemplate)); err == nil {
			out["connectors/"+name+".html"] = &fstest.MapFile{Data: b}
		}
	}
	return out
}

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
// it enables has a message file and a name in the switcher.
func TestLanguages(t *testing.T) {
	l := Languages()
	if len(l) == 0 || l[0] != "en" {
		t.Fatalf("Languages() = %q, want English first (the default and the fallback)", l)
	}
	l[0] = "xx"
	if Languages()[0] != "en" || Supported("xx") {
		t.Error("changing the slice Languages returned changed the languages")
	}
	for _, lang := range Languages() {
		if _, err := fs.Stat(locale, "locale/"+lang+".json"); err != nil {
			t.Errorf("enabled language %q has no message file: %v", lang, err)
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
	w := words{"en": {"save": "Save", "page": "Page %d of %d"}, "sv": {"save": "Spara", "page": "Sida %d av %d"}}
	for lang, want := range map[string]string{"en": "Save", "sv": "Spara", "nb": "Save", "da": "Save", "fi": "Save", "xx": "Save", "": "Save"} {
		if got := w.translate(lang, "save"); got != want {
			t.Errorf("translate(%q, save) = %q, want %q", lang, got, want)
		}
	}
	for _, lang := range []string{"en", "sv", "nb"} {
		if got := w.translate(lang, "no.such.key"); got != "no.such.key" {
			t.Errorf("translate(%q, missing key) = %q, want the key", lang, got)
		}
	}
	if got := w.translate("sv", "page", 2, 5); got != "Sida 2 av 5" {
		t.Errorf(`translate("sv", "page", 2, 5) = %q`, got)
	}
}

// A message file that would show a person a key, or words of another
// connector's, stops New.
func TestMessageFilesAreChecked(t *testing.T) {
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string
	}{
		{"no English", fstest.MapFS{"words/sv.json": {Data: []byte(`{"x.title": "Titel"}`)}}, "no en.json"},
		{"a language Bilag does not offer", fstest.MapFS{"words/en.json": {Data: []byte(`{"x.title": "Title"}`)}, "words/de.json": {Data: []byte(`{"x.title": "Titel"}`)}}, "not one of the languages"},
		{"a key without English", fstest.MapFS{"words/en.json": {Data: []byte(`{"x.title": "Title"}`)}, "words/sv.json": {Data: []byte(`{"x.titel": "Titel"}`)}}, "no English text"},
		{"another connector's key", fstest.MapFS{"words/en.json": {Data: []byte(`{"y.title": "Title"}`)}}, "not one of its own"},
		{"a neutral key", fstest.MapFS{"words/en.json": {Data: []byte(`{"consent.title": "Title"}`)}}, "not one of its own"},
		{"an empty text", fstest.MapFS{"words/en.json": {Data: []byte(`{"x.title": "Title"}`)}, "words/da.json": {Data: []byte(`{"x.title": ""}`)}}, "is empty"},
		{"not JSON", fstest.MapFS{"words/en.json": {Data: []byte(`{"x.title": `)}}, "en.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Options{Connectors: map[string]fs.FS{"x": tt.files}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(connector x with %s) = %v, want an error saying %q", tt.name, err, tt.want)
			}
		})
	}
}

// A connector brings its words and its blocks of the consent pages in its
// own files: a fake one, made here, shows its words on its pages and the
// neutral ones elsewhere, and no file of views names it.
func TestConnectorBringsItsWords(t *testing.T) {
	fake := fstest.MapFS{
		"words/en.json":      {Data: []byte(`{"connector.fake": "Fake Books", "fake.consent.title": "Connect Fake Books"}`)},
		"words/sv.json":      {Data: []byte(`{"connector.fake": "Fake Böcker", "fake.consent.title": "Koppla Fake Böcker"}`)},
		"words/consent.html": {Data: []byte(`{{define "connector-logo"}}<b>fake-logo</b>{{end}}`)},
	}
	r, err := New(Options{Connectors: map[string]fs.FS{"fake": fake}})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	if got := r.TranslateFor("sv", "fake", "consent.title"); got != "Koppla Fake Böcker" {
		t.Errorf("TranslateFor(sv, fake, consent.title) = %q", got)
	}
	if got, want := r.TranslateFor("sv", "other", "consent.title"), r.Translate("sv", "consent.title"); got != want {
		t.Errorf("TranslateFor(sv, other, consent.title) = %q, want the neutral %q", got, want)
	}
	if got := r.ConnectorName("da", "fake"); got != "Fake Books" {
		t.Errorf("ConnectorName(da, fake) = %q, want the English name", got)
	}
	for conn, want := range map[string]bool{"fake": true, "": false} {
		var b strings.Builder
		data := testCompany{Company: &db.Company{ID: 1, Name: "X"}, LinkForm: NewForm()}
		if err := r.Execute(&b, "company", &Page{Lang: "sv", Connector: conn, Company: &Company{ID: 1, Name: "X"}, Data: data}); err != nil {
			t.Fatalf("Execute(company, %q) = %v", conn, err)
		}
		if got := strings.Contains(b.String(), "fake-logo"); got != want {
			t.Errorf("company page for connector %q shows the fake's block: %v, want %v", conn, got, want)
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
	r, err := testRenderer(t)
	if err != nil {
		t.Fatal(err)
	}
	for k, en := range r.words["en"] {
		want := formatVerbs(en)
		for _, lang := range []string{"sv", "da", "nb", "fi"} {
			s := r.words.own(lang, k)
			if s == "" {
				continue // falls back to English
			}
			if got := formatVerbs(s); !slices.Equal(got, want) {
				t.Errorf("key %q: %s text has verbs %q, English has %q", k, lang, got, want)
			}
		}
	}
}
