package views

import (
	"fmt"
	"slices"
	"strings"
)

// Text is one key's text in each language the catalogues have room for. An
// empty field is a text not written yet: Translate shows English instead.
type Text struct{ En, Sv, Da, Nb, Fi string }

// in returns t's own text in lang: "" when it has none or lang is not one
// Text has room for (no fallback; the tests use it to see what is missing).
func (t Text) in(lang string) string {
	switch lang {
	case "en":
		return t.En
	case "sv":
		return t.Sv
	case "da":
		return t.Da
	case "nb":
		return t.Nb
	case "fi":
		return t.Fi
	}
	return ""
}

// text returns t in lang, falling back to English.
func (t Text) text(lang string) string {
	if s := t.in(lang); s != "" {
		return s
	}
	return t.En
}

// Languages lists the languages Bilag offers, the first the default: the
// language switcher shows them, ?l= accepts them and Accept-Language is
// matched against them. It returns a new slice on every call.
//
// This is the one list that enables a language; add one here once the
// accountant's texts exist in it (TestAccountantTextsInEveryLanguage names
// the ones still missing). The portal's other pages may lack an enabled
// language: their texts fall back to English (Text.text).
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

// Translate looks key up in lang, falling back to English and then the key.
func Translate(lang, key string, args ...any) string {
	t, ok := catalog[key]
	if !ok {
		return key
	}
	s := t.text(lang)
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// TranslateFor is Translate on a page of connector's: the connector's own
// wording of key ("<connector>.<key>") when its catalogue has one, else the
// neutral text of key.
func TranslateFor(lang, connector, key string, args ...any) string {
	if connector != "" {
		if _, ok := catalog[connector+"."+key]; ok {
			return Translate(lang, connector+"."+key, args...)
		}
	}
	return Translate(lang, key, args...)
}

// catalog maps a key to its texts.
var catalog = merge(coreCatalog, consentCatalog, voucherCatalog, apiCatalog, formCatalog, eaccountingCatalog, lifecycleCatalog, docsecCatalog, sessionsCatalog, failuresCatalog, peopleCatalog, analystCatalog, findingCatalog, accountantCatalog, keyformCatalog, shareCatalog, netvisorCatalog, economicCatalog, bulkCatalog, enterpriseCatalog, ordersCatalog, scalebCatalog)

func merge(ms ...map[string]Text) map[string]Text {
	out := map[string]Text{}
	for _, m := range ms {
		for k, v := range m {
			if _, dup := out[k]; dup {
				panic("views: translation key defined twice: " + k)
			}
			out[k] = v
		}
	}
	return out
}

var coreCatalog = map[string]Text{
	"app.tagline":                  {En: "The documents behind your vouchers", Sv: "Dokumenten bakom dina verifikat", Da: "Dokumenterne bag dine bilag", Nb: "Dokumentene bak bilagene dine", Fi: "Tositteidesi taustalla olevat asiakirjat"},
	"nav.dashboard":                {En: "Companies", Sv: "Företag"},
	"nav.users":                    {En: "Users", Sv: "Användare"},
	"nav.companies":                {En: "Manage companies", Sv: "Hantera företag"},
	"nav.settings":                 {En: "Settings", Sv: "Inställningar"},
	"nav.logout":                   {En: "Log out", Sv: "Logga ut"},
	"nav.skip":                     {En: "Skip to content", Sv: "Hoppa till innehållet", Da: "Spring til indholdet", Nb: "Hopp til innholdet", Fi: "Siirry sisältöön"},
	"nav.language":                 {En: "Language", Sv: "Språk", Da: "Sprog", Nb: "Språk", Fi: "Kieli"},
	"common.save":                  {En: "Save", Sv: "Spara"},
	"common.cancel":                {En: "Cancel", Sv: "Avbryt"},
	"common.create":                {En: "Create", Sv: "Skapa"},
	"common.edit":                  {En: "Edit", Sv: "Ändra"},
	"common.back":                  {En: "Back", Sv: "Tillbaka"},
	"common.yes":                   {En: "Yes", Sv: "Ja"},
	"common.no":                    {En: "No", Sv: "Nej"},
	"common.active":                {En: "Active", Sv: "Aktiv"},
	"common.inactive":              {En: "Inactive", Sv: "Inaktiv"},
	"common.name":                  {En: "Name", Sv: "Namn"},
	"common.email":                 {En: "Email", Sv: "E-post"},
	"common.role":                  {En: "Role", Sv: "Roll"},
	"common.status":                {En: "Status", Sv: "Status"},
	"common.actions":               {En: "Actions", Sv: "Åtgärder"},
	"common.none":                  {En: "None yet.", Sv: "Inga ännu."},
	"common.search":                {En: "Search", Sv: "Sök"},
	"common.filter":                {En: "Filter", Sv: "Filtrera"},
	"common.previous":              {En: "Previous", Sv: "Föregående"},
	"common.next":                  {En: "Next", Sv: "Nästa"},
	"common.page":                  {En: "Page %d of %d", Sv: "Sida %d av %d"},
	"common.pageof":                {En: "Page %d", Sv: "Sida %d"},
	"common.morethan":              {En: "at least %d", Sv: "minst %d"},
	"common.copy":                  {En: "Copy", Sv: "Kopiera", Da: "Kopiér", Nb: "Kopier", Fi: "Kopioi"},
	"common.copied":                {En: "Copied", Sv: "Kopierad", Da: "Kopieret", Nb: "Kopiert", Fi: "Kopioitu"},
	"role.admin":                   {En: "Administrator", Sv: "Administratör"},
	"role.analyst":                 {En: "Analyst", Sv: "Analytiker"},
	"role.viewer":                  {En: "Viewer", Sv: "Läsare"},
	"country.SE":                   {En: "Sweden", Sv: "Sverige"},
	"country.NO":                   {En: "Norway", Sv: "Norge"},
	"country.DK":                   {En: "Denmark", Sv: "Danmark"},
	"country.FI":                   {En: "Finland", Sv: "Finland"},
	"country.NL":                   {En: "Netherlands", Sv: "Nederländerna"},
	"login.title":                  {En: "Log in", Sv: "Logga in"},
	"login.email":                  {En: "Email", Sv: "E-post"},
	"login.password":               {En: "Password", Sv: "Lösenord"},
	"login.submit":                 {En: "Log in", Sv: "Logga in"},
	"login.failed":                 {En: "Wrong email or password, or the account is deactivated.", Sv: "Fel e-post eller lösenord, eller så är kontot avaktiverat."},
	"login.throttled":              {En: "Too many failed attempts. Wait %d minutes and try again.", Sv: "För många misslyckade försök. Vänta %d minuter och försök igen."},
	"login.loggedout":              {En: "You are logged out.", Sv: "Du är utloggad."},
	"login.demo":                   {En: "Demo logins", Sv: "Demoinloggningar"},
	"dash.title":                   {En: "Companies", Sv: "Företag"},
	"dash.none":                    {En: "You have no companies yet. An administrator adds you to a company.", Sv: "Du har inga företag ännu. En administratör lägger till dig i ett företag."},
	"dash.orgnr":                   {En: "Organisation number", Sv: "Organisationsnummer"},
	"dash.connection":              {En: "Connection", Sv: "Koppling"},
	"conn.none":                    {En: "Not connected", Sv: "Inte kopplat"},
	"conn.active":                  {En: "Connected", Sv: "Kopplat"},
	"conn.needs_reapproval":        {En: "Needs re-approval", Sv: "Behöver nytt godkännande"},
	"conn.disconnected":            {En: "Disconnected", Sv: "Frånkopplat"},
	"company.title":                {En: "Company", Sv: "Företag"},
	"company.country":              {En: "Country", Sv: "Land"},
	"company.orgnr":                {En: "Organisation number", Sv: "Organisationsnummer"},
	"company.active":               {En: "Active", Sv: "Aktivt"},
	"company.members":              {En: "Members", Sv: "Medlemmar"},
	"company.connector":            {En: "Accounting system", Sv: "Ekonomisystem"},
	"company.connector.about":      {En: "Connect the company's accounting system so that you can open the invoices and receipts behind its vouchers. Bilag only reads.", Sv: "Koppla företagets ekonomisystem så att ni kan öppna fakturor och kvitton bakom dess verifikat. Bilag läser bara."},
	"company.notfound":             {En: "No such company.", Sv: "Företaget finns inte."},
	"admin.users":                  {En: "Users", Sv: "Användare"},
	"admin.user.new":               {En: "New user", Sv: "Ny användare"},
	"admin.user.edit":              {En: "Edit user", Sv: "Ändra användare"},
	"admin.user.password":          {En: "New password", Sv: "Nytt lösenord"},
	"admin.user.password.help":     {En: "Leave empty to keep the password. At least 12 characters.", Sv: "Lämna tomt för att behålla lösenordet. Minst 12 tecken."},
	"admin.user.password.new.help": {En: "Leave empty to generate one; it is shown once.", Sv: "Lämna tomt för att generera ett; det visas en gång."},
	"admin.user.created":           {En: "User created. Their password, shown only now: %s", Sv: "Användaren är skapad. Lösenordet visas bara nu: %s"},
	"admin.user.saved":             {En: "User saved.", Sv: "Användaren är sparad."},
	"admin.user.reset":             {En: "Password reset. The new password, shown only now: %s", Sv: "Lösenordet är återställt. Det nya lösenordet visas bara nu: %s"},
	"admin.user.resetbutton":       {En: "Reset password", Sv: "Återställ lösenord"},
	"admin.user.self":              {En: "You cannot deactivate yourself or take away your own administrator role.", Sv: "Du kan inte avaktivera dig själv eller ta bort din egen administratörsroll."},
	"admin.companies":              {En: "Companies", Sv: "Företag"},
	"admin.company.new":            {En: "New company", Sv: "Nytt företag"},
	"admin.company.edit":           {En: "Edit company", Sv: "Ändra företag"},
	"admin.company.saved":          {En: "Company saved.", Sv: "Företaget är sparat."},
	"admin.company.created":        {En: "Company created.", Sv: "Företaget är skapat."},
	"admin.company.members.help":   {En: "Analysts and viewers who may see this company. Administrators see every company.", Sv: "Analytiker och läsare som får se företaget. Administratörer ser alla företag."},
	"admin.members.saved":          {En: "Members saved.", Sv: "Medlemmarna är sparade."},
	"err.required":                 {En: "Required.", Sv: "Obligatoriskt.", Da: "Skal udfyldes.", Nb: "Må fylles ut.", Fi: "Pakollinen."},
	"err.toolong":                  {En: "Too long.", Sv: "För långt.", Da: "For langt.", Nb: "For langt.", Fi: "Liian pitkä."},
	"err.email":                    {En: "Not a valid email address.", Sv: "Inte en giltig e-postadress.", Da: "Ikke en gyldig e-mailadresse.", Nb: "Ikke en gyldig e-postadresse.", Fi: "Sähköpostiosoite ei ole kelvollinen."},
	"err.email.taken":              {En: "A user with this email already exists.", Sv: "Det finns redan en användare med denna e-post.", Da: "Der findes allerede en bruger med denne e-mailadresse.", Nb: "Det finnes allerede en bruker med denne e-postadressen.", Fi: "Tällä sähköpostiosoitteella on jo käyttäjä."},
	"err.role":                     {En: "Choose a role.", Sv: "Välj en roll.", Da: "Vælg en rolle.", Nb: "Velg en rolle.", Fi: "Valitse rooli."},
	"err.country":                  {En: "Choose a country.", Sv: "Välj ett land.", Da: "Vælg et land.", Nb: "Velg et land.", Fi: "Valitse maa."},
	"err.orgnr.format":             {En: "Not an organisation number of the chosen country.", Sv: "Inte ett organisationsnummer för valt land.", Da: "Ikke et virksomhedsnummer fra det valgte land.", Nb: "Ikke et organisasjonsnummer fra det valgte landet.", Fi: "Ei valitun maan yritystunnus."},
	"err.orgnr.check":              {En: "The organisation number's check digit is wrong; please check it.", Sv: "Organisationsnumrets kontrollsiffra stämmer inte; kontrollera numret.", Da: "Virksomhedsnummerets kontrolciffer passer ikke; kontrollér nummeret.", Nb: "Kontrollsifferet i organisasjonsnummeret stemmer ikke; kontroller nummeret.", Fi: "Yritystunnuksen tarkistusnumero ei täsmää; tarkista tunnus."},
	"err.orgnr.taken":              {En: "A company with this organisation number already exists.", Sv: "Det finns redan ett företag med detta organisationsnummer.", Da: "Der findes allerede en virksomhed med dette virksomhedsnummer.", Nb: "Det finnes allerede et selskap med dette organisasjonsnummeret.", Fi: "Tällä yritystunnuksella on jo yritys."},
	"err.password.short":           {En: "At least 12 characters.", Sv: "Minst 12 tecken.", Da: "Mindst 12 tegn.", Nb: "Minst 12 tegn.", Fi: "Vähintään 12 merkkiä."},
	"err.form":                     {En: "Please correct the marked fields.", Sv: "Rätta de markerade fälten.", Da: "Ret de markerede felter.", Nb: "Rett opp de markerte feltene.", Fi: "Korjaa merkityt kentät."},
	"err.title":                    {En: "Something went wrong", Sv: "Något gick fel", Da: "Noget gik galt", Nb: "Noe gikk galt", Fi: "Jokin meni vikaan"},
	"err.400":                      {En: "The request was not valid.", Sv: "Förfrågan var inte giltig.", Da: "Forespørgslen var ikke gyldig.", Nb: "Forespørselen var ikke gyldig.", Fi: "Pyyntö ei ollut kelvollinen."},
	"err.403":                      {En: "You may not do that.", Sv: "Du får inte göra det.", Da: "Det har du ikke adgang til.", Nb: "Det har du ikke tilgang til.", Fi: "Sinulla ei ole oikeutta tähän."},
	"err.404":                      {En: "Not found.", Sv: "Hittades inte.", Da: "Ikke fundet.", Nb: "Ikke funnet.", Fi: "Ei löytynyt."},
	"err.405":                      {En: "That method is not allowed here.", Sv: "Den metoden är inte tillåten här.", Da: "Den metode er ikke tilladt her.", Nb: "Den metoden er ikke tillatt her.", Fi: "Tätä menetelmää ei sallita tässä."},
	"err.413":                      {En: "The request was too large.", Sv: "Förfrågan var för stor.", Da: "Forespørgslen var for stor.", Nb: "Forespørselen var for stor.", Fi: "Pyyntö oli liian suuri."},
	"err.429":                      {En: "Too many requests. Wait a little and try again.", Sv: "För många förfrågningar. Vänta en stund och försök igen.", Da: "For mange forespørgsler. Vent lidt, og prøv igen.", Nb: "For mange forespørsler. Vent litt og prøv igjen.", Fi: "Liian monta pyyntöä. Odota hetki ja yritä uudelleen."},
	"err.500":                      {En: "Something went wrong on our side. It has been logged; please try again.", Sv: "Något gick fel hos oss. Det är loggat; försök igen.", Da: "Noget gik galt hos os. Det er logget; prøv igen.", Nb: "Noe gikk galt hos oss. Det er logget; prøv igjen.", Fi: "Meillä meni jotain vikaan. Virhe on kirjattu; yritä uudelleen."},
	"err.csrf":                     {En: "This form came from another site, or it expired. Reload the page and try again.", Sv: "Formuläret kom från en annan webbplats eller har gått ut. Ladda om sidan och försök igen.", Da: "Formularen kom fra et andet websted eller er udløbet. Genindlæs siden, og prøv igen.", Nb: "Skjemaet kom fra et annet nettsted eller har utløpt. Last inn siden på nytt og prøv igjen.", Fi: "Lomake tuli toiselta sivustolta tai on vanhentunut. Lataa sivu uudelleen ja yritä uudelleen."},
	"err.home":                     {En: "Go to the start page", Sv: "Till startsidan", Da: "Gå til forsiden", Nb: "Gå til startsiden", Fi: "Siirry etusivulle"},
	"err.members":                  {En: "Choose members from the list.", Sv: "Välj medlemmar från listan.", Da: "Vælg medlemmer fra listen.", Nb: "Velg medlemmer fra listen.", Fi: "Valitse jäsenet luettelosta."},
}
