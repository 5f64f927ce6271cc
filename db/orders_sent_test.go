package db_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"

	"bilag/db"
	"bilag/db/dbtest"
	"bilag/db/seal"
)

// TestSentImports: what a company's connector sent, or may have sent
// (accepted, unknown, being sent), is handed back opened, oldest first,
// with its upload; nothing of another company or connector, and nothing
// that never left Bilag.
func TestSentImports(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		ctx := t.Context()
		keys, _ := seal.NewKeyring(bytes.Repeat([]byte{9}, 32))
		d, err := db.Open(ctx, url, db.Options{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		upload := func(company int64, connector, source string, statuses ...string) {
			t.Helper()
			b := &db.ImportBatch{CompanyID: company, Connector: connector, Source: source}
			var os []db.ImportOrder
			var bodies []db.ImportContent
			for i, st := range statuses {
				os = append(os, db.ImportOrder{OrderKey: fmt.Sprintf("WS/%d", i), Status: st})
				bodies = append(bodies, db.ImportContent{Body: []byte(fmt.Sprintf(`{"from":%q,"status":%q}`, source, st))})
			}
			if err := d.CreateImportBatch(ctx, b, os, bodies); err != nil {
				t.Fatal(err)
			}
		}
		upload(1, "enterprise", "first.csv", db.ImportAccepted, db.ImportRefused, db.ImportUnknown)
		upload(1, "enterprise", "second.json", db.ImportReady, db.ImportSending, db.ImportNotSent, db.ImportQueued, db.ImportInvalid, db.ImportDuplicate)
		upload(2, "enterprise", "other-company.csv", db.ImportAccepted)
		upload(1, "economic", "other-connector.csv", db.ImportAccepted)

		var got []string
		var batches []int64
		err = d.SentImports(ctx, 1, "enterprise", func(batchID int64, source, format string, body []byte) error {
			got = append(got, source+" "+format+string(body))
			batches = append(batches, batchID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			`first.csv {"from":"first.csv","status":"accepted"}`,
			`first.csv {"from":"first.csv","status":"unknown"}`,
			`second.json {"from":"second.json","status":"sending"}`,
		}
		if !slices.Equal(got, want) {
			t.Errorf("sent imports\n%q\nwant\n%q", got, want)
		}
		if len(batches) == 3 && (batches[0] != batches[1] || batches[2] <= batches[0]) {
			t.Errorf("batches %v, want the first upload's twice, then the second's", batches)
		}

		// The caller may stop early; its error comes back.
		stop := errors.New("enough")
		n := 0
		err = d.SentImports(ctx, 1, "enterprise", func(int64, string, string, []byte) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("stopping: %v after %d, want %v after 1", err, n, stop)
		}
	})
}
