package views

// netvisorCatalog holds Visma Netvisor's own words. Keys are
// "netvisor.<key>": the key form's fields and help ("netvisor.field.…"),
// its refusals ("netvisor.form.<code>", a connectors.FormError's Code),
// and the words templates/connectors/netvisor.html and the neutral pages
// take in place of their own (Page.CT). "connector.netvisor" is the
// connector's name as people know it.
var netvisorCatalog = map[string]Text{
	// The message that carries a link (server/linkshare.go): Netvisor is
	// granted by identifiers pasted into Bilag's form, not by a login.
	"netvisor.share.message": {
		En: "Hello!\n\nWe at %[1]s need read access to %[2]s bookkeeping in %[3]s, so that we can open the documents behind the vouchers. In %[3]s, create API identifiers for Bilag (Company menu › API identifiers, preferably for a dedicated integration user), then open the link and paste them into its form:\n\n%[4]s\n\nThe link is valid until %[5]s. Bilag only reads, and you can withdraw the access at any time by deleting the identifiers.\n\nKind regards\n%[6]s",
		Sv: "Hej!\n\nVi på %[1]s behöver läsbehörighet till %[2]s bokföring i %[3]s, så att vi kan öppna underlagen bakom verifikaten. Skapa API-identifierare för Bilag i %[3]s (Företag-menyn › API-identifierare, helst för en egen integrationsanvändare), öppna sedan länken och klistra in dem i formuläret:\n\n%[4]s\n\nLänken gäller till %[5]s. Bilag läser bara, och du kan när som helst återkalla åtkomsten genom att ta bort identifierarna.\n\nVänliga hälsningar\n%[6]s",
		Fi: "Hei!\n\n%[1]s pyytää lukuoikeutta alla mainitun yrityksen kirjanpitoon, jotta tositteiden liitteet voidaan avata.\n\nYritys: %[2]s\nOhjelmisto: %[3]s\n\nLuo ohjelmistossa %[3]s Bilagille API-tunnisteet (Yritys-valikko › API-tunnisteet, mieluiten omalle integraatiokäyttäjälle), avaa sitten linkki ja liitä tunnisteet sen lomakkeelle:\n\n%[4]s\n\nLinkki on voimassa %[5]s asti. Bilag vain lukee, ja voit perua pääsyn milloin tahansa poistamalla tunnisteet.\n\nYstävällisin terveisin\n%[6]s",
	},
	"connector.netvisor": {En: "Visma Netvisor", Sv: "Visma Netvisor", Fi: "Visma Netvisor"},

	// The key form's fields. The help texts are the explanation: where the
	// API identifiers are made, for which user, and what an admin allows.
	"netvisor.field.customer_id": {En: "Customer ID (API user ID)", Sv: "Kund-ID (API-användarens ID)", Fi: "Asiakastunnus (CustomerId)"},
	"netvisor.field.customer_id.help": {
		En: "In Netvisor open Company menu › API identifiers › Create new API identifier, and copy the user ID here. Create them for a dedicated integration user if you can: they work only while that user has rights in Netvisor.",
		Sv: "Öppna Företagsmenyn › API-identifierare › Skapa ny API-identifierare i Netvisor och kopiera användar-ID:t hit. Skapa dem helst för en särskild integrationsanvändare: de fungerar bara så länge den användaren har rättigheter i Netvisor.",
		Fi: "Avaa Netvisorissa Yritysvalikko › Rajapintatunnisteet › Luo uusi rajapintatunniste ja kopioi käyttäjätunnus tähän. Luo ne mieluiten erilliselle integraatiokäyttäjälle: ne toimivat vain niin kauan kuin käyttäjällä on oikeudet Netvisorissa.",
	},
	"netvisor.field.customer_key": {En: "Customer key", Sv: "Kundnyckel", Fi: "Asiakasavain (CustomerKey)"},
	"netvisor.field.customer_key.help": {
		En: "The key shown with the user ID. A Netvisor administrator must also allow Bilag's interface resources (Access rights for interface resources): accountingledger.nv, getvoucherattachments.nv, purchaseinvoicelist.nv, getpurchaseinvoice.nv, salesinvoicelist.nv and getsalesinvoice.nv. The key is sent to Netvisor only as a signature and is never shown again.",
		Sv: "Nyckeln som visas med användar-ID:t. En administratör i Netvisor måste också tillåta Bilags gränssnittsresurser (Åtkomsträttigheter till gränssnittsresurser): accountingledger.nv, getvoucherattachments.nv, purchaseinvoicelist.nv, getpurchaseinvoice.nv, salesinvoicelist.nv och getsalesinvoice.nv. Nyckeln skickas till Netvisor bara som en signatur och visas aldrig igen.",
		Fi: "Käyttäjätunnuksen yhteydessä näkyvä avain. Netvisorin pääkäyttäjän on lisäksi sallittava Bilagin rajapintaresurssit (Rajapintaresurssien käyttöoikeudet): accountingledger.nv, getvoucherattachments.nv, purchaseinvoicelist.nv, getpurchaseinvoice.nv, salesinvoicelist.nv ja getsalesinvoice.nv. Avain lähetetään Netvisoriin vain allekirjoituksena eikä sitä näytetä enää uudelleen.",
	},
	"netvisor.field.business_id": {En: "Business ID (Y-tunnus)", Sv: "FO-nummer (Y-tunnus)", Fi: "Y-tunnus"},
	"netvisor.field.business_id.help": {
		En: "The company this link is for. The API identifiers must reach it in Netvisor.",
		Sv: "Företaget som länken gäller. API-identifierarna måste nå det i Netvisor.",
		Fi: "Yritys, jota linkki koskee. Rajapintatunnisteilla on oltava pääsy siihen Netvisorissa.",
	},
	"netvisor.field.host": {En: "Netvisor address", Sv: "Netvisor-adress", Fi: "Netvisor-osoite"},
	"netvisor.field.host.help": {
		En: "isvapi.netvisor.fi unless Netvisor has told you otherwise.",
		Sv: "isvapi.netvisor.fi om inte Netvisor har sagt något annat.",
		Fi: "isvapi.netvisor.fi, ellei Netvisor ole ohjeistanut toisin.",
	},

	// The key form's refusals: nothing was stored.
	"netvisor.form.keys": {
		En: "Netvisor did not accept these API identifiers. Check that you copied the user ID and the key exactly, and that the identifiers have not been removed.",
		Sv: "Netvisor godtog inte dessa API-identifierare. Kontrollera att du kopierade användar-ID:t och nyckeln exakt och att identifierarna inte har tagits bort.",
		Fi: "Netvisor ei hyväksynyt näitä rajapintatunnisteita. Tarkista, että kopioit käyttäjätunnuksen ja avaimen täsmälleen ja ettei tunnisteita ole poistettu.",
	},
	"netvisor.form.business_id": {
		En: "These API identifiers work, but not for this company. Create them as a user who has access to the company with this business ID.",
		Sv: "API-identifierarna fungerar, men inte för detta företag. Skapa dem som en användare som har åtkomst till företaget med detta FO-nummer.",
		Fi: "Rajapintatunnisteet toimivat, mutta eivät tälle yritykselle. Luo ne käyttäjänä, jolla on pääsy yritykseen tällä Y-tunnuksella.",
	},
	"netvisor.form.business_id_invalid": {
		En: "The company's business ID in Bilag is not a valid Y-tunnus. Ask whoever sent the link to correct it.",
		Sv: "Företagets FO-nummer i Bilag är inte ett giltigt Y-tunnus. Be den som skickade länken att rätta det.",
		Fi: "Yrityksen Y-tunnus Bilagissa ei ole kelvollinen. Pyydä linkin lähettäjää korjaamaan se.",
	},
	"netvisor.form.no_api": {
		En: "The company's Netvisor package does not include the API. It needs a package with the interface (for example Professional or Premium).",
		Sv: "Företagets Netvisor-paket innehåller inte API:t. Det behöver ett paket med gränssnittet (till exempel Professional eller Premium).",
		Fi: "Yrityksen Netvisor-paketti ei sisällä rajapintaa. Tarvitaan paketti, jossa rajapinta on mukana (esimerkiksi Professional tai Premium).",
	},
	"netvisor.form.resource": {
		En: "A Netvisor administrator has not allowed all the interface resources Bilag reads. Allow accountingledger.nv, purchaseinvoicelist.nv and salesinvoicelist.nv (and the document resources listed under the key) under Access rights for interface resources, then try again.",
		Sv: "En administratör i Netvisor har inte tillåtit alla gränssnittsresurser som Bilag läser. Tillåt accountingledger.nv, purchaseinvoicelist.nv och salesinvoicelist.nv (och dokumentresurserna som räknas upp under nyckeln) under Åtkomsträttigheter till gränssnittsresurser och försök sedan igen.",
		Fi: "Netvisorin pääkäyttäjä ei ole sallinut kaikkia rajapintaresursseja, joita Bilag lukee. Salli accountingledger.nv, purchaseinvoicelist.nv ja salesinvoicelist.nv (sekä avaimen alla luetellut tositeresurssit) kohdassa Rajapintaresurssien käyttöoikeudet ja yritä uudelleen.",
	},
	"netvisor.form.host": {
		En: "Pick one of the Netvisor addresses in the list.",
		Sv: "Välj en av Netvisor-adresserna i listan.",
		Fi: "Valitse jokin luettelon Netvisor-osoitteista.",
	},

	// The company page's connector card and the result page.
	"netvisor.company.connector":         {En: "Visma Netvisor", Sv: "Visma Netvisor", Fi: "Visma Netvisor"},
	"netvisor.company.connector.about":   {En: "Connect the company's Visma Netvisor with API identifiers so that you can open the invoices and attachments behind its vouchers. Bilag only reads.", Sv: "Koppla företagets Visma Netvisor med API-identifierare så att ni kan öppna fakturor och bilagor bakom dess verifikat. Bilag läser bara.", Fi: "Yhdistä yrityksen Visma Netvisor rajapintatunnisteilla, niin voit avata tositteiden takana olevat laskut ja liitteet. Bilag vain lukee."},
	"netvisor.conn.disconnect.check":     {En: "Yes, delete the stored API identifiers", Sv: "Ja, radera de sparade API-identifierarna", Fi: "Kyllä, poista tallennetut rajapintatunnisteet"},
	"netvisor.conn.disconnect.confirm":   {En: "Disconnect the company from Netvisor? Bilag deletes the stored API identifiers; remove them in Netvisor too (Company menu › API identifiers).", Sv: "Koppla från företaget från Netvisor? Bilag raderar de sparade API-identifierarna; ta bort dem i Netvisor också (Företagsmenyn › API-identifierare).", Fi: "Katkaistaanko yrityksen yhteys Netvisoriin? Bilag poistaa tallennetut rajapintatunnisteet; poista ne myös Netvisorista (Yritysvalikko › Rajapintatunnisteet)."},
	"netvisor.result.ok.withdraw":        {En: "To withdraw the consent later, ask %s to disconnect the company, or remove the API identifiers in Netvisor.", Sv: "För att dra tillbaka godkännandet senare, be %s koppla från företaget, eller ta bort API-identifierarna i Netvisor.", Fi: "Voit perua suostumuksen myöhemmin pyytämällä, että %s katkaisee yrityksen yhteyden, tai poistamalla rajapintatunnisteet Netvisorista."},
	"netvisor.result.permission.how":     {En: "A Netvisor administrator allows the resource under Access rights for interface resources. Then try again.", Sv: "En administratör i Netvisor tillåter resursen under Åtkomsträttigheter till gränssnittsresurser. Försök sedan igen.", Fi: "Netvisorin pääkäyttäjä sallii resurssin kohdassa Rajapintaresurssien käyttöoikeudet. Yritä sitten uudelleen."},
	"netvisor.result.no_bookkeeping.how": {En: "The company's Netvisor package must include the API (for example Professional or Premium). Once it does, try again.", Sv: "Företagets Netvisor-paket måste innehålla API:t (till exempel Professional eller Premium). När det gör det, försök igen.", Fi: "Yrityksen Netvisor-paketissa on oltava rajapinta (esimerkiksi Professional tai Premium). Kun se on, yritä uudelleen."},

	// What a page says when Netvisor refuses a read or the keys stop
	// working (server/errors.go asks with the connector's name).
	"netvisor.upstream.refused.permission": {
		En: "Netvisor refused: a Netvisor administrator has not allowed Bilag this interface resource. They allow it under Access rights for interface resources; then open the document again.",
		Sv: "Netvisor nekade: en administratör i Netvisor har inte tillåtit Bilag denna gränssnittsresurs. Hen tillåter den under Åtkomsträttigheter till gränssnittsresurser; öppna sedan underlaget igen.",
		Fi: "Netvisor kieltäytyi: Netvisorin pääkäyttäjä ei ole sallinut Bilagille tätä rajapintaresurssia. Hän sallii sen kohdassa Rajapintaresurssien käyttöoikeudet; avaa sitten tosite uudelleen.",
	},
	"netvisor.upstream.refused.product": {
		En: "Netvisor refused: the company's Netvisor package does not include the API.",
		Sv: "Netvisor nekade: företagets Netvisor-paket innehåller inte API:t.",
		Fi: "Netvisor kieltäytyi: yrityksen Netvisor-paketti ei sisällä rajapintaa.",
	},
	"netvisor.upstream.ended.manage": {
		En: "Netvisor no longer accepts the stored API identifiers: they were removed, or their user lost its rights. Make a new consent link on the company page; the company pastes new identifiers.",
		Sv: "Netvisor godtar inte längre de sparade API-identifierarna: de har tagits bort, eller så har deras användare förlorat sina rättigheter. Skapa en ny godkännandelänk på företagssidan; företaget klistrar in nya identifierare.",
		Fi: "Netvisor ei enää hyväksy tallennettuja rajapintatunnisteita: ne on poistettu tai niiden käyttäjä on menettänyt oikeutensa. Luo uusi suostumuslinkki yrityksen sivulla; yritys liittää uudet tunnisteet.",
	},
	"netvisor.upstream.ended.view": {
		En: "Netvisor no longer accepts the stored API identifiers. Ask an analyst to send the company a new consent link.",
		Sv: "Netvisor godtar inte längre de sparade API-identifierarna. Be en analytiker skicka en ny godkännandelänk till företaget.",
		Fi: "Netvisor ei enää hyväksy tallennettuja rajapintatunnisteita. Pyydä analyytikkoa lähettämään yritykselle uusi suostumuslinkki.",
	},
}
