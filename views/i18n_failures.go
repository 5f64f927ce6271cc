package views

// failuresCatalog holds what Bilag says when an upstream fails, one text per
// class of failure (server/errors.go's table) and per reason of a refusal,
// neutral ("upstream.<key>") and in eAccounting's words
// ("eaccounting.upstream.<key>"). A page, the document frame and the API
// all say the same.
var failuresCatalog = map[string]Text{
	"upstream.refused.no_bookkeeping": {En: "The company's accounting system does not include Bookkeeping, so it does not hand out this voucher or its documents.", Sv: "Företagets ekonomisystem har inte Bokföring, så det lämnar inte ut detta verifikat eller dess underlag."},
	"upstream.refused.no_invoicing":   {En: "The company's accounting system does not include Invoicing, so it does not hand out this invoice's PDF.", Sv: "Företagets ekonomisystem har inte Fakturering, så det lämnar inte ut fakturans PDF."},
	"upstream.refused.product":        {En: "The company's product in the accounting system does not include this part, so it refused to hand it out.", Sv: "Företagets produkt i ekonomisystemet omfattar inte denna del, så det vägrade lämna ut den."},
	"upstream.refused.permission":     {En: "The accounting system refused: the person who approved the connection lacks permission there for this part of the bookkeeping. They can ask the company's administrator for it, or someone with full permission can approve a new consent link.", Sv: "Ekonomisystemet nekade: personen som godkände kopplingen saknar behörighet där för denna del av bokföringen. Hen kan be företagets administratör om den, eller så kan någon med fullständig behörighet godkänna en ny godkännandelänk."},
	"upstream.refused.licence":        {En: "The accounting system refused: the person who approved the connection has not accepted its licence agreement for this company. They log in to it once and accept it.", Sv: "Ekonomisystemet nekade: personen som godkände kopplingen har inte godkänt dess licensavtal för detta företag. Hen loggar in där en gång och godkänner det."},
	"upstream.refused.inactive":       {En: "The accounting system refused: the company is not active there.", Sv: "Ekonomisystemet nekade: företaget är inte aktivt där."},
	"upstream.refused.start_guide":    {En: "The accounting system refused: the company's start guide there is not completed.", Sv: "Ekonomisystemet nekade: företagets startguide där är inte slutförd."},
	"upstream.refused.not_ready":      {En: "The accounting system refused: the company is not active there, or its start guide is not completed. Someone at the company logs in to check.", Sv: "Ekonomisystemet nekade: företaget är inte aktivt där, eller så är dess startguide inte slutförd. Någon på företaget loggar in och kontrollerar."},
	"upstream.refused.other":          {En: "The accounting system refused to hand this out, for a reason it did not name.", Sv: "Ekonomisystemet vägrade lämna ut detta, av ett skäl det inte angav."},
	"upstream.ended.manage":           {En: "The connection to the accounting system has ended and needs a new approval. Make a new consent link on the company page and send it to the company.", Sv: "Kopplingen till ekonomisystemet har upphört och behöver ett nytt godkännande. Skapa en ny godkännandelänk på företagssidan och skicka den till företaget."},
	"upstream.ended.view":             {En: "The connection to the accounting system has ended and needs a new approval. Ask an analyst to send the company a new consent link.", Sv: "Kopplingen till ekonomisystemet har upphört och behöver ett nytt godkännande. Be en analytiker skicka en ny godkännandelänk till företaget."},
	"upstream.unavailable":            {En: "The accounting system is not answering right now. Try again in %d seconds; nothing has been lost.", Sv: "Ekonomisystemet svarar inte just nu. Försök igen om %d sekunder; inget har gått förlorat."},
	"upstream.ratelimited":            {En: "The accounting system asks us to slow down right now. Try again in %d seconds.", Sv: "Ekonomisystemet ber oss vänta en stund. Försök igen om %d sekunder."},
	"upstream.badanswer":              {En: "The accounting system gave an answer Bilag cannot use. If it happens again, quote the reference %s.", Sv: "Ekonomisystemet gav ett svar som Bilag inte kan använda. Om det händer igen, ange referensen %s."},
	"upstream.gone":                   {En: "The accounting system no longer has this.", Sv: "Ekonomisystemet har inte längre detta."},
	"upstream.index":                  {En: "The voucher below is from Bilag's index.", Sv: "Verifikatet nedan kommer från Bilags index."},

	// The consent result of a check that found a company not active or
	// with its start guide not completed, the upstream not saying which
	// (connectors.ProblemNotReady).
	"reason.not_ready":             {En: "the company is not active, or its start guide is not completed", Sv: "företaget är inte aktivt, eller så är dess startguide inte slutförd", Da: "virksomheden er ikke aktiv, eller dens startguide er ikke gennemført", Nb: "selskapet er ikke aktivt, eller oppstartsveiviseren er ikke fullført", Fi: "yritys ei ole aktiivinen tai sen aloitusopasta ei ole viety loppuun"},
	"result.not_ready":             {En: "The company is not active in the accounting system, or its start guide there is not completed. Someone at the company logs in to it, activates the company or finishes the start guide, then tries again.", Sv: "Företaget är inte aktivt i ekonomisystemet, eller så är dess startguide där inte slutförd. Någon på företaget loggar in, aktiverar företaget eller slutför startguiden och försöker sedan igen.", Da: "Virksomheden er ikke aktiv i regnskabssystemet, eller dens startguide dér er ikke gennemført. En i virksomheden logger ind, aktiverer virksomheden eller gennemfører startguiden og prøver så igen.", Nb: "Selskapet er ikke aktivt i regnskapssystemet, eller oppstartsveiviseren der er ikke fullført. Noen i selskapet logger inn, aktiverer selskapet eller fullfører oppstartsveiviseren og prøver så igjen.", Fi: "Yritys ei ole aktiivinen taloushallinto-ohjelmistossa, tai sen aloitusopasta ei ole viety siellä loppuun. Joku yrityksestä kirjautuu ohjelmistoon, aktivoi yrityksen tai vie aloitusoppaan loppuun ja yrittää sitten uudelleen."},
	"eaccounting.result.not_ready": {En: "The company is not active in Visma eEkonomi, or its start guide is not completed. Log in to Visma eEkonomi, activate the company or finish its start guide, then try again.", Sv: "Företaget är inte aktivt i Visma eEkonomi, eller så är dess startguide inte slutförd. Logga in i Visma eEkonomi, aktivera företaget eller slutför startguiden och försök sedan igen.", Da: "Virksomheden er ikke aktiv i Visma eEkonomi, eller dens startguide er ikke gennemført. Log ind i Visma eEkonomi, aktivér virksomheden eller gennemfør startguiden, og prøv så igen.", Nb: "Selskapet er ikke aktivt i Visma eEkonomi, eller oppstartsveiviseren er ikke fullført. Logg inn i Visma eEkonomi, aktiver selskapet eller fullfør oppstartsveiviseren, og prøv så igjen.", Fi: "Yritys ei ole aktiivinen Visma eEkonomissa, tai sen aloitusopasta ei ole viety loppuun. Kirjaudu Visma eEkonomiin, aktivoi yritys tai vie aloitusopas loppuun ja yritä sitten uudelleen."},

	"eaccounting.upstream.refused.no_bookkeeping": {En: "The company's Visma eEkonomi does not include Bookkeeping, so Visma does not hand out this voucher or its documents.", Sv: "Företagets Visma eEkonomi har inte Bokföring, så Visma lämnar inte ut detta verifikat eller dess underlag."},
	"eaccounting.upstream.refused.no_invoicing":   {En: "The company's Visma eEkonomi does not include Invoicing, so Visma does not hand out this invoice's PDF.", Sv: "Företagets Visma eEkonomi har inte Fakturering, så Visma lämnar inte ut fakturans PDF."},
	"eaccounting.upstream.refused.product":        {En: "The company's Visma eEkonomi variant does not include this part, so Visma refused to hand it out.", Sv: "Företagets variant av Visma eEkonomi omfattar inte denna del, så Visma vägrade lämna ut den."},
	"eaccounting.upstream.refused.permission":     {En: "Visma refused: the person who approved the connection lacks permission in Visma for this part of the bookkeeping. The company's administrator sets it under Settings (Inställningar) → Permissions (Behörigheter), or someone with full permission approves a new consent link.", Sv: "Visma nekade: personen som godkände kopplingen saknar behörighet i Visma för denna del av bokföringen. Företagets administratör ändrar det under Inställningar → Behörigheter, eller så godkänner någon med fullständig behörighet en ny godkännandelänk."},
	"eaccounting.upstream.refused.licence":        {En: "Visma refused: the person who approved the connection has not accepted Visma's licence agreement for this company. They log in to Visma eEkonomi once and accept it.", Sv: "Visma nekade: personen som godkände kopplingen har inte godkänt Vismas licensavtal för detta företag. Hen loggar in i Visma eEkonomi en gång och godkänner det."},
	"eaccounting.upstream.refused.inactive":       {En: "Visma refused: the company is not active in Visma eEkonomi.", Sv: "Visma nekade: företaget är inte aktivt i Visma eEkonomi."},
	"eaccounting.upstream.refused.start_guide":    {En: "Visma refused: the company's start guide in Visma eEkonomi is not completed.", Sv: "Visma nekade: företagets startguide i Visma eEkonomi är inte slutförd."},
	"eaccounting.upstream.refused.not_ready":      {En: "Visma refused: the company is not active in Visma eEkonomi, or its start guide is not completed. Someone at the company logs in to Visma eEkonomi to check.", Sv: "Visma nekade: företaget är inte aktivt i Visma eEkonomi, eller så är dess startguide inte slutförd. Någon på företaget loggar in i Visma eEkonomi och kontrollerar."},
	"eaccounting.upstream.refused.other":          {En: "Visma refused to hand this out, for a reason it did not name.", Sv: "Visma vägrade lämna ut detta, av ett skäl det inte angav."},
	"eaccounting.upstream.ended.manage":           {En: "The connection to Visma has ended and needs a new approval. Make a new consent link on the company page and send it to the company.", Sv: "Kopplingen till Visma har upphört och behöver ett nytt godkännande. Skapa en ny godkännandelänk på företagssidan och skicka den till företaget."},
	"eaccounting.upstream.ended.view":             {En: "The connection to Visma has ended and needs a new approval. Ask an analyst to send the company a new consent link.", Sv: "Kopplingen till Visma har upphört och behöver ett nytt godkännande. Be en analytiker skicka en ny godkännandelänk till företaget."},
	"eaccounting.upstream.unavailable":            {En: "Visma is not answering right now. Try again in %d seconds; nothing has been lost.", Sv: "Visma svarar inte just nu. Försök igen om %d sekunder; inget har gått förlorat."},
	"eaccounting.upstream.ratelimited":            {En: "Visma asks us to slow down right now. Try again in %d seconds.", Sv: "Visma ber oss vänta en stund. Försök igen om %d sekunder."},
	"eaccounting.upstream.badanswer":              {En: "Visma gave an answer Bilag cannot use. If it happens again, quote the reference %s.", Sv: "Visma gav ett svar som Bilag inte kan använda. Om det händer igen, ange referensen %s."},
	"eaccounting.upstream.gone":                   {En: "Visma no longer has this.", Sv: "Visma har inte längre detta."},
}

// HasText reports whether the catalogue has key, for a caller that picks a
// key by a value from elsewhere (a refusal's reason) and must fall back
// rather than show the key.
func HasText(key string) bool {
	_, ok := catalog[key]
	return ok
}

// Kind is a voucher kind in the page's language: its own word
// ("vkind.<kind>"), or the word for other kinds when the catalogue has
// none for it (a connector's new kind, a row from before a kind existed),
// never the key.
func (p *Page) Kind(kind string) string {
	if key := "vkind." + kind; HasText(key) {
		return p.T(key)
	}
	return p.T("vkind.other")
}
