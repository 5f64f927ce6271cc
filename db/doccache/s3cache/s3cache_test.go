package s3cache_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"bilag/db"
	"bilag/db/dbtest"
	"bilag/db/doccache"
	"bilag/db/doccache/s3cache"
	"bilag/db/seal"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// store is an in-process S3 server speaking the real protocol, and a
// client of it that sees what the store holds.
type store struct {
	url string
	raw *minio.Client
}

func newStore(t *testing.T) *store {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("bilag"); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(ts.Close)
	raw, err := minio.New(strings.TrimPrefix(ts.URL, "http://"), &minio.Options{Creds: credentials.NewStaticV4("AK", "SK", ""), BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	return &store{url: ts.URL, raw: raw}
}

// objects is every object in the bucket: name → bytes.
func (s *store) objects(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for o := range s.raw.ListObjects(t.Context(), "bilag", minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		obj, err := s.raw.GetObject(t.Context(), "bilag", o.Key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(obj)
		obj.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[o.Key] = b
	}
	return out
}

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { c.t = c.t.Add(2 * time.Minute); return c.t }

// instance is one Bilag's cache on a shared database and store.
func instance(t *testing.T, s *store, d *db.DB, max int64, clk *clock) *s3cache.Cache {
	t.Helper()
	loc, err := s3cache.ParseURL("s3://bilag/docs/?endpoint=" + s.url)
	if err != nil {
		t.Fatal(err)
	}
	secret := bytes.Repeat([]byte("k"), 32)
	keys, err := seal.NewKeyring(secret)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s3cache.Open(s3cache.Config{Location: loc, AccessKey: "AK", SecretKey: "SK", MaxBytes: max, Keys: keys,
		NameKey: seal.DeriveKey(secret, "test names"), DB: d, Now: clk.Now, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	return c
}

func openDB(t *testing.T, url string) *db.DB {
	t.Helper()
	d, err := db.Open(t.Context(), url, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func get(t *testing.T, c doccache.Store, key string) (doccache.Meta, string, []byte, bool) {
	t.Helper()
	meta, sha, body, ok, err := c.Lookup(t.Context(), key)
	if err != nil {
		t.Fatalf("Lookup(%s) = %v", key, err)
	}
	if !ok {
		return meta, "", nil, false
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return meta, sha, b, true
}

// doc is a document of n bytes that names itself, so that a plain copy
// would show in the store.
func doc(n int, tag string) []byte {
	return bytes.Repeat([]byte("%PDF-1.4 Faktura "+tag+" från Åkes Öl AB\n"), n/40+1)[:n]
}

// TestSharedBetweenInstances: a document cached through one instance is a
// hit on another; the store holds only sealed bytes under HMAC names, and
// never the key, the file name, the type or the SHA-256.
func TestSharedBetweenInstances(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, url string) {
		s, d := newStore(t), openDB(t, url)
		clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
		a, b := instance(t, s, d, 64<<20, clk), instance(t, s, d, 64<<20, clk)
		const key = "eaccounting/7/1700000000000/attachment/5a8e2c1e-0002"
		// Larger than what is held in memory, so it spools to a file too.
		body := doc(3<<20, "A-42")
		meta := doccache.Meta{ContentType: "application/pdf", FileName: "Faktura_Åke_A42.pdf"}
		sha, n, err := a.Put(t.Context(), key, meta, bytes.NewReader(body))
		if err != nil || n != int64(len(body)) {
			t.Fatalf("Put = %s, %d, %v", sha, n, err)
		}
		gotMeta, gotSHA, got, ok := get(t, b, key)
		if !ok || !bytes.Equal(got, body) || gotSHA != sha || gotMeta.FileName != meta.FileName || gotMeta.ContentType != meta.ContentType || gotMeta.Size != int64(len(body)) {
			t.Fatalf("other instance: ok %v, %d bytes, sha %s, meta %+v; want the document", ok, len(got), gotSHA, gotMeta)
		}
		objs := s.objects(t)
		if len(objs) != 1 {
			t.Fatalf("objects in the store = %d, want 1", len(objs))
		}
		for name, raw := range objs {
			hexName := strings.TrimPrefix(name, "docs/")
			if len(hexName) != 64 || strings.Trim(hexName, "0123456789abcdef") != "" {
				t.Errorf("object name %q is not the prefix and a hex HMAC", name)
			}
			// Needles long enough that sealed (random-looking) bytes do not
			// hold them by chance.
			rawSHA := sha256Sum(body)
			for _, secret := range []string{key, "5a8e2c1e-0002", meta.FileName, "%PDF-1.4 Faktura A-42", sha, string(rawSHA[:])} {
				if strings.Contains(name, secret) || bytes.Contains(raw, []byte(secret)) {
					t.Errorf("the store sees %q in object %s", secret, name)
				}
			}
			st, err := s.raw.StatObject(t.Context(), "bilag", name, minio.StatObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if st.ContentType != "application/octet-stream" || len(st.UserMetadata) != 0 {
				t.Errorf("object's type %q, metadata %v; want octet-stream and none", st.ContentType, st.UserMetadata)
			}
		}
		if _, _, _, ok := get(t, b, key+"x"); ok {
			t.Error("another key is a hit")
		}
	})
}

// TestSwappedObjectIsRefused: an object put in another's place (whoever
// can write to the bucket) fails to open, and its entry goes.
func TestSwappedObjectIsRefused(t *testing.T) {
	s, d := newStore(t), openDB(t, dbtest.SQLiteURL(t))
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	c := instance(t, s, d, 64<<20, clk)
	for _, k := range []string{"eaccounting/1/1/attachment/a", "eaccounting/2/1/attachment/b"} {
		if _, _, err := c.Put(t.Context(), k, doccache.Meta{}, bytes.NewReader(doc(1000, k))); err != nil {
			t.Fatal(err)
		}
	}
	objs := s.objects(t)
	var names []string
	for n := range objs {
		names = append(names, n)
	}
	// Company 2's object under company 1's name.
	if _, err := s.raw.PutObject(t.Context(), "bilag", names[0], bytes.NewReader(objs[names[1]]), int64(len(objs[names[1]])), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	var corrupt int
	for _, k := range []string{"eaccounting/1/1/attachment/a", "eaccounting/2/1/attachment/b"} {
		_, _, body, ok, err := c.Lookup(t.Context(), k)
		if errors.Is(err, doccache.ErrCorrupt) {
			corrupt++
			if _, _, _, ok := get(t, c, k); ok {
				t.Errorf("%s: still a hit after it failed to open", k)
			}
			continue
		}
		if err != nil || !ok {
			t.Fatalf("%s: Lookup = %v, %v", k, ok, err)
		}
		body.Close()
	}
	if corrupt != 1 {
		t.Errorf("entries refused = %d, want the swapped one", corrupt)
	}
}

// TestBoundAndForget: the bytes kept over all instances stay within the
// bound, the least recently used going first; forgetting a company's
// prefix on one instance removes its documents for all.
func TestBoundAndForget(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, url string) {
		s, d := newStore(t), openDB(t, url)
		clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
		// Room for two sealed 40 KB documents, not three.
		a, b := instance(t, s, d, 100<<10, clk), instance(t, s, d, 100<<10, clk)
		put := func(c *s3cache.Cache, key string) {
			t.Helper()
			if _, _, err := c.Put(t.Context(), key, doccache.Meta{}, bytes.NewReader(doc(40<<10, key))); err != nil {
				t.Fatal(err)
			}
		}
		put(a, "eaccounting/1/1/attachment/old")
		put(b, "eaccounting/1/1/attachment/used")
		// A hit marks "used" as more recent than "old".
		if _, _, _, ok := get(t, a, "eaccounting/1/1/attachment/used"); !ok {
			t.Fatal("miss right after a put")
		}
		put(b, "eaccounting/2/1/attachment/new")
		if _, _, _, ok := get(t, a, "eaccounting/1/1/attachment/old"); ok {
			t.Error("the least recently used document outlived the bound")
		}
		for _, k := range []string{"eaccounting/1/1/attachment/used", "eaccounting/2/1/attachment/new"} {
			if _, _, _, ok := get(t, b, k); !ok {
				t.Errorf("%s evicted; want kept", k)
			}
		}
		if bytes, n, err := d.CacheObjectBytes(t.Context()); err != nil || bytes > 100<<10 || n != 2 {
			t.Errorf("index holds %d bytes in %d entries, %v; want at most %d in 2", bytes, n, err, 100<<10)
		}
		if got := len(s.objects(t)); got != 2 {
			t.Errorf("objects in the store = %d, want 2", got)
		}
		n, err := a.Forget(t.Context(), "eaccounting/1/")
		if err != nil || n != 1 {
			t.Errorf("Forget = %d, %v; want 1", n, err)
		}
		if _, _, _, ok := get(t, b, "eaccounting/1/1/attachment/used"); ok {
			t.Error("a forgotten company's document is a hit on the other instance")
		}
		if got := len(s.objects(t)); got != 1 {
			t.Errorf("objects after Forget = %d, want 1", got)
		}
	})
}

// TestTooLargeIsHashedNotKept: a document larger than the whole cache is
// hashed for its caller but not kept, and an older copy under its key
// goes (it no longer matches the upstream).
func TestTooLargeIsHashedNotKept(t *testing.T) {
	s, d := newStore(t), openDB(t, dbtest.SQLiteURL(t))
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	c := instance(t, s, d, 64<<10, clk)
	const key = "eaccounting/1/1/attachment/big"
	if _, _, err := c.Put(t.Context(), key, doccache.Meta{}, bytes.NewReader(doc(1000, "small"))); err != nil {
		t.Fatal(err)
	}
	big := doc(200<<10, "big")
	w, err := c.Begin(context.Background(), key, doccache.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(big); err != nil {
		t.Fatal(err)
	}
	sha, err := w.Commit()
	want := fmt.Sprintf("%x", sha256Sum(big))
	if err != nil || sha != want {
		t.Errorf("Commit = %s, %v; want %s", sha, err, want)
	}
	if _, _, _, ok := get(t, c, key); ok {
		t.Error("a document larger than the cache, or its older copy, is a hit")
	}
	if got := len(s.objects(t)); got != 0 {
		t.Errorf("objects = %d, want 0", got)
	}
}

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want s3cache.Location
		err  string
	}{
		{raw: "s3://docs", want: s3cache.Location{Bucket: "docs", Endpoint: "s3.amazonaws.com", Secure: true}},
		{raw: "s3://docs/bilag/prod?endpoint=http://minio.internal:9000&region=eu-north-1",
			want: s3cache.Location{Bucket: "docs", Prefix: "bilag/prod/", Endpoint: "minio.internal:9000", Region: "eu-north-1"}},
		{raw: "s3://AKIA:secret@docs/x", err: "credentials"},
		{raw: "s3://docs?access_key=AKIA", err: "unknown parameter"},
		{raw: "https://docs/x", err: "scheme"},
		{raw: "s3:///x", err: "bucket"},
		{raw: "s3://docs?endpoint=ftp://x", err: "endpoint"},
		{raw: "s3://docs?endpoint=https://u:p@x", err: "endpoint"},
	} {
		got, err := s3cache.ParseURL(c.raw)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseURL(%q) = %v; want an error about %s", c.raw, err, c.err)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("ParseURL(%q): the error shows the secret: %v", c.raw, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", c.raw, got, err, c.want)
		}
	}
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
