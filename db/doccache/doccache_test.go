package doccache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"bilag/db/seal"
)

func keyring(t *testing.T, secrets ...byte) *seal.Keyring {
	t.Helper()
	var prev [][]byte
	for _, s := range secrets[1:] {
		prev = append(prev, bytes.Repeat([]byte{s}, 32))
	}
	k, err := seal.NewKeyring(bytes.Repeat([]byte{secrets[0]}, 32), prev...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// clock gives each call a later time, so recency is deterministic and
// survives the file system's timestamp resolution.
func clock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

func open(t *testing.T, dir string, max int64, k *seal.Keyring) *Cache {
	t.Helper()
	return openClock(t, dir, max, k, clock())
}

// openClock opens with a given clock; a restart test shares one clock
// between the processes it simulates, as they would share wall time.
func openClock(t *testing.T, dir string, max int64, k *seal.Keyring, now func() time.Time) *Cache {
	t.Helper()
	c, err := Open(dir, max, k)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	c.now = now
	return c
}

func doc(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ seed
	}
	return b
}

func shaOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// diskSize is what a document of n bytes occupies: the seal stream header
// and one tag per 64 KiB chunk.
func diskSize(n int) int64 {
	chunks := n/(64<<10) + 1
	if n > 0 && n%(64<<10) == 0 {
		chunks--
	}
	return int64(37 + n + 16*chunks)
}

func put(t *testing.T, c *Cache, key string, body []byte) string {
	t.Helper()
	sha, n, err := c.Put(t.Context(), key, Meta{ContentType: "application/pdf", FileName: key + ".pdf"}, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	if n != int64(len(body)) || sha != shaOf(body) {
		t.Fatalf("Put(%q) = %s, %d; want %s, %d", key, sha, n, shaOf(body), len(body))
	}
	return sha
}

// get returns the body cached under key, or nil on a miss.
func get(t *testing.T, c *Cache, key string) []byte {
	t.Helper()
	meta, sha, body, ok, err := c.Get(key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if !ok {
		return nil
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("Get(%q) read: %v", key, err)
	}
	if sha != shaOf(b) || meta.Size != int64(len(b)) {
		t.Fatalf("Get(%q) sha %s size %d, body has %s, %d", key, sha, meta.Size, shaOf(b), len(b))
	}
	if b == nil {
		b = []byte{}
	}
	return b
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestPutGet(t *testing.T) {
	tests := []struct {
		name string
		body []byte
	}{
		{"empty", []byte{}},
		{"small", []byte("%PDF-1.4 hello")},
		{"one chunk exactly", doc(64<<10, 1)},
		{"several chunks", doc(200_000, 2)},
	}
	c := open(t, t.TempDir(), 10<<20, keyring(t, 1))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "eaccounting/c1/attachment/" + tt.name
			put(t, c, key, tt.body)
			meta, _, body, ok, err := c.Get(key)
			if err != nil || !ok {
				t.Fatalf("Get = ok %v, %v", ok, err)
			}
			got, err := io.ReadAll(body)
			body.Close()
			if err != nil || !bytes.Equal(got, tt.body) {
				t.Fatalf("body differs (err %v)", err)
			}
			want := Meta{ContentType: "application/pdf", FileName: key + ".pdf", Size: int64(len(tt.body))}
			if meta != want {
				t.Errorf("meta = %+v, want %+v", meta, want)
			}
		})
	}
	if _, _, _, ok, err := c.Get("nope"); ok || err != nil {
		t.Errorf("Get(missing) = ok %v, %v; want false, nil", ok, err)
	}
}

func TestPlaintextNotOnDisk(t *testing.T) {
	dir := t.TempDir()
	c := open(t, dir, 1<<20, keyring(t, 1))
	secret := []byte("Invoice to Kalle Anka, account 1234-5678")
	put(t, c, "k", secret)
	for _, name := range files(t, dir) {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		if bytes.Contains(b, []byte("Kalle")) || bytes.Contains(b, []byte("k.pdf")) {
			t.Errorf("%s contains plaintext", name)
		}
	}
}

func TestWriterStreaming(t *testing.T) {
	c := open(t, t.TempDir(), 1<<20, keyring(t, 1))
	body := doc(100_000, 3)
	var browser bytes.Buffer
	e, err := c.Writer("k", Meta{ContentType: "image/png"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Abort()
	if _, err := io.Copy(io.MultiWriter(&browser, e), bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	if get(t, c, "k") != nil {
		t.Error("entry visible before Commit")
	}
	sha, err := e.Commit()
	if err != nil || sha != shaOf(body) {
		t.Fatalf("Commit = %s, %v", sha, err)
	}
	if !bytes.Equal(browser.Bytes(), body) || !bytes.Equal(get(t, c, "k"), body) {
		t.Error("streamed or cached body differs")
	}
	if _, err := e.Commit(); err == nil {
		t.Error("second Commit succeeded")
	}
	if _, err := e.Write([]byte("x")); err == nil {
		t.Error("Write after Commit succeeded")
	}

	a, err := c.Writer("aborted", Meta{})
	if err != nil {
		t.Fatal(err)
	}
	a.Write([]byte("partial"))
	a.Abort()
	if get(t, c, "aborted") != nil {
		t.Error("aborted entry is visible")
	}
	if n := len(files(t, c.dir)); n != 2 {
		t.Errorf("dir has %d files, want 2 (one document, one index): %v", n, files(t, c.dir))
	}
}

func TestDedupAndReplace(t *testing.T) {
	dir := t.TempDir()
	c := open(t, dir, 1<<20, keyring(t, 1))
	same := doc(1000, 4)
	put(t, c, "a", same)
	put(t, c, "b", same)
	if keys, docs, size := c.Stats(); keys != 2 || docs != 1 || size != diskSize(1000) {
		t.Errorf("Stats = %d, %d, %d; want 2, 1, %d", keys, docs, size, diskSize(1000))
	}
	if err := c.Remove("a"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(get(t, c, "b"), same) || get(t, c, "a") != nil {
		t.Error("Remove(a) affected b or kept a")
	}
	// A new version under the same key replaces and frees the old one.
	other := doc(2000, 5)
	put(t, c, "b", other)
	if !bytes.Equal(get(t, c, "b"), other) {
		t.Error("b not replaced")
	}
	if keys, docs, size := c.Stats(); keys != 1 || docs != 1 || size != diskSize(2000) {
		t.Errorf("Stats = %d, %d, %d; want 1, 1, %d", keys, docs, size, diskSize(2000))
	}
	if _, err := os.Stat(filepath.Join(dir, shaOf(same))); !os.IsNotExist(err) {
		t.Errorf("old document still on disk: %v", err)
	}
}

func TestLRUEviction(t *testing.T) {
	const n = 1000
	c := open(t, t.TempDir(), 3*diskSize(n), keyring(t, 1))
	put(t, c, "a", doc(n, 'a'))
	put(t, c, "b", doc(n, 'b'))
	put(t, c, "c", doc(n, 'c'))
	get(t, c, "a") // a is now more recent than b and c
	put(t, c, "d", doc(n, 'd'))
	present := func(keys string) string {
		var s string
		for _, k := range keys {
			if get(t, c, string(k)) != nil {
				s += string(k)
			}
		}
		return s
	}
	if got := present("abcd"); got != "acd" {
		t.Errorf("after one eviction present = %q, want acd", got)
	}
	// Evicting by bytes: a document twice the size pushes out the two least
	// recently used (present() just read a, c, d in that order).
	put(t, c, "big", doc(2*n+53, 'x'))
	if got := present("acd"); got != "d" {
		t.Errorf("after big put present = %q, want d", got)
	}
	if _, _, size := c.Stats(); size > c.maxBytes {
		t.Errorf("total %d exceeds max %d", size, c.maxBytes)
	}
}

func TestOversize(t *testing.T) {
	dir := t.TempDir()
	c := open(t, dir, 100_000, keyring(t, 1))
	put(t, c, "k", []byte("small, old version"))
	big := doc(150_000, 6)
	sha := put(t, c, "k", big) // put checks the returned hash and length
	if sha != shaOf(big) {
		t.Fatal("wrong hash")
	}
	if get(t, c, "k") != nil {
		t.Error("oversize document kept, or old version still served")
	}
	if keys, docs, size := c.Stats(); keys != 0 || docs != 0 || size != 0 {
		t.Errorf("Stats = %d, %d, %d; want empty", keys, docs, size)
	}
	if f := files(t, dir); len(f) != 0 {
		t.Errorf("files left: %v", f)
	}
	// Just under the limit on disk fits; one byte more does not.
	fits := int(c.maxBytes) - 37 - 16*2
	put(t, c, "fits", doc(fits, 7))
	put(t, c, "over", doc(fits+1, 8))
	if get(t, c, "fits") == nil || get(t, c, "over") != nil {
		t.Error("boundary sizes handled wrongly")
	}
}

func TestRestart(t *testing.T) {
	dir := t.TempDir()
	now := clock()
	const n = 1000
	max := 3 * diskSize(n)
	c := openClock(t, dir, max, keyring(t, 1), now)
	put(t, c, "a", doc(n, 'a'))
	put(t, c, "b", doc(n, 'b'))
	put(t, c, "c", doc(n, 'c'))
	get(t, c, "a") // recency now b, c, a
	// Debris from a crash: a half-written file and a document no index
	// points at.
	os.WriteFile(filepath.Join(dir, "tmp-123"), []byte("junk"), 0o600)
	os.WriteFile(filepath.Join(dir, strings.Repeat("ab", 32)), []byte("orphan"), 0o600)

	// The new process has rotated its key; the previous one opens old
	// entries.
	c2 := openClock(t, dir, max, keyring(t, 2, 1), now)
	if f := files(t, dir); len(f) != 6 {
		t.Errorf("files after restart = %v, want 3 documents and 3 indexes", f)
	}
	meta, _, body, ok, err := c2.Get("b")
	if !ok || err != nil {
		t.Fatalf("Get(b) after restart = %v, %v", ok, err)
	}
	body.Close()
	if want := (Meta{ContentType: "application/pdf", FileName: "b.pdf", Size: n}); meta != want {
		t.Errorf("meta after restart = %+v, want %+v", meta, want)
	}
	// Recency survived the restart: c, a, b (b just read). d evicts c.
	put(t, c2, "d", doc(n, 'd'))
	if !bytes.Equal(get(t, c2, "a"), doc(n, 'a')) || get(t, c2, "c") != nil {
		t.Error("after restart: wrong entry evicted")
	}
	// Recency now b, d, a. Another restart, then e evicts b.
	c3 := openClock(t, dir, max, keyring(t, 2, 1), now)
	put(t, c3, "e", doc(n, 'e'))
	if get(t, c3, "b") != nil || get(t, c3, "d") == nil || get(t, c3, "a") == nil {
		t.Error("after second restart: wrong entry evicted")
	}

	// Without the old key nothing can be read, and all of it is removed.
	c4 := openClock(t, dir, max, keyring(t, 3), now)
	if keys, docs, _ := c4.Stats(); keys != 0 || docs != 0 {
		t.Errorf("with unknown key Stats = %d keys, %d docs; want 0", keys, docs)
	}
	if f := files(t, dir); len(f) != 0 {
		t.Errorf("files left with unknown key: %v", f)
	}
}

func TestTamper(t *testing.T) {
	small := doc(500, 1)
	large := doc(300_000, 2)
	tests := []struct {
		name    string
		body    []byte
		offset  int64 // byte of the document file to flip
		atGet   bool  // detected by Get itself rather than while reading
		corrupt func(t *testing.T, path string, off int64)
	}{
		{"header", small, 3, true, flip},
		{"first chunk", small, 100, true, flip},
		{"tag", small, -1, true, flip},
		{"truncated", small, 200, true, truncate},
		{"late chunk of large document", large, 200_000, false, flip},
		{"truncated large document", large, 200_000, false, truncate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			c := open(t, dir, 1<<20, keyring(t, 1))
			sha := put(t, c, "k", tt.body)
			tt.corrupt(t, filepath.Join(dir, sha), tt.offset)
			_, _, body, ok, err := c.Get("k")
			if tt.atGet {
				if ok || !errors.Is(err, ErrCorrupt) {
					t.Fatalf("Get = ok %v, %v; want ErrCorrupt", ok, err)
				}
			} else {
				if !ok || err != nil {
					t.Fatalf("Get = ok %v, %v; want ok", ok, err)
				}
				_, err = io.ReadAll(body)
				body.Close()
				if !errors.Is(err, ErrCorrupt) || !errors.Is(err, seal.ErrDecrypt) {
					t.Fatalf("read = %v, want ErrCorrupt wrapping seal.ErrDecrypt", err)
				}
			}
			if get(t, c, "k") != nil {
				t.Error("corrupt entry still served")
			}
			if f := files(t, dir); len(f) != 0 {
				t.Errorf("files left: %v", f)
			}
		})
	}
}

func flip(t *testing.T, path string, off int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if off < 0 {
		off = int64(len(b)) + off
	}
	b[off] ^= 1
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func truncate(t *testing.T, path string, off int64) {
	t.Helper()
	if err := os.Truncate(path, off); err != nil {
		t.Fatal(err)
	}
}

// Someone with write access to the directory swaps two companies'
// documents: neither may be served as the other.
func TestSwap(t *testing.T) {
	dir := t.TempDir()
	k := keyring(t, 1)
	c := open(t, dir, 1<<20, k)
	a := put(t, c, "company1/doc", []byte("company one's invoice"))
	b := put(t, c, "company2/doc", []byte("company two's invoice"))
	pa, pb := filepath.Join(dir, a), filepath.Join(dir, b)
	os.Rename(pa, pa+".x")
	os.Rename(pb, pa)
	os.Rename(pa+".x", pb)
	for _, key := range []string{"company1/doc", "company2/doc"} {
		if _, _, _, ok, err := c.Get(key); ok || !errors.Is(err, ErrCorrupt) {
			t.Errorf("Get(%q) after document swap = ok %v, %v; want ErrCorrupt", key, ok, err)
		}
	}

	// Index files swapped between restarts are refused at Open.
	dir2 := t.TempDir()
	c = open(t, dir2, 1<<20, k)
	put(t, c, "company1/doc", []byte("one"))
	put(t, c, "company2/doc", []byte("two"))
	i1, i2 := filepath.Join(dir2, indexName("company1/doc")), filepath.Join(dir2, indexName("company2/doc"))
	os.Rename(i1, i1+".x")
	os.Rename(i2, i1)
	os.Rename(i1+".x", i2)
	c = open(t, dir2, 1<<20, k)
	if get(t, c, "company1/doc") != nil || get(t, c, "company2/doc") != nil {
		t.Error("swapped index files were accepted")
	}
}

func TestPutContextCanceled(t *testing.T) {
	dir := t.TempDir()
	c := open(t, dir, 1<<20, keyring(t, 1))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := c.Put(ctx, "k", Meta{}, bytes.NewReader([]byte("x"))); !errors.Is(err, context.Canceled) {
		t.Errorf("Put = %v, want context.Canceled", err)
	}
	boom := errors.New("upstream reset")
	r := io.MultiReader(bytes.NewReader(doc(100_000, 1)), errReader{boom})
	if _, _, err := c.Put(t.Context(), "k", Meta{}, r); !errors.Is(err, boom) {
		t.Errorf("Put = %v, want %v", err, boom)
	}
	if f := files(t, dir); len(f) != 0 {
		t.Errorf("files left: %v", f)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestConcurrent(t *testing.T) {
	dir := t.TempDir()
	c := open(t, dir, 1<<20, keyring(t, 1))
	versions := [][]byte{doc(70_000, 1), doc(5_000, 2), doc(70_000, 1)}
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Go(func() {
			body := versions[i%len(versions)]
			if _, _, err := c.Put(context.Background(), "same", Meta{FileName: fmt.Sprint(i)}, bytes.NewReader(body)); err != nil {
				t.Errorf("Put: %v", err)
			}
		})
		wg.Go(func() {
			// Different keys, same content as the others: shared document.
			if _, _, err := c.Put(context.Background(), fmt.Sprint("k", i%3), Meta{}, bytes.NewReader(versions[0])); err != nil {
				t.Errorf("Put: %v", err)
			}
		})
		wg.Go(func() {
			_, sha, body, ok, err := c.Get("same")
			if err != nil {
				t.Errorf("Get: %v", err)
				return
			}
			if !ok {
				return
			}
			defer body.Close()
			b, err := io.ReadAll(body)
			if err != nil || shaOf(b) != sha {
				t.Errorf("concurrent Get read %d bytes, err %v, sha match %v", len(b), err, shaOf(b) == sha)
			}
		})
	}
	wg.Wait()
	got := get(t, c, "same")
	if !bytes.Equal(got, versions[0]) && !bytes.Equal(got, versions[1]) {
		t.Error("final value is neither version")
	}
	keys, docs, _ := c.Stats()
	if keys != 4 || docs > 2 {
		t.Errorf("Stats = %d keys, %d docs; want 4, at most 2", keys, docs)
	}
	if n := len(files(t, dir)); n != keys+docs {
		t.Errorf("%d files on disk, want %d: %v", n, keys+docs, files(t, dir))
	}
}

func TestOpenRejects(t *testing.T) {
	k := keyring(t, 1)
	if _, err := Open(t.TempDir(), 0, k); err == nil {
		t.Error("Open with maxBytes 0 succeeded")
	}
	if _, err := Open(t.TempDir(), 1, nil); err == nil {
		t.Error("Open with nil keyring succeeded")
	}
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o600)
	if _, err := Open(f, 1, k); err == nil {
		t.Error("Open on a file succeeded")
	}
}

// RemovePrefix removes every key under a prefix, also after a restart,
// keeps other keys and content they share, and a document being written
// under the prefix when it ran is not kept.
func TestRemovePrefix(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	k := keyring(t, 1)
	c := open(t, dir, 1<<20, k)
	put := func(c *Cache, key, body string) {
		t.Helper()
		if _, _, err := c.Put(ctx, key, Meta{ContentType: "application/pdf"}, strings.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
	put(c, "fake/1/attachment/a", "a")
	put(c, "fake/1/attachment/a#png", "a png")
	put(c, "fake/12/attachment/b", "a") // the same content, another company
	writing, err := c.Writer("fake/1/attachment/c", Meta{})
	if err != nil {
		t.Fatal(err)
	}
	writing.Write([]byte("c"))
	// A restart keeps the keys, so their removal still finds them.
	c = open(t, dir, 1<<20, k)
	n, err := c.RemovePrefix("fake/1/")
	if err != nil || n != 2 {
		t.Fatalf("RemovePrefix() = %d, %v; want 2", n, err)
	}
	if _, _, _, ok, _ := c.Get("fake/12/attachment/b"); !ok {
		t.Error("another company's document sharing the content was removed")
	}
	if keys, docs, _ := c.Stats(); keys != 1 || docs != 1 {
		t.Errorf("Stats() = %d keys, %d documents; want 1, 1", keys, docs)
	}

	// The same, with the writer on the cache that removes.
	w, err := c.Writer("fake/12/attachment/d", Meta{})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("d"))
	if _, err := c.RemovePrefix("fake/12/"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, _, _, ok, _ := c.Get("fake/12/attachment/d"); ok {
		t.Error("a document written while its company's copies were removed was kept")
	}
	put(c, "fake/12/attachment/e", "e")
	if _, _, _, ok, _ := c.Get("fake/12/attachment/e"); !ok {
		t.Error("a document written after the removal was not kept")
	}
	writing.Abort()
}
