package netvisor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/netvisor/sandbox"
)

// midway stands between the sandbox and the connector: the first answer
// of resource stops after `after` bytes, and either waits for open (an
// upstream slow mid-answer) or, with cut, drops the connection.
type midway struct {
	resource string
	after    int64
	cut      bool
	// reached is closed when the answer stops; open lets it go on.
	reached, open chan struct{}
	mu            sync.Mutex
	used          bool
}

func newMidway(resource string, after int64, cut bool) *midway {
	return &midway{resource: resource, after: after, cut: cut, reached: make(chan struct{}), open: make(chan struct{})}
}

func (m *midway) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		first := !m.used && strings.HasSuffix(r.URL.Path, "/"+m.resource)
		m.used = m.used || first
		m.mu.Unlock()
		if first {
			w = &midwayWriter{ResponseWriter: w, m: m}
		}
		h.ServeHTTP(w, r)
	})
}

type midwayWriter struct {
	http.ResponseWriter
	m       *midway
	n       int64
	stopped bool
}

func (w *midwayWriter) Write(p []byte) (int, error) {
	if w.stopped || w.n+int64(len(p)) < w.m.after {
		w.n += int64(len(p))
		return w.ResponseWriter.Write(p)
	}
	k := w.m.after - w.n
	if _, err := w.ResponseWriter.Write(p[:k]); err != nil {
		return 0, err
	}
	http.NewResponseController(w.ResponseWriter).Flush()
	w.stopped = true
	close(w.m.reached)
	if w.m.cut {
		panic(http.ErrAbortHandler)
	}
	<-w.m.open
	n, err := w.ResponseWriter.Write(p[k:])
	return int(k) + n, err
}

// stashFiles counts the files in dir and the files of dir this process
// holds open (on Linux, where /proc tells; -1 elsewhere).
func stashFiles(t *testing.T, dir string) (listed, open int) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return len(ents), -1
	}
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasPrefix(target, dir+string(filepath.Separator)) {
			open++
		}
	}
	return len(ents), open
}

// A browser that reads 1 KiB of a large file and holds it open holds no
// turn: the file was stashed at upstream speed, so another instance's
// request (and another open) goes through at once, with the shared lease
// and no overlap. The bytes served are the upstream's, and the stash's
// file is gone from its directory, and from the disk after Close.
func TestSlowReaderDoesNotHoldTheQueue(t *testing.T) {
	t.Parallel()
	size := int64(4 << 20)
	e := newEnv(t, sandbox.WithLargeAttachment(size))
	g := e.grant(t)
	dir := t.TempDir()
	// A person's request behind a held queue would fail at once.
	e.cfg.Leases, e.cfg.Sleep, e.cfg.QueueWait, e.cfg.StashDir = connectors.NewMemoryLeases(), yield, time.Millisecond, dir
	first, second := e.open(t, e.cfg), e.open(t, e.cfg)
	s, err := first.OpenDocument(context.Background(), g, connectors.Document{ID: "1008/1", Kind: KindAttachment})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Body.Close()
	got := sha256.New()
	if _, err := io.CopyN(got, s.Body, 1<<10); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Body.(*tempFile); !ok || s.Size != size {
		t.Errorf("a %d-byte file: body %T, size %d; want a temporary file of its size", size, s.Body, s.Size)
	}
	if listed, open := stashFiles(t, dir); listed != 0 || open == 0 {
		t.Errorf("while streaming: %d files listed, %d open in the stash directory; want 0 listed, 1 open", listed, open)
	}
	if _, err := second.Voucher(context.Background(), g, "1002"); err != nil {
		t.Fatalf("another instance's request while a slow reader holds a file = %v", err)
	}
	small, err := second.OpenDocument(context.Background(), g, connectors.Document{ID: "1005/0", Kind: KindAttachment})
	if err != nil {
		t.Fatalf("another open while a slow reader holds a file = %v", err)
	}
	if _, ok := small.Body.(*tempFile); ok || small.Size <= 0 || small.Size > memoryStashLimit {
		t.Errorf("a small file: body %T, size %d; want it in memory", small.Body, small.Size)
	}
	small.Body.Close()

	if _, err := io.Copy(got, s.Body); err != nil {
		t.Fatal(err)
	}
	want := sha256.New()
	if _, err := e.sb.VoucherFile(sandbox.DemoOrgID, 1008, 1).WriteTo(want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Error("the bytes served differ from the upstream's")
	}
	if err := s.Body.Close(); err != nil {
		t.Error(err)
	}
	if listed, open := stashFiles(t, dir); listed != 0 || open > 0 {
		t.Errorf("after Close: %d files listed, %d open in the stash directory", listed, open)
	}
	if n := e.sb.Overlaps(); n != 0 {
		t.Errorf("overlaps = %d", n)
	}
}

// An answer cut midway fails the open with the upstream unavailable,
// leaves no file behind and gives the turn back.
func TestCutAnswerLeavesNoStash(t *testing.T) {
	t.Parallel()
	for _, after := range []int64{64 << 10, 2 << 20} { // in memory; on disk
		cut := newMidway("getvoucherattachments.nv", after, true)
		e := newEnvVia(t, cut.wrap, sandbox.WithLargeAttachment(4<<20))
		g := e.grant(t)
		dir := t.TempDir()
		e.cfg.StashDir, e.cfg.QueueWait = dir, time.Millisecond
		c := e.open(t, e.cfg)
		_, err := c.OpenDocument(context.Background(), g, connectors.Document{ID: "1008/1", Kind: KindAttachment})
		if !errors.Is(err, connectors.ErrUnavailable) {
			t.Errorf("cut after %d bytes: open = %v, want unavailable", after, err)
		}
		if listed, open := stashFiles(t, dir); listed != 0 || open > 0 {
			t.Errorf("cut after %d bytes: %d files listed, %d open in the stash directory", after, listed, open)
		}
		if _, err := c.Voucher(context.Background(), g, "1002"); err != nil {
			t.Errorf("cut after %d bytes: the next request = %v", after, err)
		}
	}
}

// A stash directory that cannot be written fails the open of a large
// file, and gives the turn back.
func TestStashDirUnwritable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.WithLargeAttachment(1<<20))
	g := e.grant(t)
	e.cfg.StashDir, e.cfg.QueueWait = filepath.Join(t.TempDir(), "missing"), time.Millisecond
	c := e.open(t, e.cfg)
	if _, err := c.OpenDocument(context.Background(), g, connectors.Document{ID: "1008/1", Kind: KindAttachment}); err == nil || !strings.Contains(err.Error(), "stash file") {
		t.Errorf("open into a missing directory = %v, want the stash file's error", err)
	}
	if _, err := c.Voucher(context.Background(), g, "1002"); err != nil {
		t.Errorf("the next request = %v", err)
	}
}
