package server

import (
	"testing"

	"bilag/connectors"
)

// The voucher page names a record by the content type the connectors
// package gives it: the template cannot import the constant.
func TestRecordContentTypeInTemplate(t *testing.T) {
	if connectors.ContentTypeRecord != "application/x-bilag-record" {
		t.Errorf("ContentTypeRecord = %q; views/templates/voucher.html compares with application/x-bilag-record", connectors.ContentTypeRecord)
	}
}
