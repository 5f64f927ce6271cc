// Package views renders Bilag's HTML pages from embedded templates, in the
// visitor's language. Every page is parsed at start together with the layout
// and partials, so a broken template stops the server instead of a request.
package views

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
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

// Renderer holds one parsed template per page. It implements echo.Renderer.
type Renderer struct {
	pages map[string]*template.Template
}

// partials are parsed into every page.
var partials = []string{"layout.html", "partials.html"}

// New parses every page in fsys with the layout and partials.
func New(fsys fs.FS) (*Renderer, error) {
	base, err := template.New("").Funcs(funcs).ParseFS(fsys, partials...)
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read templates: %w", err)
	}
	r := &Renderer{pages: map[string]*template.Template{}}
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
		r.pages[strings.TrimSuffix(name, ".html")] = t
	}
	return r, nil
}

func isPartial(name string) bool {
	for _, p := range partials {
		if p == name {
			return true
		}
	}
	return false
}

// Render writes page name with data, which must be a Page.
func (r *Renderer) Render(w io.Writer, name string, data any, _ echo.Context) error {
	return r.Execute(w, name, data)
}

// Execute renders a page outside echo (tests, mails).
func (r *Renderer) Execute(w io.Writer, name string, data any) error {
	t, ok := r.pages[name]
	if !ok {
		return fmt.Errorf("render: no page %q", name)
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
		names = append(names, n)
	}
	return names
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
	"money": func(minor int64) string {
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
	},
	"pct": func(a, b int) int {
		if b <= 0 {
			return 0
		}
		return min(100, a*100/b)
	},
}
