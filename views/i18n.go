package views

import (
	"fmt"
	"strings"
)

// Languages Bilag speaks, the first the default.
var Languages = []string{"en", "sv"}

// Supported reports whether lang is one of Languages.
func Supported(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// MatchLanguage picks a language from an Accept-Language header.
func MatchLanguage(header string) string {
	best, bestQ := Languages[0], -1.0
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
		if base == "nb" || base == "nn" || base == "no" || base == "da" {
			// Scandinavian readers read Swedish better than English, until
			// Norwegian and Danish arrive.
			base, q = "sv", q-0.001
		}
		if Supported(base) && q > bestQ {
			best, bestQ = base, q
		}
	}
	return best
}

// Translate looks key up in lang, falling back to English and then the key.
func Translate(lang, key string, args ...any) string {
	m, ok := catalog[key]
	if !ok {
		return key
	}
	s := m[0]
	if lang == "sv" && m[1] != "" {
		s = m[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// catalog maps a key to its English and Swedish text.
var catalog = merge(coreCatalog, consentCatalog, voucherCatalog, apiCatalog, e2eCatalog)

func merge(ms ...map[string][2]string) map[string][2]string {
	out := map[string][2]string{}
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

var coreCatalog = map[string][2]string{
	"app.tagline":                  {"The documents behind your vouchers", "Dokumenten bakom dina verifikat"},
	"nav.dashboard":                {"Companies", "Företag"},
	"nav.users":                    {"Users", "Användare"},
	"nav.companies":                {"Manage companies", "Hantera företag"},
	"nav.settings":                 {"Settings", "Inställningar"},
	"nav.logout":                   {"Log out", "Logga ut"},
	"nav.skip":                     {"Skip to content", "Hoppa till innehållet"},
	"nav.language":                 {"Language", "Språk"},
	"common.save":                  {"Save", "Spara"},
	"common.cancel":                {"Cancel", "Avbryt"},
	"common.create":                {"Create", "Skapa"},
	"common.edit":                  {"Edit", "Ändra"},
	"common.back":                  {"Back", "Tillbaka"},
	"common.yes":                   {"Yes", "Ja"},
	"common.no":                    {"No", "Nej"},
	"common.active":                {"Active", "Aktiv"},
	"common.inactive":              {"Inactive", "Inaktiv"},
	"common.name":                  {"Name", "Namn"},
	"common.email":                 {"Email", "E-post"},
	"common.role":                  {"Role", "Roll"},
	"common.status":                {"Status", "Status"},
	"common.actions":               {"Actions", "Åtgärder"},
	"common.none":                  {"None yet.", "Inga ännu."},
	"common.search":                {"Search", "Sök"},
	"common.filter":                {"Filter", "Filtrera"},
	"common.previous":              {"Previous", "Föregående"},
	"common.next":                  {"Next", "Nästa"},
	"common.page":                  {"Page %d of %d", "Sida %d av %d"},
	"common.pageof":                {"Page %d", "Sida %d"},
	"common.morethan":              {"at least %d", "minst %d"},
	"common.copy":                  {"Copy", "Kopiera"},
	"common.copied":                {"Copied", "Kopierad"},
	"role.admin":                   {"Administrator", "Administratör"},
	"role.analyst":                 {"Analyst", "Analytiker"},
	"role.viewer":                  {"Viewer", "Läsare"},
	"country.SE":                   {"Sweden", "Sverige"},
	"country.NO":                   {"Norway", "Norge"},
	"country.DK":                   {"Denmark", "Danmark"},
	"country.FI":                   {"Finland", "Finland"},
	"country.NL":                   {"Netherlands", "Nederländerna"},
	"login.title":                  {"Log in", "Logga in"},
	"login.email":                  {"Email", "E-post"},
	"login.password":               {"Password", "Lösenord"},
	"login.submit":                 {"Log in", "Logga in"},
	"login.failed":                 {"Wrong email or password, or the account is deactivated.", "Fel e-post eller lösenord, eller så är kontot avaktiverat."},
	"login.throttled":              {"Too many failed attempts. Wait %d minutes and try again.", "För många misslyckade försök. Vänta %d minuter och försök igen."},
	"login.loggedout":              {"You are logged out.", "Du är utloggad."},
	"login.demo":                   {"Demo logins", "Demoinloggningar"},
	"dash.title":                   {"Companies", "Företag"},
	"dash.none":                    {"You have no companies yet. An administrator adds you to a company.", "Du har inga företag ännu. En administratör lägger till dig i ett företag."},
	"dash.orgnr":                   {"Organisation number", "Organisationsnummer"},
	"dash.connection":              {"Visma connection", "Vismakoppling"},
	"conn.none":                    {"Not connected", "Inte kopplat"},
	"conn.active":                  {"Connected", "Kopplat"},
	"conn.needs_reapproval":        {"Needs re-approval", "Behöver nytt godkännande"},
	"conn.disconnected":            {"Disconnected", "Frånkopplat"},
	"company.title":                {"Company", "Företag"},
	"company.country":              {"Country", "Land"},
	"company.orgnr":                {"Organisation number", "Organisationsnummer"},
	"company.active":               {"Active", "Aktivt"},
	"company.members":              {"Members", "Medlemmar"},
	"company.visma":                {"Visma eEkonomi", "Visma eEkonomi"},
	"company.visma.about":          {"Connect the company's Visma eEkonomi (eAccounting) so that you can open the invoices and receipts behind its vouchers. Bilag only reads.", "Koppla företagets Visma eEkonomi så att ni kan öppna fakturor och kvitton bakom dess verifikat. Bilag läser bara."},
	"company.notfound":             {"No such company.", "Företaget finns inte."},
	"admin.users":                  {"Users", "Användare"},
	"admin.user.new":               {"New user", "Ny användare"},
	"admin.user.edit":              {"Edit user", "Ändra användare"},
	"admin.user.password":          {"New password", "Nytt lösenord"},
	"admin.user.password.help":     {"Leave empty to keep the password. At least 12 characters.", "Lämna tomt för att behålla lösenordet. Minst 12 tecken."},
	"admin.user.password.new.help": {"Leave empty to generate one; it is shown once.", "Lämna tomt för att generera ett; det visas en gång."},
	"admin.user.created":           {"User created. Their password, shown only now: %s", "Användaren är skapad. Lösenordet visas bara nu: %s"},
	"admin.user.saved":             {"User saved.", "Användaren är sparad."},
	"admin.user.reset":             {"Password reset. The new password, shown only now: %s", "Lösenordet är återställt. Det nya lösenordet visas bara nu: %s"},
	"admin.user.resetbutton":       {"Reset password", "Återställ lösenord"},
	"admin.user.self":              {"You cannot deactivate yourself or take away your own administrator role.", "Du kan inte avaktivera dig själv eller ta bort din egen administratörsroll."},
	"admin.companies":              {"Companies", "Företag"},
	"admin.company.new":            {"New company", "Nytt företag"},
	"admin.company.edit":           {"Edit company", "Ändra företag"},
	"admin.company.saved":          {"Company saved.", "Företaget är sparat."},
	"admin.company.created":        {"Company created.", "Företaget är skapat."},
	"admin.company.members.help":   {"Analysts and viewers who may see this company. Administrators see every company.", "Analytiker och läsare som får se företaget. Administratörer ser alla företag."},
	"admin.members.saved":          {"Members saved.", "Medlemmarna är sparade."},
	"err.required":                 {"Required.", "Obligatoriskt."},
	"err.toolong":                  {"Too long.", "För långt."},
	"err.email":                    {"Not a valid email address.", "Inte en giltig e-postadress."},
	"err.email.taken":              {"A user with this email already exists.", "Det finns redan en användare med denna e-post."},
	"err.role":                     {"Choose a role.", "Välj en roll."},
	"err.country":                  {"Choose a country.", "Välj ett land."},
	"err.orgnr.format":             {"Not an organisation number of the chosen country.", "Inte ett organisationsnummer för valt land."},
	"err.orgnr.check":              {"The organisation number's check digit is wrong; please check it.", "Organisationsnumrets kontrollsiffra stämmer inte; kontrollera numret."},
	"err.orgnr.taken":              {"A company with this organisation number already exists.", "Det finns redan ett företag med detta organisationsnummer."},
	"err.password.short":           {"At least 12 characters.", "Minst 12 tecken."},
	"err.form":                     {"Please correct the marked fields.", "Rätta de markerade fälten."},
	"err.title":                    {"Something went wrong", "Något gick fel"},
	"err.400":                      {"The request was not valid.", "Förfrågan var inte giltig."},
	"err.403":                      {"You may not do that.", "Du får inte göra det."},
	"err.404":                      {"Not found.", "Hittades inte."},
	"err.405":                      {"That method is not allowed here.", "Den metoden är inte tillåten här."},
	"err.413":                      {"The request was too large.", "Förfrågan var för stor."},
	"err.429":                      {"Too many requests. Wait a little and try again.", "För många förfrågningar. Vänta en stund och försök igen."},
	"err.500":                      {"Something went wrong on our side. It has been logged; please try again.", "Något gick fel hos oss. Det är loggat; försök igen."},
	"err.503":                      {"Visma is not answering right now. Please try again in a minute; nothing has been lost.", "Visma svarar inte just nu. Försök igen om en minut; inget har gått förlorat."},
	"err.csrf":                     {"This form came from another site, or it expired. Reload the page and try again.", "Formuläret kom från en annan webbplats eller har gått ut. Ladda om sidan och försök igen."},
	"err.home":                     {"Go to the start page", "Till startsidan"},
	"err.members":                  {"Choose members from the list.", "Välj medlemmar från listan."},
}
