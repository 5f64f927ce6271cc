package views

// apiCatalog: personal API tokens on the settings page, and the messages
// of the JSON API's errors.
var apiCatalog = map[string][2]string{
	"api.tokens.title":         {"API tokens", "API-nycklar"},
	"api.tokens.help":          {`A personal API token lets a program read what you can see here, through the <a href="/api/v1/openapi.json">JSON API</a>. It acts as you: keep it secret, and revoke it when it is no longer needed.`, `En personlig API-nyckel låter ett program läsa det du kan se här, via <a href="/api/v1/openapi.json">JSON-API:et</a>. Den agerar som du: håll den hemlig och återkalla den när den inte längre behövs.`},
	"api.tokens.none":          {"You have no API tokens.", "Du har inga API-nycklar."},
	"api.token.create.title":   {"New API token", "Ny API-nyckel"},
	"api.token.create":         {"Create token", "Skapa nyckel"},
	"api.token.name.help":      {`What the token is for, e.g. "Power BI report". At most 100 characters.`, `Vad nyckeln används till, t.ex. "Power BI-rapport". Högst 100 tecken.`},
	"api.token.new.title":      {"Your new API token", "Din nya API-nyckel"},
	"api.token.new.help":       {"Copy it now: it is shown only this once. Bilag keeps only a hash of it.", "Kopiera den nu: den visas bara denna gång. Bilag sparar bara en hash av den."},
	"api.token.label":          {"API token", "API-nyckel"},
	"api.token.prefix":         {"Token", "Nyckel"},
	"api.token.created":        {"Created", "Skapad"},
	"api.token.lastused":       {"Last used", "Senast använd"},
	"api.token.never":          {"Never", "Aldrig"},
	"api.token.revoke":         {"Revoke", "Återkalla"},
	"api.token.revoke.confirm": {"Revoke this token? Programs that use it stop working at once.", "Återkalla nyckeln? Program som använder den slutar fungera direkt."},
	"api.token.revoked":        {"The API token is revoked.", "API-nyckeln är återkallad."},
	"api.token.toomany":        {"You have as many tokens as you may; revoke one first.", "Du har så många nycklar du får ha; återkalla en först."},
	"api.err.param":            {"The query parameter %s is not valid.", "Frågeparametern %s är inte giltig."},
	"api.err.unauthorized":     {"A valid API token is required: send Authorization: Bearer and a personal API token from the settings page.", "En giltig API-nyckel krävs: skicka Authorization: Bearer och en personlig API-nyckel från inställningssidan."},
}
