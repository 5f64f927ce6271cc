package views

// docsecCatalog: the voucher page's document frame and TIFF conversion.
var docsecCatalog = map[string]Text{
	"docview.download": {En: "Download %s", Sv: "Ladda ner %s"},
}
