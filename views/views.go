// Package views renders Bilag's HTML pages from embedded templates, in the
// visitor's language. Every page is parsed at start together with the layout
// and partials, so a broken template stops the server instead of a request.
package views

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
)

//go:embed templates/*.html
var files embed.FS

// FS is the embedded templates directory.
func FS() fs.FS {
	sub, err := fs.Sub(files, "templates")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// Options are what a Renderer is built from.
type Options struct {
	// Templates are the pages, layout and partials; nil is the embedded
	// ones (FS).
	Templates fs.FS
	// Connectors are each connector's own words, by connector name, as its
	// package embeds them, in a directory words: <lang>.json message files
	// whose keys are "<name>.…" (its wording of a neutral key) and
	// "connector.<name>" (its name as people know it), English required;
	// and, optionally, consent.html, which replaces the connector blocks of
	// connectorPages. Adding a connector adds a row here and no file to
	// views.
	Connectors map[string]fs.FS
}

// Renderer holds one parsed template per page, and one per page and
// connector for the pages that show a connector's words, and the words
// of every page in every language.
type Renderer struct {
	pages map[string]*template.Template
	words words
	// connectors are the connectors of Options.Connectors, sorted.
	connectors []string
}

// partials are parsed into every page.
var partials = []string{"layout.html", "partials.html"}

// connectorPages are the pages that show a connector's own words. Each
// defines the blocks a connector may replace ({{block "connector-…"}}) with
// neutral words, and is parsed once more per connector with a consent.html,
// a clone of layout, page and that file, so that "<page>/<connector>" has
// the connector's blocks.
var connectorPages = []string{"company", "consent", "consent_result", "connect_form"}

// connectorBlock prefixes the names of the blocks a connector file defines.
const connectorBlock = "connector-"

// connectorDir is the directory of a connector's words in its files, and
// connectorTemplate the file there that replaces the connector blocks.
const (
	connectorDir      = "words"
	connectorTemplate = "consent.html"
)

// New parses every page with the layout and partials, each of
// connectorPages once more per connector template, and reads the core's
// and every connector's message files.
func New(opt Options) (*Renderer, error) {
	fsys := opt.Templates
	if fsys == nil {
		fsys = FS()
	}
	r := &Renderer{pages: map[string]*template.Template{}, words: words{}}
	r.connectors = slices.Sorted(maps.Keys(opt.Connectors))
	core, err := fs.Sub(locale, "locale")
	if err != nil {
		return nil, fmt.Errorf("core message files: %w", err)
	}
	if err := r.words.add(core, "locale", coreKey(r.connectors)); err != nil {
		return nil, err
	}
	base, err := template.New("").Funcs(funcs).ParseFS(fsys, partials...)
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read templates: %w", err)
	}
	// blocks are the connector blocks the connector pages define.
	blocks := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || path.Ext(name) != ".html" || isPartial(name) {
			continue
		}
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("clone layout for %s: %w", name, err)
		}
		if _, err := t.ParseFS(fsys, name); err != nil {
			return nil, fmt.Errorf("parse page %s: %w", name, err)
		}
		page := strings.TrimSuffix(name, ".html")
		own := connectorBlocks(t)
		if len(own) > 0 && !slices.Contains(connectorPages, page) {
			return nil, fmt.Errorf("page %s has connector blocks %q but is not one of connectorPages", name, own)
		}
		for _, b := range own {
			blocks[b] = true
		}
		r.pages[page] = t
	}
	for _, connector := range r.connectors {
		cfs, err := fs.Sub(opt.Connectors[connector], connectorDir)
		if err != nil {
			return nil, fmt.Errorf("connector %s's words: %w", connector, err)
		}
		if err := r.words.add(cfs, "connector "+connector, func(key string) bool { return connectorKey(connector, key) }); err != nil {
			return nil, err
		}
		if err := r.addConnectorPages(connector, cfs, blocks); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// addConnectorPages parses each of connectorPages once more with the
// connector's template, when it has one.
func (r *Renderer) addConnectorPages(connector string, cfs fs.FS, blocks map[string]bool) error {
	if _, err := fs.Stat(cfs, connectorTemplate); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := checkConnectorFile(cfs, connector, blocks); err != nil {
		return err
	}
	for _, page := range connectorPages {
		t, ok := r.pages[page]
		if !ok {
			return fmt.Errorf("connector page %s.html is missing", page)
		}
		ct, err := t.Clone()
		if err != nil {
			return fmt.Errorf("clone %s for %s: %w", page, connector, err)
		}
		if _, err := ct.ParseFS(cfs, connectorTemplate); err != nil {
			return fmt.Errorf("parse %s's %s for %s: %w", connector, connectorTemplate, page, err)
		}
		r.pages[page+"/"+connector] = ct
	}
	return nil
}

// connectorBlocks lists the connector blocks t defines.
func connectorBlocks(t *template.Template) []string {
	var names []string
	for _, d := range t.Templates() {
		if strings.HasPrefix(d.Name(), connectorBlock) {
			names = append(names, d.Name())
		}
	}
	slices.Sort(names)
	return names
}

// checkConnectorFile makes sure a connector file only replaces blocks the
// connector pages have: a misspelt block would otherwise be parsed and
// never shown, and a "content" of its own would replace the page.
func checkConnectorFile(fsys fs.FS, connector string, blocks map[string]bool) error {
	file := connector + "'s " + connectorTemplate
	t, err := template.New(connectorTemplate).Funcs(funcs).ParseFS(fsys, connectorTemplate)
	if err != nil {
		return fmt.Errorf("parse %s: %w", file, err)
	}
	for _, d := range t.Templates() {
		switch name := d.Name(); {
		case name == connectorTemplate:
		case !strings.HasPrefix(name, connectorBlock):
			return fmt.Errorf("%s defines %q: a connector file defines only %s… blocks", file, name, connectorBlock)
		case !blocks[name]:
			return fmt.Errorf("%s defines %q, which no connector page has", file, name)
		}
	}
	return nil
}

func isPartial(name string) bool {
	for _, p := range partials {
		if p == name {
			return true
		}
	}
	return false
}

// Execute renders a page outside echo (tests, mails). A Page with a
// Connector gets that connector's version of the page when it has one.
func (r *Renderer) Execute(w io.Writer, name string, data any) error {
	t, ok := r.pages[name]
	if !ok || strings.Contains(name, "/") {
		return fmt.Errorf("render: no page %q", name)
	}
	if p, isPage := data.(*Page); isPage {
		p.words = r.words
		if ct, found := r.pages[name+"/"+p.Connector]; found && p.Connector != "" {
			t = ct
		}
	}
	// Render into a buffer so a template error cannot leave half a page.
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// Pages lists the parsed page names (for the test that renders them all).
func (r *Renderer) Pages() []string {
	names := make([]string, 0, len(r.pages))
	for n := range r.pages {
		if !strings.Contains(n, "/") {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// Connectors lists the connectors with words of their own (for the test
// that renders every page per connector).
func (r *Renderer) Connectors() []string { return slices.Clone(r.connectors) }

// Translate looks key up in lang, falling back to English and then the key.
func (r *Renderer) Translate(lang, key string, args ...any) string {
	return r.words.translate(lang, key, args...)
}

// TranslateFor is Translate on a page of connector's: the connector's own
// wording of key ("<connector>.<key>") when it has one, else the neutral
// text of key.
func (r *Renderer) TranslateFor(lang, connector, key string, args ...any) string {
	return r.words.translateFor(lang, connector, key, args...)
}

// HasText reports whether key has a text, for a caller that picks a key by
// a value from elsewhere (a refusal's reason) and must fall back rather
// than show the key.
func (r *Renderer) HasText(key string) bool { return r.words.has(key) }

// ConnectorName is a connector's name as people know it
// ("connector.<name>") in lang, or name itself when it has none.
func (r *Renderer) ConnectorName(lang, name string) string {
	if s, ok := r.words.text(lang, "connector."+name); ok {
		return s
	}
	return name
}

var funcs = template.FuncMap{
	"query": func(kv ...string) template.URL {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] != "" {
				v.Set(kv[i], kv[i+1])
			}
		}
		return template.URL(v.Encode())
	},
	"add": func(a, b int) int { return a + b },
	// languages and languageName make the language switcher.
	"languages":    Languages,
	"languageName": languageName,
	// countText shows a count, or "more than N" when counting stopped at N.
	"countText": func(p *Page, n int64, capped bool) string {
		if capped {
			return p.T("common.morethan", n)
		}
		return fmt.Sprint(n)
	},
	// trimSeries drops the series from a number that starts with it, so
	// "A123" in series "A" shows as "A 123".
	"trimSeries": func(number, series string) string {
		if series != "" && strings.HasPrefix(number, series) {
			return strings.TrimSpace(strings.TrimPrefix(number, series))
		}
		return number
	},
	// runs packs a page and sync runs for the syncruns partial.
	"runs": func(p *Page, rs any) map[string]any { return map[string]any{"P": p, "Runs": rs} },
	"date": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return ""
			}
			return v.Format("2006-01-02")
		case *time.Time:
			if v == nil || v.IsZero() {
				return ""
			}
			return v.Format("2006-01-02")
		}
		return ""
	},
	"datetime": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return ""
			}
			return v.Local().Format("2006-01-02 15:04")
		case *time.Time:
			if v == nil || v.IsZero() {
				return ""
			}
			return v.Local().Format("2006-01-02 15:04")
		}
		return ""
	},
	"money": Money,
	"pct": func(a, b int) int {
		if b <= 0 {
			return 0
		}
		return min(100, a*100/b)
	},
}

// Money prints an amount in minor units (cents, öre) the Nordic way:
// spaces between thousands, a decimal comma, a true minus sign.
func Money(minor int64) string {
	neg := minor < 0
	if neg {
		minor = -minor
	}
	whole, frac := minor/100, minor%100
	s := fmt.Sprintf("%d", whole)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune('\u00a0')
		}
		b.WriteRune(r)
	}
	out := fmt.Sprintf("%s,%02d", b.String(), frac)
	if neg {
		out = "−" + out
	}
	return out
}
