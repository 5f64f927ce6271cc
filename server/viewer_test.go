package server_test

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"bilag/connectors/eaccounting"
	"bilag/connectors/eaccounting/sandbox"
	"bilag/db"
)

// docOf adds f to voucher v at the sandbox and returns the portal's
// document of that name, found by showing the voucher page.
func (d *docEnv) docOf(v db.Voucher, f sandbox.File) db.VoucherDocument {
	d.t.Helper()
	if _, err := d.sb.AddAttachment("556812-3474", upstreamID(v), f); err != nil {
		d.t.Fatalf("AddAttachment(%q) = %v", f.Name, err)
	}
	d.openVoucher(d.viewer, v)
	docs, err := d.db.VoucherDocuments(d.t.Context(), d.fj.ID, v.ID)
	if err != nil {
		d.t.Fatal(err)
	}
	for _, doc := range docs {
		if doc.FileName == f.Name {
			return doc
		}
	}
	d.t.Fatalf("voucher %s shows no document %q", v.Number, f.Name)
	return db.VoucherDocument{}
}

// frameSrcRe finds what a page embeds of a voucher's documents, without a
// fragment (the PDF viewer's options).
var frameSrcRe = regexp.MustCompile(`<(?:iframe|img|object|embed)[^>]*\ssrc="([^"#]*/documents/[^"#]*)`)

// The voucher page never trusts a document's declared type and never waits
// for its bytes: its frame always loads the viewer route, which sniffs the
// first bytes and answers the document inline or a page with a download
// link, the same decision as the document route.
func TestVoucherPageFramesTheViewer(t *testing.T) {
	t.Parallel()
	d := newDocEnv(t)
	v := d.vouchers(db.VoucherFilter{})[0]
	hostile := d.docOf(v, sandbox.File{Name: "faktura.pdf", ContentType: "application/pdf", Data: []byte("<html><script>alert(1)</script></html>")})
	realPDF := []byte("%PDF-1.4\n% a real invoice\n%%EOF\n")
	pdf := d.docOf(v, sandbox.File{Name: "invoice.pdf", ContentType: "application/pdf", Data: realPDF})
	base := fmt.Sprintf("/companies/%d/vouchers/%d/documents/", d.fj.ID, v.ID)

	t.Run("voucher page", func(t *testing.T) {
		for _, doc := range []db.VoucherDocument{hostile, pdf} {
			page := d.viewer.get(fmt.Sprintf("/companies/%d/vouchers/%d?doc=%d", d.fj.ID, v.ID, doc.ID))
			wantStatus(t, "voucher page", page, http.StatusOK)
			srcs := frameSrcRe.FindAllStringSubmatch(page.Body, -1)
			if len(srcs) != 1 || srcs[0][1] != base+itoa(doc.ID)+"/view" {
				t.Errorf("voucher page of %s embeds %q, want one frame of %s", doc.FileName, srcs, base+itoa(doc.ID)+"/view")
			}
		}
	})
	t.Run("html labelled pdf", func(t *testing.T) {
		resp, body := d.fetch(d.viewer, base+itoa(hostile.ID)+"/view")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("viewer status = %d, want 200", resp.StatusCode)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || bytes.Contains(body, []byte("<script>alert(1)")) {
			t.Errorf("viewer answered %q with %q, want Bilag's download page", ct, body)
		}
		if cd := resp.Header.Get("Content-Disposition"); cd != "" {
			t.Errorf("viewer's download page has Content-Disposition %q: the browser would download as the page opens", cd)
		}
		if !bytes.Contains(body, []byte(`href="`+base+itoa(hostile.ID)+`?download=1"`)) {
			t.Errorf("download page has no download link:\n%s", body)
		}
		if xfo, csp := resp.Header.Get("X-Frame-Options"), resp.Header.Get("Content-Security-Policy"); xfo != "SAMEORIGIN" || !strings.Contains(csp, "frame-ancestors 'self'") {
			t.Errorf("download page X-Frame-Options %q, CSP %q: the voucher page cannot frame it", xfo, csp)
		}
	})
	t.Run("real pdf", func(t *testing.T) {
		resp, body := d.fetch(d.viewer, base+itoa(pdf.ID)+"/view")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.Equal(body, realPDF) {
			t.Fatalf("viewer = %d %q %q, want the PDF", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		wantDocHeaders(t, resp, true)
	})
	t.Run("image", func(t *testing.T) {
		var jpg bytes.Buffer
		if err := jpeg.Encode(&jpg, image.NewGray(image.Rect(0, 0, 60, 40)), nil); err != nil {
			t.Fatal(err)
		}
		receipt := d.docOf(v, sandbox.File{Name: "kvitto.jpg", ContentType: "image/jpeg", Data: jpg.Bytes()})
		view := d.viewer.get(base + itoa(receipt.ID) + "/view")
		wantStatus(t, "image page", view, http.StatusOK)
		if want := `<img id="docimg" src="` + base + itoa(receipt.ID) + `"`; !strings.Contains(view.Body, want) {
			t.Errorf("the image page has no %s:\n%s", want, view.Body)
		}
		wantText(t, "image page", view, tr("voucher.rotate"), tr("voucher.reset"))
		if !strings.Contains(view.Body, "js/imageview.js") {
			t.Error("the image page loads no image tools")
		}
		resp, body := d.fetch(d.viewer, base+itoa(receipt.ID))
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" || !bytes.Equal(body, jpg.Bytes()) {
			t.Errorf("the image = %d %q, want the JPEG", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if got := resp.Header.Get("X-Bilag-Cache"); got != "hit" {
			t.Errorf("the image after its page: X-Bilag-Cache = %q, want hit (the page's read filled the cache)", got)
		}
	})
}

// Issue 25 item 2: the frame tells an upstream failure in the words the
// document route and the API use, naming the accounting system, never in
// neutral words of its own.
func TestFrameNamesTheSystemLikeTheRest(t *testing.T) {
	t.Parallel()
	f := newFaultEnv(t)
	v, att := f.docOf(eaccounting.KindAttachment)
	tests := []struct {
		name   string
		rule   faultRule
		status int
		code   string
		text   string
	}{
		{"503", status("/v2/", http.StatusServiceUnavailable, "Service Unavailable"), http.StatusServiceUnavailable, "upstream_unavailable", "Visma is not answering right now."},
		{"refusal", status("/v2/", http.StatusForbidden, vismaError(4003)), http.StatusForbidden, "upstream_forbidden", "Visma refused: the company's start guide in Visma eEkonomi is not completed."},
		{"bad answer", status("/files/", http.StatusNotFound, "<Error/>"), http.StatusBadGateway, "upstream_bad_answer", "Visma gave an answer Bilag cannot use."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.answer(t, tt.rule)
			frame := f.viewer.get(docPath(f.fj, v, att) + "/view")
			wantStatus(t, "frame", frame, tt.status)
			text := strings.Join(strings.Fields(frame.Text()), " ")
			if !strings.Contains(text, tt.text) || strings.Contains(text, "The accounting system") {
				t.Errorf("frame says %.300q, want %q as the document route says it", text, tt.text)
			}
			doc := f.viewer.get(docPath(f.fj, v, att))
			wantText(t, "document route", doc, tt.text)
			if msg := apiMessage(t, "api", f.portal.api(t, f.token, "/api/v1"+docPath(f.fj, v, att)), tt.status, tt.code); !strings.HasPrefix(msg, strings.TrimSuffix(tt.text, ".")) {
				t.Errorf("api says %q, want %q", msg, tt.text)
			}
		})
	}
}
