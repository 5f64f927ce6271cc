package views

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
)

// Languages lists the languages Bilag offers, the first the default: the
// language switcher shows them, ?l= accepts them and Accept-Language is
// matched against them. It returns a new slice on every call.
//
// This is the one list that enables a language; add one here with its
// locale/<lang>.json (TestCoverage names what is still missing).
func Languages() []string { return []string{"en", "sv", "da", "nb", "fi"} }

// Supported reports whether lang is one of Languages.
func Supported(lang string) bool { return slices.Contains(Languages(), lang) }

// languageName is a language's name in itself, for the language switcher.
func languageName(lang string) string {
	switch lang {
	case "en":
		return "English"
	case "sv":
		return "Svenska"
	case "da":
		return "Dansk"
	case "nb":
		return "Norsk bokmål"
	case "fi":
		return "Suomi"
	}
	return lang
}

// MatchLanguage picks the language of Languages an Accept-Language header
// prefers most, or the default.
func MatchLanguage(header string) string { return MatchLanguageOr(header, "") }

// MatchLanguageOr is MatchLanguage with fallback in place of the default
// when the header asks for no enabled language and fallback is enabled.
func MatchLanguageOr(header, fallback string) string {
	enabled := Languages()
	if slices.Contains(enabled, fallback) {
		enabled = append([]string{fallback}, slices.DeleteFunc(enabled, func(l string) bool { return l == fallback })...)
	}
	return matchLanguage(header, enabled)
}

// CountryLanguage is the language of a company's country (ISO 3166-1),
// enabled or not; "" for a country Bilag has no language of.
func CountryLanguage(country string) string {
	switch country {
	case "SE":
		return "sv"
	case "NO":
		return "nb"
	case "DK":
		return "da"
	case "FI":
		return "fi"
	}
	return ""
}

// matchLanguage is MatchLanguage over enabled, whose first language is the
// default. Nynorsk ("nn") and plain Norwegian ("no") readers are given
// bokmål ("nb"). A language that is not enabled is never substituted by a
// neighbour: Danish and Norwegian readers get what else they accept, or the
// default, until their own language is enabled.
func matchLanguage(header string, enabled []string) string {
	best, bestQ := enabled[0], -1.0
	for _, part := range strings.Split(header, ",") {
		tag, q := strings.TrimSpace(part), 1.0
		if i := strings.Index(tag, ";"); i >= 0 {
			var f float64
			if _, err := fmt.Sscanf(strings.TrimSpace(tag[i+1:]), "q=%g", &f); err == nil {
				q = f
			}
			tag = strings.TrimSpace(tag[:i])
		}
		base := strings.ToLower(tag)
		if i := strings.IndexAny(base, "-_"); i >= 0 {
			base = base[:i]
		}
		if base == "nn" || base == "no" {
			base = "nb"
		}
		if slices.Contains(enabled, base) && q > bestQ {
			best, bestQ = base, q
		}
	}
	return best
}

// words are the texts of Bilag's pages by language and key: the core's
// (locale/<lang>.json) and every connector's own (its words/<lang>.json,
// keys "<connector>.…" and "connector.<connector>"). They are read once, in
// New, and never change after.
type words map[string]map[string]string

// locale holds the core's message files, one per language.
//
//go:embed locale/*.json
var locale embed.FS

// own returns key's own text in lang: "" when lang has none (no fallback;
// the coverage test uses it to see what is missing).
func (w words) own(lang, key string) string { return w[lang][key] }

// text returns key's text in lang, falling back to English; ok is false
// for a key with no English text, which no page may show.
func (w words) text(lang, key string) (s string, ok bool) {
	if s := w[lang][key]; s != "" {
		return s, true
	}
	s, ok = w["en"][key]
	return s, ok
}

// has reports whether key has a text.
func (w words) has(key string) bool {
	_, ok := w["en"][key]
	return ok
}

// translate looks key up in lang, falling back to English and then the key.
func (w words) translate(lang, key string, args ...any) string {
	s, ok := w.text(lang, key)
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// translateFor is translate on a page of connector's: the connector's own
// wording of key ("<connector>.<key>") when it has one, else the neutral
// text of key.
func (w words) translateFor(lang, connector, key string, args ...any) string {
	if connector != "" {
		if _, ok := w["en"][connector+"."+key]; ok {
			return w.translate(lang, connector+"."+key, args...)
		}
	}
	return w.translate(lang, key, args...)
}

// add reads the message files <lang>.json of fsys into w. English is
// required and every other language's keys must be among its keys, so a
// misspelt key fails at start instead of never being shown; owns says
// which keys fsys may define, and a key defined twice is an error.
func (w words) add(fsys fs.FS, name string, owns func(key string) bool) error {
	files, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return fmt.Errorf("%s message files: %w", name, err)
	}
	read := map[string]map[string]string{}
	for _, file := range files {
		lang := strings.TrimSuffix(file, ".json")
		if !Supported(lang) {
			return fmt.Errorf("%s message file %s: %q is not one of the languages Bilag offers", name, file, lang)
		}
		b, err := fs.ReadFile(fsys, file)
		if err != nil {
			return fmt.Errorf("%s message file %s: %w", name, file, err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("%s message file %s: %w", name, file, err)
		}
		read[lang] = m
	}
	en, ok := read["en"]
	if !ok {
		return fmt.Errorf("%s has no en.json: English is every text's fallback", name)
	}
	for lang, m := range read {
		for key, text := range m {
			switch {
			case !owns(key):
				return fmt.Errorf("%s %s.json: key %q is not one of its own", name, lang, key)
			case en[key] == "":
				return fmt.Errorf("%s %s.json: key %q has no English text", name, lang, key)
			case text == "":
				return fmt.Errorf("%s %s.json: key %q is empty (leave an untranslated key out)", name, lang, key)
			}
			if _, dup := w["en"][key]; dup && lang == "en" {
				return fmt.Errorf("%s en.json: key %q is defined twice", name, key)
			}
		}
	}
	for lang, m := range read {
		if w[lang] == nil {
			w[lang] = map[string]string{}
		}
		maps.Copy(w[lang], m)
	}
	return nil
}

// connectorKey reports whether key is one of connector's own: its
// wording of a neutral key ("<connector>.…") or its name
// ("connector.<connector>").
func connectorKey(connector, key string) bool {
	return strings.HasPrefix(key, connector+".") || key == "connector."+connector
}

// coreKey reports whether key may be one of the core's: any key no
// connector of connectors owns.
func coreKey(connectors []string) func(string) bool {
	return func(key string) bool {
		return !slices.ContainsFunc(connectors, func(c string) bool { return connectorKey(c, key) })
	}
}
