package views

// voucherCatalog: vouchers, documents, sync and the API.
var voucherCatalog = map[string][2]string{}
