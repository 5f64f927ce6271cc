package views

// formCatalog holds the words of the key form, the consent page of
// connectors that are granted by pasted credentials. A connector's fields
// are labelled "<connector>.field.<name>", with an optional
// "<connector>.field.<name>.help" shown under the label.
var formCatalog = map[string]Text{
	"form.title":           {En: "Connect %s", Sv: "Koppla %s"},
	"form.kicker":          {En: "Request for read access · %s", Sv: "Begäran om läsåtkomst · %s"},
	"form.heading":         {En: "Connect %s to Bilag", Sv: "Koppla %s till Bilag"},
	"form.asks":            {En: "<strong>%s</strong> asks for read access to the bookkeeping of <strong>%s</strong> (organisation number <strong class=\"nowrap\">%s</strong>) in %s.", Sv: "<strong>%s</strong> ber om läsåtkomst till bokföringen för <strong>%s</strong> (organisationsnummer <strong class=\"nowrap\">%s</strong>) i %s."},
	"form.read.title":      {En: "What Bilag will be able to read", Sv: "Vad Bilag kommer att kunna läsa"},
	"form.read.vouchers":   {En: "Vouchers: number, date, text, amounts and accounting rows", Sv: "Verifikat: nummer, datum, text, belopp och konteringsrader"},
	"form.read.documents":  {En: "The documents attached to them: invoices (PDF), receipts and scans", Sv: "Dokumenten som är kopplade till dem: fakturor (PDF), kvitton och skannade underlag"},
	"form.read.company":    {En: "The company's name and organisation number", Sv: "Företagets namn och organisationsnummer"},
	"form.readonly":        {En: "Read only: Bilag cannot create, change or delete anything in %s, and cannot make payments.", Sv: "Endast läsning: Bilag kan inte skapa, ändra eller ta bort något i %s och kan inte göra betalningar."},
	"form.duration.title":  {En: "For how long", Sv: "Hur länge"},
	"form.duration.body":   {En: "Until the consent is withdrawn. You can withdraw it at any time by asking %s to disconnect the company, or by withdrawing the keys in %s; Bilag then stops reading at once.", Sv: "Tills godkännandet dras tillbaka. Du kan när som helst dra tillbaka det genom att be %s koppla från företaget, eller genom att dra tillbaka nycklarna i %s; Bilag slutar då läsa direkt."},
	"form.keys.title":      {En: "Paste the keys", Sv: "Klistra in nycklarna"},
	"form.keys.intro":      {En: "Paste the keys %s gave the company for Bilag. Bilag checks them once, stores them encrypted and never shows them again.", Sv: "Klistra in nycklarna som %s gav företaget för Bilag. Bilag kontrollerar dem en gång, sparar dem krypterade och visar dem aldrig igen."},
	"form.submit":          {En: "Connect", Sv: "Koppla"},
	"form.expires":         {En: "This link is valid until %s and can be used once.", Sv: "Länken är giltig till %s och kan användas en gång."},
	"form.refused":         {En: "Those keys were not accepted. Check that you copied each one whole and try again.", Sv: "Nycklarna godtogs inte. Kontrollera att du kopierade var och en helt och försök igen."},
	"form.unavailable":     {En: "The accounting system did not answer. Nothing was stored; please try again in a few minutes.", Sv: "Ekonomisystemet svarade inte. Inget sparades; försök igen om några minuter."},
	"form.failed":          {En: "The keys could not be checked. Nothing was stored; try again, or ask the sender of the link for help.", Sv: "Nycklarna kunde inte kontrolleras. Inget sparades; försök igen, eller be avsändaren av länken om hjälp."},
	"form.throttled":       {En: "Too many attempts with this link. Wait %d minutes and try again.", Sv: "För många försök med den här länken. Vänta %d minuter och försök igen."},
	"form.busy":            {En: "This link is being used in another window, or can no longer be used. Reload the page to see where it stands.", Sv: "Länken används i ett annat fönster, eller kan inte längre användas. Ladda om sidan för att se hur det står till."},
	"reason.keys_refused":  {En: "the keys were not accepted", Sv: "nycklarna godtogs inte"},
	"reason.connect_error": {En: "the keys could not be checked", Sv: "nycklarna kunde inte kontrolleras"},

	// The test connector's fields (connectors/connectortest.Form).
	"fake.field.user":     {En: "User", Sv: "Användare"},
	"fake.field.key":      {En: "Integration key", Sv: "Integrationsnyckel"},
	"fake.field.key.help": {En: "The key the test system shows under Integrations.", Sv: "Nyckeln som testsystemet visar under Integrationer."},
}
