// Package s3cache is a document cache that several Bilag instances share:
// the documents in an S3-compatible object store, their index (and the
// cache's size bound) in the database, so a document opened through one
// instance is a hit on the others.
//
// It seals like the disk cache (package doccache): each object is a seal
// stream whose additional data binds it to its name and to a random id
// kept in its index row, so the store never sees plain bytes, and an
// object swapped for another fails to open. Objects are named by an HMAC
// of the cache key (under a key derived from the portal's secret), never
// by the key, the file name or the document's SHA-256, which stay in the
// database; the store sees no content type either.
package s3cache

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"bilag/db"
	"bilag/db/doccache"
	"bilag/db/seal"
)

const (
	blobAAD = "bilag s3cache object v1\x00"
	// spillAt is how much of a sealed document is held in memory before
	// the rest goes to a temporary file until the upload.
	spillAt = 1 << 20
	// touchEvery bounds the writes a hit makes: recency is kept to the
	// minute, which is all the LRU order needs.
	touchEvery = time.Minute
)

// Location is where the cache's objects live (doccache.ParseS3URL).
type Location = doccache.S3Location

// ParseURL is doccache.ParseS3URL.
func ParseURL(raw string) (Location, error) { return doccache.ParseS3URL(raw) }

// Config configures Open.
type Config struct {
	Location
	AccessKey, SecretKey string
	// MaxBytes bounds the sealed bytes kept, over all instances.
	MaxBytes int64
	Keys     *seal.Keyring
	// NameKey is the HMAC key of object names; every instance must have
	// the same (seal.DeriveKey of the portal's secret).
	NameKey []byte
	DB      *db.DB
	Now     func() time.Time
	Logger  *slog.Logger
	// Transport reaches the store; nil is http.DefaultTransport's kind.
	Transport http.RoundTripper
	// TempDir holds sealed documents too large for memory until they are
	// uploaded; "" is the system's.
	TempDir string
	// Timeout bounds an upload and the index work after it (default
	// storeTimeout): a store that hangs must not hold the open that
	// commits.
	Timeout time.Duration
}

const storeTimeout = 2 * time.Minute

// Cache is the shared cache. It is safe for concurrent use.
type Cache struct {
	cfg    Config
	client *minio.Client

	// Within one instance, as in the disk cache: a document being written
	// when its company's copies are forgotten is not committed.
	mu      sync.Mutex
	gen     uint64
	removed []removal
	writers int
}

type removal struct {
	prefix string
	gen    uint64
}

var _ doccache.Store = (*Cache)(nil)

// Open connects to the store. It does not create the bucket: a cache is
// given one.
func Open(cfg Config) (*Cache, error) {
	switch {
	case cfg.MaxBytes <= 0:
		return nil, fmt.Errorf("s3cache: MaxBytes must be positive, got %d", cfg.MaxBytes)
	case cfg.Keys == nil, len(cfg.NameKey) < 32, cfg.DB == nil:
		return nil, errors.New("s3cache: Keys, a 32-byte NameKey and DB are required")
	case cfg.AccessKey == "" || cfg.SecretKey == "":
		return nil, errors.New("s3cache: access key and secret key are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = storeTimeout
	}
	cl, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       cfg.Secure,
		Region:       cfg.Region,
		Transport:    cfg.Transport,
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return nil, fmt.Errorf("s3cache: client: %w", err)
	}
	return &Cache{cfg: cfg, client: cl}, nil
}

// Check asks the store whether the bucket is there, for start-up.
func (c *Cache) Check(ctx context.Context) error {
	ok, err := c.client.BucketExists(ctx, c.cfg.Bucket)
	if err != nil {
		return fmt.Errorf("s3cache: bucket %s: %w", c.cfg.Bucket, err)
	}
	if !ok {
		return fmt.Errorf("s3cache: bucket %s does not exist", c.cfg.Bucket)
	}
	return nil
}

// name is the HMAC of key: the index row's name and, after the prefix, the
// object's.
func (c *Cache) name(key string) string {
	m := hmac.New(sha256.New, c.cfg.NameKey)
	m.Write([]byte(key))
	return hex.EncodeToString(m.Sum(nil))
}

func (c *Cache) object(name string) string { return c.cfg.Prefix + name }

func aad(name, blobID string) []byte { return []byte(blobAAD + name + "\x00" + blobID) }

// Lookup returns the document cached under key.
func (c *Cache) Lookup(ctx context.Context, key string) (doccache.Meta, string, io.ReadCloser, bool, error) {
	name := c.name(key)
	row, err := c.cfg.DB.CacheObject(ctx, name)
	if errors.Is(err, db.ErrNotFound) {
		return doccache.Meta{}, "", nil, false, nil
	}
	if err != nil {
		return doccache.Meta{}, "", nil, false, fmt.Errorf("s3cache: %w", err)
	}
	obj, err := c.client.GetObject(ctx, c.cfg.Bucket, c.object(name), minio.GetObjectOptions{})
	if err != nil {
		return doccache.Meta{}, "", nil, false, fmt.Errorf("s3cache: get: %w", err)
	}
	sr, err := c.cfg.Keys.NewReader(obj, aad(name, row.BlobID))
	var br *bufio.Reader
	if err == nil {
		br = bufio.NewReaderSize(sr, 64<<10)
		// Peek opens the first chunk now, so that most damage is found
		// before an answer starts.
		if _, err = br.Peek(1); err == io.EOF {
			err = nil
		}
	}
	if err != nil {
		obj.Close()
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			// Gone from the store (a lifecycle rule, another hand): a miss.
			c.drop(ctx, row, false)
			return doccache.Meta{}, "", nil, false, nil
		}
		if errors.Is(err, seal.ErrDecrypt) || errors.Is(err, seal.ErrUnknownKey) {
			c.drop(ctx, row, true)
			return doccache.Meta{}, "", nil, false, fmt.Errorf("%w: %w", doccache.ErrCorrupt, err)
		}
		return doccache.Meta{}, "", nil, false, fmt.Errorf("s3cache: read: %w", err)
	}
	if now := c.cfg.Now(); now.Sub(row.UsedAt) > touchEvery {
		if err := c.cfg.DB.TouchCacheObject(ctx, name, now); err != nil {
			c.cfg.Logger.Warn("document cache: mark used", "err", err)
		}
	}
	meta := doccache.Meta{ContentType: row.ContentType, FileName: row.FileName, Size: row.Size}
	return meta, row.SHA256, &reader{r: br, obj: obj, c: c, row: row}, true, nil
}

// reader drops its entry when decryption fails part-way.
type reader struct {
	r       *bufio.Reader
	obj     *minio.Object
	c       *Cache
	row     *db.DocCacheObject
	dropped bool
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		if errors.Is(err, seal.ErrDecrypt) && !r.dropped {
			r.dropped = true
			r.c.drop(context.Background(), r.row, true)
		}
		err = fmt.Errorf("%w: %w", doccache.ErrCorrupt, err)
	}
	return n, err
}

func (r *reader) Close() error { return r.obj.Close() }

// drop forgets row, if it is still the upload it was, and its object.
func (c *Cache) drop(ctx context.Context, row *db.DocCacheObject, object bool) {
	gone, err := c.cfg.DB.DeleteCacheObject(ctx, row.Name, row.BlobID)
	if err != nil {
		c.cfg.Logger.Warn("document cache: drop entry", "err", err)
		return
	}
	if gone && object {
		if err := c.client.RemoveObject(ctx, c.cfg.Bucket, c.object(row.Name), minio.RemoveObjectOptions{}); err != nil {
			c.cfg.Logger.Warn("document cache: remove object", "err", err)
		}
	}
}

// Writer is a document being cached: sealed as it is written, held in
// memory (then a temporary file, past spillAt) and uploaded at Commit.
type Writer struct {
	c     *Cache
	ctx   context.Context
	key   string
	name  string
	id    string
	meta  doccache.Meta
	gen   uint64
	hash  hash.Hash
	n     int64
	buf   *spool
	seal  io.WriteCloser
	done  bool
	wrErr error
}

// Begin starts caching a document under key.
func (c *Cache) Begin(ctx context.Context, key string, meta doccache.Meta) (doccache.Writer, error) {
	idb := make([]byte, 16)
	rand.Read(idb)
	w := &Writer{c: c, ctx: ctx, key: key, name: c.name(key), id: hex.EncodeToString(idb), meta: meta, hash: sha256.New(), buf: &spool{dir: c.cfg.TempDir}}
	sw, err := c.cfg.Keys.NewWriter(w.buf, aad(w.name, w.id))
	if err != nil {
		return nil, fmt.Errorf("s3cache: %w", err)
	}
	w.seal = sw
	c.mu.Lock()
	w.gen = c.gen
	c.writers++
	c.mu.Unlock()
	return w, nil
}

// Write hashes p and, while the document fits in the cache, seals it.
func (w *Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errors.New("s3cache: write after commit or abort")
	}
	if w.wrErr != nil {
		return 0, w.wrErr
	}
	w.hash.Write(p)
	w.n += int64(len(p))
	if w.seal != nil {
		if _, err := w.seal.Write(p); err != nil {
			w.wrErr = fmt.Errorf("s3cache: write: %w", err)
			w.discard()
			return 0, w.wrErr
		}
		if w.buf.n > w.c.cfg.MaxBytes {
			w.discard()
		}
	}
	return len(p), nil
}

// Sum is the SHA-256 (hex) of what was written so far.
func (w *Writer) Sum() string { return hex.EncodeToString(w.hash.Sum(nil)) }

func (w *Writer) discard() {
	if w.seal != nil {
		w.seal = nil
		w.buf.close()
	}
}

func (w *Writer) end() {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	w.c.writers--
	if w.c.writers == 0 {
		w.c.removed = nil
	}
}

// Abort discards the document; after Commit it does nothing.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.discard()
	w.end()
}

// Commit uploads the document and indexes it, then evicts the least
// recently used documents past the bound. It returns the SHA-256 of
// everything written, kept or not.
func (w *Writer) Commit() (string, error) {
	if w.done {
		return "", errors.New("s3cache: commit after commit or abort")
	}
	w.done = true
	defer w.end()
	defer w.discard()
	if w.wrErr != nil {
		return "", w.wrErr
	}
	sha := w.Sum()
	ctx, cancel := context.WithTimeout(w.ctx, w.c.cfg.Timeout)
	defer cancel()
	if w.seal == nil {
		// Larger than the whole cache: not kept, and an older copy under
		// the key no longer matches the upstream.
		return sha, w.c.forgetKey(ctx, w.name)
	}
	if err := w.seal.Close(); err != nil {
		return "", fmt.Errorf("s3cache: finish document: %w", err)
	}
	c := w.c
	c.mu.Lock()
	removed := false
	for _, r := range c.removed {
		removed = removed || (r.gen > w.gen && strings.HasPrefix(w.key, r.prefix))
	}
	c.mu.Unlock()
	if removed {
		return sha, nil
	}
	body, size, err := w.buf.reader()
	if err != nil {
		return "", fmt.Errorf("s3cache: %w", err)
	}
	_, err = c.client.PutObject(ctx, c.cfg.Bucket, c.object(w.name), body, size, minio.PutObjectOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return "", fmt.Errorf("s3cache: upload: %w", err)
	}
	row := &db.DocCacheObject{Name: w.name, CacheKey: w.key, BlobID: w.id, SHA256: sha, ContentType: w.meta.ContentType,
		FileName: w.meta.FileName, Size: w.n, StoredBytes: size, UsedAt: c.cfg.Now()}
	if err := c.cfg.DB.PutCacheObject(ctx, row); err != nil {
		return "", fmt.Errorf("s3cache: %w", err)
	}
	if err := c.evict(ctx); err != nil {
		c.cfg.Logger.Warn("document cache: evict", "err", err)
	}
	return sha, nil
}

// Put caches the document read from r under key.
func (c *Cache) Put(ctx context.Context, key string, meta doccache.Meta, r io.Reader) (string, int64, error) {
	w, err := c.Begin(ctx, key, meta)
	if err != nil {
		return "", 0, err
	}
	defer w.Abort()
	n, err := io.Copy(w, r)
	if err != nil {
		return "", 0, fmt.Errorf("s3cache: put: %w", err)
	}
	sha, err := w.Commit()
	return sha, n, err
}

// Forget removes every key that starts with prefix, on every instance:
// the index is shared.
func (c *Cache) Forget(ctx context.Context, prefix string) (int, error) {
	c.mu.Lock()
	c.gen++
	if c.writers > 0 {
		c.removed = append(c.removed, removal{prefix: prefix, gen: c.gen})
	}
	c.mu.Unlock()
	rows, err := c.cfg.DB.CacheObjectsWithPrefix(ctx, prefix)
	if err != nil {
		return 0, fmt.Errorf("s3cache: %w", err)
	}
	n := 0
	var errs []error
	for i := range rows {
		gone, err := c.cfg.DB.DeleteCacheObject(ctx, rows[i].Name, rows[i].BlobID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if gone {
			n++
			if err := c.client.RemoveObject(ctx, c.cfg.Bucket, c.object(rows[i].Name), minio.RemoveObjectOptions{}); err != nil {
				errs = append(errs, fmt.Errorf("s3cache: remove object: %w", err))
			}
		}
	}
	return n, errors.Join(errs...)
}

func (c *Cache) forgetKey(ctx context.Context, name string) error {
	gone, err := c.cfg.DB.DeleteCacheObject(ctx, name, "")
	if err != nil || !gone {
		return err
	}
	return c.client.RemoveObject(ctx, c.cfg.Bucket, c.object(name), minio.RemoveObjectOptions{})
}

// evict removes least recently used documents until the store holds at
// most MaxBytes. Instances evicting at once may remove a little more than
// needed; never less.
func (c *Cache) evict(ctx context.Context) error {
	total, _, err := c.cfg.DB.CacheObjectBytes(ctx)
	if err != nil {
		return err
	}
	for total > c.cfg.MaxBytes {
		rows, err := c.cfg.DB.OldestCacheObjects(ctx, 16)
		if err != nil || len(rows) == 0 {
			return err
		}
		for i := range rows {
			if total <= c.cfg.MaxBytes {
				break
			}
			gone, err := c.cfg.DB.DeleteCacheObject(ctx, rows[i].Name, rows[i].BlobID)
			if err != nil {
				return err
			}
			if gone {
				total -= rows[i].StoredBytes
				if err := c.client.RemoveObject(ctx, c.cfg.Bucket, c.object(rows[i].Name), minio.RemoveObjectOptions{}); err != nil {
					c.cfg.Logger.Warn("document cache: remove object", "err", err)
				}
			}
		}
	}
	return nil
}

// spool holds sealed bytes: in memory up to spillAt, then in a temporary
// file, which is removed at close.
type spool struct {
	dir  string
	mem  bytes.Buffer
	file *os.File
	n    int64
	err  error
}

func (s *spool) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	s.n += int64(len(p))
	if s.file == nil && int64(s.mem.Len()+len(p)) <= spillAt {
		return s.mem.Write(p)
	}
	if s.file == nil {
		f, err := os.CreateTemp(s.dir, "bilag-s3cache-*")
		if err != nil {
			s.err = fmt.Errorf("spool: %w", err)
			return 0, s.err
		}
		s.file = f
		if _, err := f.Write(s.mem.Bytes()); err != nil {
			s.err = fmt.Errorf("spool: %w", err)
			return 0, s.err
		}
		s.mem = bytes.Buffer{}
	}
	if _, err := s.file.Write(p); err != nil {
		s.err = fmt.Errorf("spool: %w", err)
		return 0, s.err
	}
	return len(p), nil
}

func (s *spool) reader() (io.Reader, int64, error) {
	if s.err != nil {
		return nil, 0, s.err
	}
	if s.file == nil {
		return bytes.NewReader(s.mem.Bytes()), s.n, nil
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return nil, 0, fmt.Errorf("spool: %w", err)
	}
	return s.file, s.n, nil
}

func (s *spool) close() {
	if s.file != nil {
		s.file.Close()
		os.Remove(s.file.Name())
		s.file = nil
	}
	s.mem = bytes.Buffer{}
}
