package server_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/connectors/orgnr"
	"bilag/db"
	"bilag/views"
)

// addCompanyIn is addCompany for a company of another country than Sweden.
func (e *env) addCompanyIn(country, name, org string, members ...person) *db.Company {
	e.t.Helper()
	norm, err := orgnr.Validate(country, org)
	if err != nil {
		e.t.Fatalf("orgnr.Validate(%s, %s) = %v", country, org, err)
	}
	c := &db.Company{Name: name, Country: country, OrgNumber: norm, Active: true}
	if err := e.db.CreateCompany(e.t.Context(), c); err != nil {
		e.t.Fatalf("CreateCompany(%s) = %v", name, err)
	}
	var ids []int64
	for _, m := range members {
		ids = append(ids, m.ID)
	}
	if err := e.db.SetMembers(e.t.Context(), c.ID, ids); err != nil {
		e.t.Fatalf("SetMembers(%s) = %v", name, err)
	}
	return c
}

// pageLang is the language a page declares (<html lang="…">).
func pageLang(r *response) string {
	_, rest, ok := strings.Cut(r.Body, `<html lang="`)
	if !ok {
		return ""
	}
	lang, _, _ := strings.Cut(rest, `"`)
	return lang
}

// pageTitle is the text of a page's <title>.
func pageTitle(r *response) string {
	_, rest, _ := strings.Cut(r.Body, "<title>")
	title, _, _ := strings.Cut(rest, "</title>")
	return html.UnescapeString(title)
}

// The accountant's pages (the consent page, the "checking" step and the
// result) speak the company's country language to a reader whose browser
// names none of Bilag's languages: a Danish company's accountant reads
// Danish, a Norwegian one bokmål, a Finnish one Finnish. A language the
// browser names wins.
func TestConsentLanguageFollowsTheCompanysCountry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	analyst := e.loggedIn(e.analyst)
	companies := map[string]*db.Company{
		"SE": e.fj,
		"DK": e.addCompanyIn("DK", "Skagen Tømrer ApS", "61126228", e.analyst),
		"NO": e.addCompanyIn("NO", "Fjordsag AS", "923609016", e.analyst),
		"FI": e.addCompanyIn("FI", "Saimaan Puu Oy", "0112038-9", e.analyst),
	}
	tests := []struct {
		country, acceptLanguage, want string
	}{
		{"SE", "de-DE,de;q=0.9", "sv"},
		{"DK", "de-DE,de;q=0.9", "da"},
		{"NO", "pl-PL", "nb"},
		{"FI", "ru-RU,ru;q=0.9", "fi"},
		{"DK", "", "da"},
		// The browser's own choice wins over the company's country.
		{"DK", "en-GB,en;q=0.9", "en"},
		{"FI", "sv-FI,sv;q=0.9", "sv"},
		{"NO", "da-DK", "da"},
		{"SE", "nb-NO,nb;q=0.9", "nb"},
		{"DK", "fi", "fi"},
	}
	for _, tt := range tests {
		t.Run(tt.country+"/"+tt.acceptLanguage, func(t *testing.T) {
			co := companies[tt.country]
			link := analyst.createLink(co, "")
			acc := e.browser()
			acc.header.Set("Accept-Language", tt.acceptLanguage)
			if tt.acceptLanguage == "" {
				acc.header.Del("Accept-Language")
			}
			page := acc.get(link)
			wantStatus(t, "consent page", page, http.StatusOK)
			if got := pageLang(page); got != tt.want {
				t.Errorf("consent page of a %s company for Accept-Language %q is in %q, want %q", tt.country, tt.acceptLanguage, got, tt.want)
			}
			wantText(t, "consent page", page, words().Translate(tt.want, "consent.give"))
			if got, want := pageTitle(page), words().TranslateFor(tt.want, "eaccounting", "consent.title"); !strings.HasPrefix(got, want) {
				t.Errorf("consent page's title = %q, want it to start with %q", got, want)
			}

			// Through the upstream and back: the sandbox hands over
			// Fjällbacka, so every company but Fjällbacka ends in a refusal.
			cb := acc.consent(link, anna)
			checking := acc.get(cb.Location())
			wantStatus(t, "checking page", checking, http.StatusOK)
			if got := pageLang(checking); got != tt.want {
				t.Errorf("checking page of a %s company is in %q, want %q", tt.country, got, tt.want)
			}
			if got, want := pageTitle(checking), words().Translate(tt.want, "accountant.checking.title"); !strings.HasPrefix(got, want) {
				t.Errorf("checking page's title = %q, want it to start with %q", got, want)
			}
			r := acc.get(checkingTarget(t, checking))
			wantStatus(t, "check", r, http.StatusSeeOther)
			res := acc.get(r.Location())
			if got := pageLang(res); got != tt.want {
				t.Errorf("result page of a %s company is in %q, want %q", tt.country, got, tt.want)
			}
			want := "result.ok.title"
			if tt.country != "SE" {
				want = "result.retry"
			}
			wantText(t, "result page", res, words().Translate(tt.want, want))
			if got, want := pageTitle(res), words().TranslateFor(tt.want, "eaccounting", "result.title"); !strings.HasPrefix(got, want) {
				t.Errorf("result page's title = %q, want it to start with %q", got, want)
			}
		})
	}
}

// A reader who chose a language keeps it on a Danish company's pages.
func TestConsentLanguageChosenWins(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	co := e.addCompanyIn("DK", "Skagen Tømrer ApS", "61126228", e.analyst)
	link := e.loggedIn(e.analyst).createLink(co, "")
	for _, lang := range views.Languages() {
		t.Run(lang, func(t *testing.T) {
			acc := e.browser()
			acc.header.Set("Accept-Language", "de-DE")
			acc.get("/lang?l=" + lang + "&next=/login")
			page := acc.get(link)
			wantStatus(t, "consent page", page, http.StatusOK)
			if got := pageLang(page); got != lang {
				t.Errorf("consent page after choosing %q is in %q", lang, got)
			}
			// The switcher offers every language, each in its own name.
			for _, other := range views.Languages() {
				if !strings.Contains(page.Body, `lang="`+other+`"`) {
					t.Errorf("the language switcher lacks %q", other)
				}
			}
		})
	}
}

// The key form (a connector granted by pasted keys, as Netvisor is) speaks
// a Finnish company's language too, its refusal included.
func TestKeyFormLanguageFollowsTheCompanysCountry(t *testing.T) {
	t.Parallel()
	e, _ := newEnv(t).withFake(func(u *connectortest.Upstream) connectors.Connector { return connectortest.Form{U: u} })
	co := e.addCompanyIn("FI", "Saimaan Puu Oy", "0112038-9", e.analyst)
	link := e.loggedIn(e.analyst).createLink(co, "")
	acc := e.browser()
	acc.header.Set("Accept-Language", "de-DE,de;q=0.9")
	page := acc.get(link)
	wantStatus(t, "key form", page, http.StatusOK)
	if got := pageLang(page); got != "fi" {
		t.Errorf("key form of a Finnish company is in %q, want fi", got)
	}
	wantText(t, "key form", page, words().Translate("fi", "form.keys.title"), words().Translate("fi", "form.submit"))
	r := acc.post(link, url.Values{"user": {"anna"}, "key": {"wrong-key"}, "approver_name": {"Aino Virtanen"}})
	wantStatus(t, "wrong keys", r, http.StatusUnprocessableEntity)
	if got := pageLang(r); got != "fi" {
		t.Errorf("key form's refusal is in %q, want fi", got)
	}
	wantText(t, "wrong keys", r, words().Translate("fi", "form.refused"))
}
