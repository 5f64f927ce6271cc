package eaccounting

import (
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"bilag/connectors"
)

const (
	attReceipt = "b0000000-0000-4000-8000-000000000001"
	attInvoice = "b0000000-0000-4000-8000-000000000002"
	attGone    = "b0000000-0000-4000-8000-0000000000ff"
	supplierID = "5a000000-0000-4000-8000-000000000001"
	customerID = "c1000000-0000-4000-8000-000000000001"
	signature  = "sig=SECRET-SIGNATURE"
	pdfBody    = "%PDF-1.7 fake invoice"
)

// documentFake serves attachments, a supplier invoice, a customer invoice
// PDF link and, standing in for the file host, pre-signed file URLs that
// refuse an Authorization header the way a blob store ignores or rejects it.
func documentFake(t *testing.T) (*http.ServeMux, *string) {
	mux := http.NewServeMux()
	base := new(string)
	attachments := map[string]map[string]any{
		attReceipt: {"Id": attReceipt, "ContentType": "image/jpeg", "FileName": "kvitto.jpg", "AttachmentStatus": 0},
		attInvoice: {"Id": attInvoice, "ContentType": "application/pdf", "FileName": "faktura.pdf", "AttachmentStatus": 0},
	}
	mux.HandleFunc("GET /v2/attachments/{id}", api(t, func(w http.ResponseWriter, r *http.Request) {
		a, ok := attachments[r.PathValue("id")]
		if !ok {
			writeAPIError(w, http.StatusNotFound, 3000, "Attachment not found")
			return
		}
		a["TemporaryUrl"] = *base + "/blob/" + r.PathValue("id") + "?" + signature
		writeJSON(w, http.StatusOK, a)
	}))
	mux.HandleFunc("GET /v2/supplierinvoices/{id}", api(t, func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != supplierID {
			writeAPIError(w, http.StatusNotFound, 3000, "Supplier invoice not found")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"Id": supplierID, "InvoiceNumber": "F-77", "Attachments": []string{attInvoice}})
	}))
	mux.HandleFunc("GET /v2/customerinvoices/{id}/pdf", api(t, func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != customerID {
			writeAPIError(w, http.StatusNotFound, 3000, "Invoice not found")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"Url": *base + "/blob/invoice-" + customerID + "?" + signature})
	}))
	mux.HandleFunc("GET /blob/{name}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Errorf("file fetch %s carried an Authorization header", r.URL.Path)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if r.URL.RawQuery != signature {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		switch name := r.PathValue("name"); {
		case name == attReceipt:
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", "4")
			_, _ = w.Write([]byte("\xff\xd8\xff\xe0"))
		case strings.HasPrefix(name, "invoice-") || name == attInvoice:
			w.Header().Set("Content-Type", "application/pdf")
			_, _ = w.Write([]byte(pdfBody))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
	return mux, base
}

func TestDocuments(t *testing.T) {
	mux, base := documentFake(t)
	c, srv := newTestConnector(t, mux)
	*base = srv.URL

	tests := []struct {
		name    string
		voucher connectors.Voucher
		want    []connectors.Document
	}{
		{"plain voucher with attachments", testVoucher("v1", 2, "", "", []string{attReceipt, attGone, attInvoice}...),
			[]connectors.Document{
				{ID: attReceipt, Kind: "attachment", FileName: "kvitto.jpg", ContentType: "image/jpeg"},
				{ID: attInvoice, Kind: "attachment", FileName: "faktura.pdf", ContentType: "application/pdf"},
			}},
		{"voucher without documents", testVoucher("v2", 2, "", ""), []connectors.Document{}},
		{"supplier invoice voucher", testVoucher("v3", 12, supplierID, ""),
			[]connectors.Document{{ID: attInvoice, Kind: "attachment", FileName: "faktura.pdf", ContentType: "application/pdf"}}},
		{"supplier invoice voucher with its own attachment", testVoucher("v4", 13, supplierID, "", []string{attReceipt}...),
			[]connectors.Document{{ID: attReceipt, Kind: "attachment", FileName: "kvitto.jpg", ContentType: "image/jpeg"}}},
		{"supplier invoice gone", testVoucher("v5", 12, "5a000000-0000-4000-8000-0000000000ff", ""), []connectors.Document{}},
		{"customer invoice voucher", testVoucher("v6", 14, customerID, "B7"),
			[]connectors.Document{{ID: customerID, Kind: "customer_invoice", FileName: "invoice-B7.pdf", ContentType: "application/pdf"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Documents(t.Context(), testGrant(t), tt.voucher)
			if err != nil {
				t.Fatalf("Documents() = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Documents() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestOpenDocument(t *testing.T) {
	mux, base := documentFake(t)
	c, srv := newTestConnector(t, mux)
	*base = srv.URL

	tests := []struct {
		name     string
		doc      connectors.Document
		wantBody string
		wantType string
		wantName string
		wantSize int64
	}{
		{"attachment", connectors.Document{ID: attReceipt, Kind: "attachment"}, "\xff\xd8\xff\xe0", "image/jpeg", "kvitto.jpg", 4},
		{"customer invoice", connectors.Document{ID: customerID, Kind: "customer_invoice", FileName: "invoice-B7.pdf"}, pdfBody, "application/pdf", "invoice-B7.pdf", int64(len(pdfBody))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := c.OpenDocument(t.Context(), testGrant(t), tt.doc)
			if err != nil {
				t.Fatalf("OpenDocument() = %v", err)
			}
			defer s.Body.Close()
			body, err := io.ReadAll(s.Body)
			if err != nil {
				t.Fatal(err)
			}
			if string(body) != tt.wantBody || s.ContentType != tt.wantType || s.FileName != tt.wantName || s.Size != tt.wantSize {
				t.Errorf("OpenDocument() = %q %q %q %d, want %q %q %q %d", body, s.ContentType, s.FileName, s.Size, tt.wantBody, tt.wantType, tt.wantName, tt.wantSize)
			}
		})
	}
}

func TestOpenDocumentFailures(t *testing.T) {
	mux, base := documentFake(t)
	c, srv := newTestConnector(t, mux)
	*base = srv.URL

	tests := []struct {
		name string
		doc  connectors.Document
		edit func()
		want error
	}{
		{"unknown kind", connectors.Document{ID: attReceipt, Kind: "voucher"}, nil, connectors.ErrNotFound},
		{"attachment gone", connectors.Document{ID: attGone, Kind: "attachment"}, nil, connectors.ErrNotFound},
		{"expired file url", connectors.Document{ID: attReceipt, Kind: "attachment"}, func() { *base = srv.URL + "/blob/expired?x=" }, connectors.ErrBadAnswer},
		{"file host down", connectors.Document{ID: customerID, Kind: "customer_invoice"}, func() { *base = "http://127.0.0.1:1" }, connectors.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			*base = srv.URL
			if tt.edit != nil {
				tt.edit()
			}
			s, err := c.OpenDocument(t.Context(), testGrant(t), tt.doc)
			if err == nil {
				s.Body.Close()
				t.Fatal("OpenDocument() = nil error")
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("OpenDocument() = %v, want %v", err, tt.want)
			}
			assertNoSecret(t, err.Error(), "SECRET-SIGNATURE", "/blob/", testAccess)
		})
	}
}

// TestOpenDocumentStreams shows the body is handed over while the file host
// is still sending it: the host holds back the rest until OpenDocument has
// returned.
func TestOpenDocumentStreams(t *testing.T) {
	release := make(chan struct{})
	mux := http.NewServeMux()
	var base string
	mux.HandleFunc("GET /v2/attachments/{id}", api(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"Id": r.PathValue("id"), "FileName": "big.pdf", "TemporaryUrl": base + "/blob/big?" + signature})
	}))
	mux.HandleFunc("GET /blob/big", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Error("file fetch carried an Authorization header")
		}
		w.Header().Set("Content-Type", "application/pdf")
		_, _ = w.Write([]byte("first "))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-time.After(5 * time.Second):
			t.Error("OpenDocument() did not return before the file was complete")
		}
		_, _ = w.Write([]byte("second"))
	})
	c, srv := newTestConnector(t, mux)
	base = srv.URL

	s, err := c.OpenDocument(t.Context(), testGrant(t), connectors.Document{ID: attInvoice, Kind: "attachment"})
	close(release)
	if err != nil {
		t.Fatalf("OpenDocument() = %v", err)
	}
	defer s.Body.Close()
	body, _ := io.ReadAll(s.Body)
	if string(body) != "first second" || s.Size != -1 || s.ContentType != "application/pdf" || s.FileName != "big.pdf" {
		t.Errorf("OpenDocument() = %q, size %d, type %q, name %q", body, s.Size, s.ContentType, s.FileName)
	}
}

// TestOpenDocumentTimeouts shows the client's timeout bounds the wait for
// the file host's answer but not the streaming of the body, which follows
// the reader's pace.
func TestOpenDocumentTimeouts(t *testing.T) {
	mux := http.NewServeMux()
	var base string
	mux.HandleFunc("GET /v2/attachments/{id}", api(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"Id": r.PathValue("id"), "ContentType": "application/pdf", "TemporaryUrl": base + "/blob/" + r.PathValue("id") + "?" + signature})
	}))
	mux.HandleFunc("GET /blob/slow-body", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("first "))
		w.(http.Flusher).Flush()
		time.Sleep(300 * time.Millisecond)
		_, _ = w.Write([]byte("second"))
	})
	mux.HandleFunc("GET /blob/no-answer", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	c, srv := newTestConnector(t, mux)
	base = srv.URL
	c.client.Timeout = 100 * time.Millisecond

	s, err := c.OpenDocument(t.Context(), testGrant(t), connectors.Document{ID: "slow-body", Kind: "attachment"})
	if err != nil {
		t.Fatalf("OpenDocument(slow body) = %v", err)
	}
	body, err := io.ReadAll(s.Body)
	s.Body.Close()
	if err != nil || string(body) != "first second" {
		t.Errorf("OpenDocument(slow body) read %q, %v; want the whole file", body, err)
	}

	_, err = c.OpenDocument(t.Context(), testGrant(t), connectors.Document{ID: "no-answer", Kind: "attachment"})
	if !errors.Is(err, connectors.ErrUnavailable) {
		t.Errorf("OpenDocument(no answer) = %v, want ErrUnavailable", err)
	}
}

// testVoucher is a voucher as Vouchers would give it, with the Data its
// Documents reads.
func testVoucher(id string, voucherType int, sourceID, number string, attachments ...string) connectors.Voucher {
	v := voucherJSON{Id: id, VoucherType: voucherType, SourceId: sourceID, NumberAndNumberSeries: number}
	if len(attachments) > 0 {
		v.Attachments = &struct {
			DocumentId    string
			DocumentType  int
			AttachmentIds []string
		}{AttachmentIds: attachments}
	}
	return v.voucher("fy", nil)
}
