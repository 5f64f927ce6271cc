package views

// apiCatalog: personal API tokens on the settings page, and the messages
// of the JSON API's errors.
var apiCatalog = map[string]Text{
	"api.tokens.title":         {En: "API tokens", Sv: "API-nycklar"},
	"api.tokens.help":          {En: `A personal API token lets a program read what you can see here, through the <a href="/api/v1/openapi.json">JSON API</a>. It acts as you: keep it secret, and revoke it when it is no longer needed.`, Sv: `En personlig API-nyckel låter ett program läsa det du kan se här, via <a href="/api/v1/openapi.json">JSON-API:et</a>. Den agerar som du: håll den hemlig och återkalla den när den inte längre behövs.`},
	"api.tokens.none":          {En: "You have no API tokens.", Sv: "Du har inga API-nycklar."},
	"api.token.create.title":   {En: "New API token", Sv: "Ny API-nyckel"},
	"api.token.create":         {En: "Create token", Sv: "Skapa nyckel"},
	"api.token.name.help":      {En: `What the token is for, e.g. "Power BI report". At most 100 characters.`, Sv: `Vad nyckeln används till, t.ex. "Power BI-rapport". Högst 100 tecken.`},
	"api.token.new.title":      {En: "Your new API token", Sv: "Din nya API-nyckel"},
	"api.token.new.help":       {En: "Copy it now: it is shown only this once. Bilag keeps only a hash of it.", Sv: "Kopiera den nu: den visas bara denna gång. Bilag sparar bara en hash av den."},
	"api.token.label":          {En: "API token", Sv: "API-nyckel"},
	"api.token.prefix":         {En: "Token", Sv: "Nyckel"},
	"api.token.created":        {En: "Created", Sv: "Skapad"},
	"api.token.lastused":       {En: "Last used", Sv: "Senast använd"},
	"api.token.never":          {En: "Never", Sv: "Aldrig"},
	"api.token.revoke":         {En: "Revoke", Sv: "Återkalla"},
	"api.token.revoke.confirm": {En: "Revoke this token? Programs that use it stop working at once.", Sv: "Återkalla nyckeln? Program som använder den slutar fungera direkt."},
	"api.token.revoked":        {En: "The API token is revoked.", Sv: "API-nyckeln är återkallad."},
	"api.token.toomany":        {En: "You have as many tokens as you may; revoke one first.", Sv: "Du har så många nycklar du får ha; återkalla en först."},
	"api.err.param":            {En: "The query parameter %s is not valid.", Sv: "Frågeparametern %s är inte giltig."},
	"api.err.unauthorized":     {En: "A valid API token is required: send Authorization: Bearer and a personal API token from the settings page.", Sv: "En giltig API-nyckel krävs: skicka Authorization: Bearer och en personlig API-nyckel från inställningssidan."},
}
