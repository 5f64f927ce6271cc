package views

// e2eCatalog: keys added after looking at the browser suite's screenshots.
var e2eCatalog = map[string][2]string{
	"result.ok.at": {"Approved %s. Read access only: Bilag cannot create, change or delete anything in Visma, nor make payments.", "Godkänt %s. Endast läsåtkomst: Bilag kan inte skapa, ändra eller ta bort något i Visma och kan inte göra betalningar."},
}
