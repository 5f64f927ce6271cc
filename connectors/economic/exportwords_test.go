package economic

import (
	"encoding/json"
	"os"
	"testing"

	"bilag/connectors"
)

// Every code the export gives the pages has its words in the export's
// catalogue (connectors/economic-export/words): the pre-flight's and the
// findings' codes, the pairing's tables, their help and their rows'
// labels. (Core codes such as "invoice.required" are the core's.)
func TestExportCodesHaveWords(t *testing.T) {
	raw, err := os.ReadFile("../economic-export/words/en.json")
	if err != nil {
		t.Fatal(err)
	}
	var words map[string]string
	if err := json.Unmarshal(raw, &words); err != nil {
		t.Fatal(err)
	}
	want := []string{"connector." + ExportName}
	for _, c := range []string{CodeNumber, CodeNumberTwice, CodeCVR, CodeCustomerNumber, CodeDecimals, CodeAmount, CodeNoLines, CodeExtension, CodePaymentTerms, CodePDFTooLarge} {
		want = append(want, ExportName+".imports.f."+c)
	}
	codes := []string{PreflightGroupsMissing, PreflightAccountsUnpaired, PreflightProductsMissing, PreflightTermMissing + ".net",
		PreflightTermMissing + ".currentMonth", PreflightTermMissing + ".cash", PreflightTermsUnpaired, PreflightDueDiffers, PreflightVatMismatch,
		PreflightYearMissing, PreflightYearClosed, PreflightJournalMissing, PreflightJournalRestricted, PreflightVatUnpaired, PreflightPDFMissing,
		PreflightSettingInvalid, PreflightCustomerDefaults + ".layout.default"}
	for _, z := range zoneKeys {
		codes = append(codes, PreflightCustomerDefaults+".vatZone."+z, PreflightCustomerDefaults+".customerGroup."+z)
	}
	for _, c := range codes {
		want = append(want, ExportName+".imports.preflight."+c)
	}
	e := newExportEnv(t, exportApp)
	tables, err := e.c.Export().PairingTables(e.ctx, e.g, connectors.Pairing{TableProduct: {"1010": "2"}}, []connectors.Invoice{srcInvoice(t, "1", "", "X", "1010", "1020")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		want = append(want, wordsPrefix+tb.Name, wordsPrefix+tb.Name+".help")
		for _, r := range tb.Rows {
			if r.Label != "" {
				want = append(want, r.Label)
			}
		}
	}
	for _, k := range want {
		if words[k] == "" {
			t.Errorf("no words for %s", k)
		}
	}
}
