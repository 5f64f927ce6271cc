package views

// bulkCatalog holds the words of the dashboard's request for many
// companies at once, where several systems may be offered.
var bulkCatalog = map[string]Text{
	"dash.bulk.system":     {En: "Accounting system", Sv: "Ekonomisystem", Da: "Regnskabssystem", Nb: "Regnskapssystem", Fi: "Taloushallinto-ohjelmisto"},
	"dash.bulk.system.own": {En: "Each company's current system", Sv: "Varje företags nuvarande system", Da: "Hver virksomheds nuværende system", Nb: "Hvert selskaps nåværende system", Fi: "Kunkin yrityksen nykyinen ohjelmisto"},
}
