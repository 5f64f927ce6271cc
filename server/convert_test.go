package server_test

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/image/tiff"

	"bilag/connectors/eaccounting/sandbox"
	"bilag/db"
)

// deflateTIFF is an all-black RGB TIFF of w×h pixels with bps bits a
// sample, in one deflate-compressed strip: a small file (about 116 kB for
// 6300×6300 at 8 bits) that decodes to w·h·3·bps/8 bytes.
func deflateTIFF(t *testing.T, w, h, bps int) []byte {
	t.Helper()
	var strip bytes.Buffer
	zw, err := zlib.NewWriterLevel(&strip, zlib.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	row := make([]byte, w*3*bps/8)
	for range h {
		zw.Write(row)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	const entries = 10
	ifdEnd := 8 + 2 + entries*12 + 4
	bpsAt, stripAt := ifdEnd, ifdEnd+6
	le := binary.LittleEndian
	b := []byte("II*\x00")
	b = le.AppendUint32(b, 8)
	b = le.AppendUint16(b, entries)
	for _, e := range [entries][4]uint32{
		{256, 4, 1, uint32(w)}, {257, 4, 1, uint32(h)}, {258, 3, 3, uint32(bpsAt)},
		{259, 3, 1, 8}, // deflate
		{262, 3, 1, 2}, // RGB
		{273, 4, 1, uint32(stripAt)}, {277, 3, 1, 3}, {278, 4, 1, uint32(h)},
		{279, 4, 1, uint32(strip.Len())}, {284, 3, 1, 1},
	} {
		b = le.AppendUint16(b, uint16(e[0]))
		b = le.AppendUint16(b, uint16(e[1]))
		b = le.AppendUint32(b, e[2])
		b = le.AppendUint32(b, e[3])
	}
	b = le.AppendUint32(b, 0)
	for range 3 {
		b = le.AppendUint16(b, uint16(bps))
	}
	return append(b, strip.Bytes()...)
}

// conversions counts the TIFF conversions of d's portal; with hold, the
// first n wait inside their slot for release.
type conversions struct {
	n       atomic.Int32
	entered chan struct{}
	release chan struct{}
}

func (d *docEnv) countConversions(wait time.Duration, hold int32) *conversions {
	cv := &conversions{entered: make(chan struct{}, hold), release: make(chan struct{})}
	d.portal.srv.SetConversion(wait, func() {
		if cv.n.Add(1) <= hold {
			cv.entered <- struct{}{}
			<-cv.release
		}
	})
	return cv
}

// At most two TIFFs are converted at once: a third open waits for a slot
// (an injected millisecond here, 5 s in production) and is then answered
// 503, converting nothing. The PNG is cached under its own key, so a later
// open converts nothing either.
func TestTIFFConversionsAreBounded(t *testing.T) {
	t.Parallel()
	d := newDocEnv(t)
	v := d.vouchers(db.VoucherFilter{})[0]
	var buf bytes.Buffer
	if err := tiff.Encode(&buf, image.NewGray(image.Rect(0, 0, 40, 30)), nil); err != nil {
		t.Fatal(err)
	}
	doc := d.docOf(v, sandbox.File{Name: "scan.tif", ContentType: "image/tiff", Data: buf.Bytes()})
	path := fmt.Sprintf("/companies/%d/vouchers/%d/documents/%d", d.fj.ID, v.ID, doc.ID)
	cv := d.countConversions(time.Millisecond, 2)
	var wg sync.WaitGroup
	// Whatever fails, the held conversions end before the servers close.
	release := sync.OnceFunc(func() { close(cv.release) })
	defer wg.Wait()
	defer release()

	status := make([]int, 2)
	for i := range 2 {
		wg.Go(func() {
			resp, body := d.fetch(d.viewer, path)
			status[i] = resp.StatusCode
			if _, err := png.DecodeConfig(bytes.NewReader(body)); err != nil {
				t.Errorf("open %d: not a PNG: %v", i+1, err)
			}
		})
	}
	<-cv.entered
	<-cv.entered
	third := d.viewer.get(path)
	wantStatus(t, "third open while two convert", third, http.StatusServiceUnavailable)
	wantText(t, "third open", third, tr("docview.busy"))
	release()
	wg.Wait()
	if status[0] != http.StatusOK || status[1] != http.StatusOK {
		t.Errorf("the two converting opens = %v, want 200 each", status)
	}
	if n := cv.n.Load(); n != 2 {
		t.Errorf("conversions = %d, want 2 (the third waited and gave up)", n)
	}

	// The frame gets the image page, whose image is the document route.
	view := d.viewer.get(path + "/view")
	wantStatus(t, "frame after the conversions", view, http.StatusOK)
	if want := `<img id="docimg" src="` + path + `"`; !strings.Contains(view.Body, want) {
		t.Fatalf("the frame has no %s:\n%s", want, view.Body)
	}
	resp, body := d.fetch(d.viewer, path)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("open after the conversions = %d %q, want the PNG", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if _, err := png.DecodeConfig(bytes.NewReader(body)); err != nil {
		t.Errorf("cached PNG: %v", err)
	}
	if n := cv.n.Load(); n != 2 {
		t.Errorf("conversions after a further open = %d, want 2: the PNG is cached", n)
	}
}

// The probe's case: a 116 kB TIFF of 6300×6300 pixels is converted once,
// and the next open is the cached PNG; at 16 bits a sample the same image
// would hold 318 MB decoded, more than 256 MB, and is only a download.
// Converting costs seconds of CPU and a third of a gigabyte, so this runs
// in make test's non-race pass.
func TestLargeTIFFIsConvertedOnce(t *testing.T) {
	t.Parallel()
	if testing.Short() || raceEnabled {
		t.Skip("converts a 6300×6300 TIFF: runs without -race in make test's long pass")
	}
	d := newDocEnv(t)
	v := d.vouchers(db.VoucherFilter{})[0]
	tif := deflateTIFF(t, 6300, 6300, 8)
	if len(tif) > 200<<10 {
		t.Fatalf("test TIFF is %d bytes, want a small file", len(tif))
	}
	doc := d.docOf(v, sandbox.File{Name: "big.tif", ContentType: "image/tiff", Data: tif})
	deep := d.docOf(v, sandbox.File{Name: "deep.tif", ContentType: "image/tiff", Data: deflateTIFF(t, 6300, 6300, 16)})
	cv := d.countConversions(5*time.Second, 0)
	base := fmt.Sprintf("/companies/%d/vouchers/%d/documents/", d.fj.ID, v.ID)

	var first []byte
	for i := range 2 {
		resp, body := d.fetch(d.viewer, base+itoa(doc.ID))
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("open %d = %d %q, want a PNG", i+1, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(body))
		if err != nil || cfg.Width != 6300 || cfg.Height != 6300 {
			t.Fatalf("open %d: PNG %dx%d, %v; want 6300x6300", i+1, cfg.Width, cfg.Height, err)
		}
		if i == 0 {
			first = body
		} else if !bytes.Equal(body, first) {
			t.Error("second open served another PNG")
		}
		if n := cv.n.Load(); n != 1 {
			t.Errorf("after open %d: conversions = %d, want 1", i+1, n)
		}
	}

	resp, body := d.fetch(d.viewer, base+itoa(deep.ID))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("16-bit TIFF = %d %q %q, want a download", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	if !bytes.HasPrefix(body, []byte("II*\x00")) {
		t.Errorf("16-bit TIFF download starts %q, want the TIFF itself", body[:min(8, len(body))])
	}
	frame := d.viewer.get(base + itoa(deep.ID) + "/view")
	wantStatus(t, "viewer of the 16-bit TIFF", frame, http.StatusOK)
	wantText(t, "viewer of the 16-bit TIFF", frame, tr("docview.toolarge"))
	if n := cv.n.Load(); n != 1 {
		t.Errorf("conversions = %d after the 16-bit TIFF, want still 1", n)
	}
}
