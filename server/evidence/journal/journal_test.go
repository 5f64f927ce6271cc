package journal

import (
	"bytes"
	"context"
	"encoding/csv"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/server/evidence/book"
)

func TestWriteWithDimensions(t *testing.T) {
	v := connectors.Voucher{Number: "12", Series: "A", Date: time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC), Text: "=HYPERLINK(\"x\")", Rows: []connectors.VoucherRow{
		{Account: "4000", Debit: 12345, Dimensions: []connectors.Dimension{{Kind: connectors.DimensionDepartment, Code: "10", Name: "Myynti"}, {Kind: connectors.DimensionProject, Code: "P-204"}}},
		{Account: "1910", AccountName: "Pankkitili", Credit: 12345},
	}}
	b := book.Book{Ledger: connectors.Ledger{Accounts: []connectors.Account{{Number: "4000", Name: "Ostot"}}},
		Vouchers: func(yield func(connectors.Voucher, error) bool) { yield(v, nil) }}
	var buf bytes.Buffer
	if err := Write(context.Background(), &buf, b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	want := []string{"2025-03-04", "12", "A", "'=HYPERLINK(\"x\")", "4000", "Ostot", "123.45", "0.00", "", "department=10 (Myynti); project=P-204"}
	for i, w := range want {
		if rows[1][i] != w {
			t.Errorf("column %s = %q, want %q", Header()[i], rows[1][i], w)
		}
	}
	if rows[2][5] != "Pankkitili" || rows[2][9] != "" {
		t.Errorf("second row = %q", rows[2])
	}
}
