package views

// accountantCatalog: the accountant's consent pages (issue 14): who asks,
// the "checking permissions" step, a reopened link's result, and the
// messages that fit what happened.
var accountantCatalog = map[string]Text{
	"accountant.whatis":            {En: "Bilag is the service %s uses to read your bookkeeping documents.", Sv: "Bilag är tjänsten som %s använder för att läsa era bokföringsunderlag."},
	"accountant.sentby":            {En: "Sent by", Sv: "Skickad av"},
	"accountant.at":                {En: "at %s", Sv: "på %s"},
	"accountant.questions":         {En: "Questions? Contact %s:", Sv: "Frågor? Kontakta %s:"},
	"accountant.privacy":           {En: "How %s handles personal data", Sv: "Så hanterar %s personuppgifter"},
	"accountant.more":              {En: "More about the request", Sv: "Mer om förfrågan"},
	"accountant.used.title":        {En: "This link has been used", Sv: "Länken har använts"},
	"accountant.used.body":         {En: "This link has been used and cannot be used again.", Sv: "Länken har använts och kan inte användas igen."},
	"accountant.used.ask":          {En: "If something should be connected again, ask %s for a new link.", Sv: "Om något ska kopplas igen, be %s om en ny länk."},
	"accountant.checking.title":    {En: "Checking permissions…", Sv: "Kontrollerar behörigheter…"},
	"accountant.checking.body":     {En: "Bilag is checking the access you gave with the accounting system. This takes a few seconds; please keep this page open.", Sv: "Bilag kontrollerar åtkomsten du gav hos ekonomisystemet. Det tar några sekunder; låt sidan vara öppen."},
	"accountant.checking.continue": {En: "Continue", Sv: "Fortsätt"},
	"accountant.done.title":        {En: "Done", Sv: "Klart"},
	"accountant.done.by":           {En: "<strong>%s</strong> (<span class=\"nowrap\">%s</span>) was connected on %s by %s.", Sv: "<strong>%s</strong> (<span class=\"nowrap\">%s</span>) kopplades %s av %s."},
	"accountant.done.at":           {En: "<strong>%s</strong> (<span class=\"nowrap\">%s</span>) was connected on %s.", Sv: "<strong>%s</strong> (<span class=\"nowrap\">%s</span>) kopplades %s."},
	"accountant.done.next":         {En: "Nothing more is needed; you can close this page.", Sv: "Inget mer behövs; du kan stänga sidan."},
	"accountant.ok.by":             {En: "Approved by %s.", Sv: "Godkänt av %s."},
	"accountant.gone.title":        {En: "The result is no longer shown here", Sv: "Resultatet visas inte längre här"},
	"accountant.gone.body":         {En: "This page shows the result of an approval only for a short while. Open the link you received to see where it stands now.", Sv: "Sidan visar resultatet av ett godkännande bara en kort stund. Öppna länken du fick för att se hur det står till nu."},
	"accountant.mismatch.lead":     {En: "You chose <strong>%s</strong> (<span class=\"nowrap\">%s</span>). Press Try again and choose <strong>%s</strong> (<span class=\"nowrap\">%s</span>).", Sv: "Du valde <strong>%s</strong> (<span class=\"nowrap\">%s</span>). Tryck på Försök igen och välj <strong>%s</strong> (<span class=\"nowrap\">%s</span>)."},
	"accountant.share.title":       {En: "Send this link to a colleague with full permission", Sv: "Skicka länken till en kollega med fullständig behörighet"},
	"accountant.share.body":        {En: "Trying again yourself will not help until this is fixed. A colleague with full permission for the company in the accounting system can open the same link and approve. It works until %s.", Sv: "Att försöka igen själv hjälper inte förrän det är åtgärdat. En kollega med fullständig behörighet för företaget i ekonomisystemet kan öppna samma länk och godkänna. Den fungerar till %s."},
	"accountant.share.label":       {En: "The link to send", Sv: "Länken att skicka"},
	"accountant.retry.after":       {En: "Once it is fixed, you can try again yourself:", Sv: "När det är åtgärdat kan du försöka igen själv:"},
}
