package views

// eaccountingCatalog holds Visma eAccounting's (eEkonomi's) own words. Keys
// are "eaccounting.<key>": templates/connectors/eaccounting.html names
// them, and where one has the name of a neutral key ("eaccounting.result.
// denied" of "result.denied") it is that key's wording on eAccounting's
// pages (Page.CT). The one key outside the prefix is "connector.eaccounting",
// the connector's name as people know it, which every connector has
// ("connector.<name>": Page.ConnectorName, the key form's system name).
var eaccountingCatalog = map[string]Text{
	"connector.eaccounting": {En: "Visma eAccounting (eEkonomi)", Sv: "Visma eEkonomi"},

	// The company page's connector card and its link and disconnect words.
	"eaccounting.company.connector":       {En: "Visma eEkonomi", Sv: "Visma eEkonomi"},
	"eaccounting.company.connector.about": {En: "Connect the company's Visma eEkonomi (eAccounting) so that you can open the invoices and receipts behind its vouchers. Bilag only reads.", Sv: "Koppla företagets Visma eEkonomi så att ni kan öppna fakturor och kvitton bakom dess verifikat. Bilag läser bara."},
	"eaccounting.conn.disconnect.check":   {En: "Yes, withdraw Bilag's access to this company in Visma", Sv: "Ja, dra tillbaka Bilags åtkomst till detta företag i Visma"},
	"eaccounting.conn.disconnect.confirm": {En: "Disconnect the company from Visma? Bilag's access is withdrawn at Visma and the stored keys are deleted.", Sv: "Koppla från företaget från Visma? Bilags åtkomst dras tillbaka hos Visma och de sparade nycklarna raderas."},

	// The consent page.
	"eaccounting.consent.title":               {En: "Connect Visma eEkonomi", Sv: "Koppla Visma eEkonomi"},
	"eaccounting.consent.kicker":              {En: "Request for read access · Visma eEkonomi", Sv: "Begäran om läsåtkomst · Visma eEkonomi"},
	"eaccounting.consent.asks":                {En: "<strong>%s</strong> asks for read access to the bookkeeping of <strong>%s</strong> (organisation number <strong class=\"nowrap\">%s</strong>) in Visma eEkonomi.", Sv: "<strong>%s</strong> ber om läsåtkomst till bokföringen för <strong>%s</strong> (organisationsnummer <strong class=\"nowrap\">%s</strong>) i Visma eEkonomi."},
	"eaccounting.consent.read.company":        {En: "The company's name, organisation number and which Visma product it has", Sv: "Företagets namn, organisationsnummer och vilken Visma-produkt det har"},
	"eaccounting.consent.readonly":            {En: "Read only: Bilag cannot create, change or delete anything in Visma, and cannot make payments.", Sv: "Endast läsning: Bilag kan inte skapa, ändra eller ta bort något i Visma och kan inte göra betalningar."},
	"eaccounting.consent.duration.body":       {En: "Until the consent is withdrawn. You can withdraw it at any time by asking %s to disconnect the company, or by removing Bilag's access in Visma; Bilag then stops reading at once.", Sv: "Tills godkännandet dras tillbaka. Du kan när som helst dra tillbaka det genom att be %s koppla från företaget, eller genom att ta bort Bilags åtkomst i Visma; Bilag slutar då läsa direkt."},
	"eaccounting.consent.req.permission":      {En: "You have full program permission (\"Fullständig programbehörighet\") for the company in Visma.", Sv: "Du har fullständig programbehörighet för företaget i Visma."},
	"eaccounting.consent.req.permission.how":  {En: "Check it in Visma eEkonomi: open the company, go to Settings (Inställningar) → Permissions (Behörigheter); under Program permission your user must have Full (Fullständig).", Sv: "Kontrollera i Visma eEkonomi: öppna företaget och gå till Inställningar → Behörigheter; under Programbehörighet ska din användare ha Fullständig."},
	"eaccounting.consent.req.bookkeeping":     {En: "The company has Bookkeeping (Bokföring) in Visma.", Sv: "Företaget har tillgång till Bokföring i Visma."},
	"eaccounting.consent.req.bookkeeping.how": {En: "Check it in Visma eEkonomi: the company's menu has a Bookkeeping (Bokföring) section. A company with only Invoicing (Fakturering) cannot be connected.", Sv: "Kontrollera i Visma eEkonomi: företagets meny har en del som heter Bokföring. Ett företag med enbart Fakturering kan inte kopplas."},
	"eaccounting.consent.steps.1":             {En: "Press Give permission and log in at Visma as usual.", Sv: "Tryck på Ge behörighet och logga in i Visma som vanligt."},
	"eaccounting.consent.steps.3":             {En: "Approve the permissions Visma shows. You come back here and see the result.", Sv: "Godkänn behörigheterna som Visma visar. Du kommer tillbaka hit och ser resultatet."},
	"eaccounting.accountant.share.body":       {En: "Trying again yourself will not help until this is fixed. A colleague with full permission for the company in Visma can open the same link and approve. It works until %s.", Sv: "Att försöka igen själv hjälper inte förrän det är åtgärdat. En kollega med fullständig behörighet för företaget i Visma kan öppna samma länk och godkänna. Den fungerar till %s."},
	"eaccounting.consent.default.title":       {En: "If you have a default company in Visma", Sv: "Om du har ett standardföretag i Visma"},
	"eaccounting.consent.default.warn":        {En: "If you have a default company (\"standardföretag\") in Visma, Visma may choose it without asking. Bilag checks the organisation number afterwards and tells you if the wrong company was chosen.", Sv: "Om du har ett standardföretag i Visma kan Visma välja det utan att fråga. Bilag kontrollerar organisationsnumret efteråt och säger till om fel företag valdes."},
	"eaccounting.result.title":                {En: "Visma eEkonomi connection", Sv: "Koppling till Visma eEkonomi"},
	"eaccounting.result.ok.at":                {En: "Approved %s. Read access only: Bilag cannot create, change or delete anything in Visma, nor make payments.", Sv: "Godkänt %s. Endast läsåtkomst: Bilag kan inte skapa, ändra eller ta bort något i Visma och kan inte göra betalningar."},
	"eaccounting.result.ok.withdraw":          {En: "To withdraw the consent later, ask %s to disconnect the company, or remove Bilag's access in Visma.", Sv: "För att dra tillbaka godkännandet senare, be %s koppla från företaget, eller ta bort Bilags åtkomst i Visma."},
	"eaccounting.result.company.seen":         {En: "Visma reported the company %s (%s).", Sv: "Visma angav företaget %s (%s)."},
	"eaccounting.result.replayed":             {En: "This answer from Visma has already been used. Open the link again to start over.", Sv: "Detta svar från Visma har redan använts. Öppna länken igen för att börja om."},
	"eaccounting.result.denied":               {En: "You declined the request in Visma, so nothing was connected. If that was a mistake, try again.", Sv: "Du avböjde begäran i Visma, så inget kopplades. Om det var ett misstag, försök igen."},
	"eaccounting.result.issuer":               {En: "The answer came from a login server other than Visma's. For your safety nothing was done.", Sv: "Svaret kom från en annan inloggningsserver än Vismas. För din säkerhet gjordes ingenting."},
	"eaccounting.result.bad_callback":         {En: "The answer from Visma was not valid, or came too late. Try again.", Sv: "Svaret från Visma var inte giltigt eller kom för sent. Försök igen."},
	"eaccounting.result.upstream":             {En: "Visma did not answer as expected. Nothing was stored; please try again in a few minutes.", Sv: "Visma svarade inte som väntat. Inget sparades; försök igen om några minuter."},
	"eaccounting.result.org_mismatch.detail":  {En: "Visma gave access to <strong>%s</strong> (%s), but the link is for <strong>%s</strong> (%s).", Sv: "Visma gav åtkomst till <strong>%s</strong> (%s), men länken gäller <strong>%s</strong> (%s)."},
	"eaccounting.result.org_mismatch.default": {En: "If Visma did not ask you to choose a company, it chose your default company (\"standardföretag\"). Unset it first, then try again:", Sv: "Om Visma inte lät dig välja företag valde det ditt standardföretag. Ta bort det först och försök sedan igen:"},
	"eaccounting.result.default.1":            {En: "Log in at Visma Online and open the menu at the top right.", Sv: "Logga in i Visma Online och öppna menyn uppe till höger."},
	"eaccounting.result.default.2":            {En: "Click the box for choosing company, then Choose default company (Välj standardföretag).", Sv: "Klicka i rutan för välj företag och sedan Välj standardföretag."},
	"eaccounting.result.default.3":            {En: "Unselect the default company, come back here and press Try again; then choose the right company.", Sv: "Välj bort standardföretaget, kom tillbaka hit och tryck Försök igen; välj sedan rätt företag."},
	"eaccounting.result.no_bookkeeping":       {En: "The company has no Bookkeeping in Visma.", Sv: "Företaget har inte tillgång till Bokföring i Visma."},
	"eaccounting.result.no_bookkeeping.how":   {En: "Bilag reads vouchers, which only exist with Bookkeeping. The company needs a Visma eEkonomi variant with Bookkeeping (for example Bokföring, Standard/Smart or Pro) instead of Invoicing only. Once it has one, try again.", Sv: "Bilag läser verifikat, som bara finns med Bokföring. Företaget behöver en variant av Visma eEkonomi med Bokföring (till exempel Bokföring, Standard/Smart eller Pro) i stället för enbart Fakturering. När det finns, försök igen."},
	"eaccounting.result.permission":           {En: "Your user does not have full permission in Visma for this company.", Sv: "Din användare har inte fullständig behörighet i Visma för detta företag."},
	"eaccounting.result.permission.how":       {En: "An administrator of the company in Visma sets it under Settings (Inställningar) → Permissions (Behörigheter): choose your user and set Program permission to Full (Fullständig). Then try again, or let a user who has full permission approve.", Sv: "En administratör för företaget i Visma ändrar det under Inställningar → Behörigheter: välj din användare och sätt Programbehörighet till Fullständig. Försök sedan igen, eller låt en användare med fullständig behörighet godkänna."},
	"eaccounting.result.no_company_access":    {En: "Your user has no access to this company in Visma eEkonomi.", Sv: "Din användare har ingen åtkomst till detta företag i Visma eEkonomi."},
	"eaccounting.result.licence":              {En: "Your user has not yet accepted Visma's licence agreement for this company.", Sv: "Din användare har ännu inte godkänt Vismas licensavtal för detta företag."},
	"eaccounting.result.licence.how":          {En: "Log in to Visma eEkonomi once, accept the agreement, then try again.", Sv: "Logga in i Visma eEkonomi en gång, godkänn avtalet och försök sedan igen."},
	"eaccounting.result.start_guide":          {En: "The company's start guide in Visma is not completed.", Sv: "Företagets startguide i Visma är inte slutförd."},
	"eaccounting.result.start_guide.how":      {En: "Log in to Visma eEkonomi, finish the start guide for the company, then try again.", Sv: "Logga in i Visma eEkonomi, slutför startguiden för företaget och försök sedan igen."},
	"eaccounting.result.inactive":             {En: "The company is inactive in Visma.", Sv: "Företaget är inaktivt i Visma."},
	"eaccounting.result.inactive.how":         {En: "An inactive company cannot be read. Reactivate it in Visma (or choose the active company), then try again.", Sv: "Ett inaktivt företag kan inte läsas. Återaktivera det i Visma (eller välj det aktiva företaget) och försök sedan igen."},
	"eaccounting.result.missing_scope.how":    {En: "Try again and approve all the permissions Visma lists; Bilag asks only for read access.", Sv: "Försök igen och godkänn alla behörigheter som Visma visar; Bilag ber bara om läsåtkomst."},
}
