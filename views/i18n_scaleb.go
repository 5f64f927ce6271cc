package views

// scalebCatalog: the company's setting for fetching documents ahead.
var scalebCatalog = map[string]Text{
	"company.prefetch":      {En: "Fetch documents before they are opened", Sv: "Hämta underlag innan de öppnas"},
	"company.prefetch.hint": {En: "When someone views the voucher list, Bilag fetches the documents of the vouchers on the page into its encrypted cache, so that they open at once. Fetching ahead is not recorded as an open in the audit trail.", Sv: "När någon tittar på verifikationslistan hämtar Bilag underlagen till verifikationerna på sidan till sin krypterade cache, så att de öppnas direkt. Att hämta i förväg loggas inte som en öppning i granskningsloggen."},
}
