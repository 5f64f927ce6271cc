package views

import (
	"fmt"
	"html/template"
	"net/url"
	"sync"
	"time"
)

// Page is the envelope every template gets. Data holds the page's own
// typed struct.
type Page struct {
	Title string
	Lang  string
	// User is the person logged in; nil on the accountant's pages.
	User *User
	// Company is the company the page is about, if any.
	Company *Company
	CSRF    string
	Flash   string
	// Path is the current request path with query, for the language switch.
	Path string
	// Static maps a file under public/ to its cache-busting URL.
	Static func(name string) string
	// Bare renders the page without the portal's header (the accountant's
	// pages, which must not show portal navigation).
	Bare bool
	// FirmName is the deploying firm's name.
	FirmName string
	// FirmLogo is the URL of the firm's logo, shown in the header of the
	// accountant's pages; "" without one.
	FirmLogo string
	// Connector names the connector whose words the page shows (the
	// consent link's, the company's connection's): Renderer.Execute picks
	// the page parsed with that connector's consent.html, and CT
	// prefers the connector's catalogue. "" or a connector without a file
	// of its own gets the page's neutral words.
	Connector string
	// Misconfigured names, for an admin, the connectors whose connections
	// fail alike in numbers that point at Bilag's own configuration.
	Misconfigured []string
	// Unread counts the user's notifications not yet seen (the bell).
	Unread int64
	// Zone is the time zone the page prints times in (Page.Time): the
	// company's country's on the accountant's pages, BILAG_TIMEZONE on the
	// portal's. nil prints UTC.
	Zone *time.Location
	Data any

	// words are the Renderer's, set by Execute for T and its kin.
	words words
}

// User is what a page shows of the person logged in.
type User struct {
	Name, Email, Role string
	// IsAdmin and CanManageConnections are the role's rights, decided by
	// the server; IsClient: one of a client company's own people, whose
	// pages are their company's only.
	IsAdmin, CanManageConnections, IsClient bool
}

// Company is what a page's header and title show of the company it is
// about.
type Company struct {
	ID                       int64
	Name, Country, OrgNumber string
	Active                   bool
}

// shortMonths are the month abbreviations Page.Time prints, per language;
// a language without its own gets English's.
var shortMonths = map[string][12]string{
	"en": {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
	"sv": {"jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"},
	"da": {"jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec."},
	"nb": {"jan.", "feb.", "mar.", "apr.", "mai", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "des."},
}

// Time prints a moment in the page's zone, with the zone's name, so that
// nobody reads server time as their own: "26 nov 2026 01:50 CET". It takes
// a time.Time or a *time.Time; zero and nil print "".
func (p *Page) Time(t any) string {
	var v time.Time
	switch x := t.(type) {
	case time.Time:
		v = x
	case *time.Time:
		if x == nil {
			return ""
		}
		v = *x
	default:
		return ""
	}
	if v.IsZero() {
		return ""
	}
	return FormatTime(v, p.Zone, p.Lang)
}

// FormatTime is Page.Time outside a page (mail, tests).
func FormatTime(t time.Time, zone *time.Location, lang string) string {
	if zone == nil {
		zone = time.UTC
	}
	t = t.In(zone)
	switch lang {
	case "fi":
		// Finnish readers expect a numeric date and "klo" with a dotted time.
		return fmt.Sprintf("%d.%d.%d klo %s", t.Day(), t.Month(), t.Year(), t.Format("15.04 MST"))
	case "da", "nb":
		// Danish and Norwegian write the day as an ordinal: "26. nov. 2026".
		return fmt.Sprintf("%d. %s %d %s", t.Day(), shortMonths[lang][t.Month()-1], t.Year(), t.Format("15:04 MST"))
	}
	months, ok := shortMonths[lang]
	if !ok {
		months = shortMonths["en"]
	}
	return fmt.Sprintf("%d %s %d %s", t.Day(), months[t.Month()-1], t.Year(), t.Format("15:04 MST"))
}

// CountryZone is the time zone of a company's country (ISO 3166-1), for
// the accountant's pages; nil for a country Bilag has none for.
func CountryZone(country string) *time.Location { return countryZones()[country] }

// countryZones is loaded once: LoadLocation parses the zone file each call.
var countryZones = sync.OnceValue(func() map[string]*time.Location {
	out := map[string]*time.Location{}
	for country, name := range map[string]string{"SE": "Europe/Stockholm", "NO": "Europe/Oslo", "DK": "Europe/Copenhagen",
		"FI": "Europe/Helsinki", "NL": "Europe/Amsterdam"} {
		if loc, err := time.LoadLocation(name); err == nil {
			out[country] = loc
		}
	}
	return out
})

// T translates key into the page's language.
func (p *Page) T(key string, args ...any) string { return p.words.translate(p.Lang, key, args...) }

// TH translates key and marks the result as trusted HTML; only for catalog
// strings with markup, never with user input in args.
func (p *Page) TH(key string, args ...any) template.HTML {
	for i, a := range args {
		args[i] = template.HTMLEscapeString(fmt.Sprint(a))
	}
	return template.HTML(p.words.translate(p.Lang, key, args...))
}

// CT translates key as the page's connector words it: its catalogue's
// "<connector>.<key>" when it has one, else the neutral text of key.
func (p *Page) CT(key string, args ...any) string {
	return p.words.translateFor(p.Lang, p.Connector, key, args...)
}

// CTH is CT for catalogue strings with markup, as TH is for T.
func (p *Page) CTH(key string, args ...any) template.HTML {
	for i, a := range args {
		args[i] = template.HTMLEscapeString(fmt.Sprint(a))
	}
	return template.HTML(p.words.translateFor(p.Lang, p.Connector, key, args...))
}

// ConnectorName is a connector's name as people know it
// ("connector.<name>"), or name itself when the catalogue has none.
func (p *Page) ConnectorName(name string) string {
	if s, ok := p.words.text(p.Lang, "connector."+name); ok {
		return s
	}
	return name
}

// LangURL is the link that switches the page to lang.
func (p *Page) LangURL(lang string) string {
	return "/lang?" + url.Values{"l": {lang}, "next": {p.Path}}.Encode()
}

// Asset is the cache-busting URL of a static file.
func (p *Page) Asset(name string) string {
	if p.Static == nil {
		return "/static/" + name
	}
	return p.Static(name)
}

// Form carries a form's values and its errors, each a catalog key.
type Form struct {
	Values map[string]string
	Errors map[string]string
}

// NewForm returns an empty form.
func NewForm() *Form { return &Form{Values: map[string]string{}, Errors: map[string]string{}} }

// Get returns a value.
func (f *Form) Get(name string) string {
	if f == nil {
		return ""
	}
	return f.Values[name]
}

// Error returns the catalog key of a field's error.
func (f *Form) Error(name string) string {
	if f == nil {
		return ""
	}
	return f.Errors[name]
}

// Fail records an error for a field.
func (f *Form) Fail(name, key string) { f.Errors[name] = key }

// OK reports whether no field failed.
func (f *Form) OK() bool { return len(f.Errors) == 0 }

// Kind is a voucher kind in the page's language: its own word
// ("vkind.<kind>"), or the word for other kinds when there is none for it
// (a connector's new kind, a row from before a kind existed), never the
// key.
func (p *Page) Kind(kind string) string {
	if key := "vkind." + kind; p.words.has(key) {
		return p.T(key)
	}
	return p.T("vkind.other")
}
