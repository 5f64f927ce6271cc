package views

// docsecCatalog: the voucher page's document frame and TIFF conversion.
var docsecCatalog = map[string]Text{
	"docview.download": {En: "Download %s", Sv: "Ladda ner %s"},
	"docview.toolarge": {En: "This scan is too large to show in the browser. Download it to open it.", Sv: "Skanningen är för stor för att visas i webbläsaren. Ladda ner den för att öppna den."},
	"docview.busy":     {En: "Many scans are being prepared for viewing right now. Please try again in a moment.", Sv: "Många skanningar förbereds för visning just nu. Försök igen om en stund."},
}
