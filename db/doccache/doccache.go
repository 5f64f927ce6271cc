// Package doccache keeps documents fetched from Visma on local disk,
// encrypted, so opening the same voucher document twice does not cost a
// second upstream call (Visma rate-limits) and a restart does not lose them.
//
// The cache is bounded in bytes and evicts the least recently used document
// first. Documents are stored once per content (the file is named by the
// hex SHA-256 of the plaintext); any number of lookup keys, such as
// "eaccounting/<companyID>/attachment/<id>", point at a document through a
// small encrypted index file per key.
//
// Everything on disk is sealed with the keyring: the documents with the
// seal stream, the index files with Keyring.Seal. The additional data binds
// each index file to its key and each document file to a random id recorded
// in its index entries, so whoever can write to the directory cannot swap
// one company's document for another's without decryption failing; such an
// entry is dropped and reported as an error.
//
// Layout of dir:
//
//	<sha256 hex>         a document, as a seal stream
//	<sha256(key) hex>.idx  the index entry of one key
//	tmp-*                  a document or index being written (removed at Open)
//
// Names of index files are hashes of the keys so a directory listing does
// not reveal which companies' documents are cached.
package doccache

import (
	"bufio"
	"container/list"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"bilag/db/seal"
)

// Meta describes a cached document.
type Meta struct {
	ContentType string `json:"content_type"`
	FileName    string `json:"file_name"`
	// Size is the plaintext length; Commit sets it from what was written.
	Size int64 `json:"size"`
}

// ErrCorrupt: a cached file failed to decrypt or does not belong where it
// was found. The entry has been dropped; fetching the document again from
// upstream is the remedy.
var ErrCorrupt = errors.New("doccache: corrupt entry")

const (
	idxSuffix = ".idx"
	tmpPrefix = "tmp-"
	blobAAD   = "bilag doccache blob v1\x00"
	idxAAD    = "bilag doccache index v1\x00"
)

// blob is one document file, shared by every key whose content it is.
type blob struct {
	sha  string
	id   string // random; in the blob's AAD and its index entries
	size int64  // bytes on disk
	keys map[string]bool
	elem *list.Element // in Cache.lru; front is most recently used
}

type entry struct {
	sha  string
	meta Meta
}

// Cache is an encrypted, size-bounded LRU cache of documents in one
// directory. It is safe for concurrent use; only one Cache should use a
// directory at a time.
type Cache struct {
	dir      string
	maxBytes int64
	keys     *seal.Keyring
	now      func() time.Time

	mu      sync.Mutex
	entries map[string]*entry // by lookup key
	blobs   map[string]*blob  // by sha256 hex
	lru     *list.List        // of *blob
	total   int64             // bytes of all blobs on disk
	// gen counts RemovePrefix calls; removed keeps the prefixes removed
	// while writers were open, so a document being written when its
	// company's copies were removed is not committed afterwards.
	gen     uint64
	removed []removal
	writers int
}

type removal struct {
	prefix string
	gen    uint64
}

// Open opens or creates the cache in dir, holding at most maxBytes of
// document files (index files add a few hundred bytes per key on top). The
// index is rebuilt from the files: entries that no longer decrypt with k
// (a dropped key, damage) and documents no entry points at are removed, and
// recency is taken from the documents' modification times.
func Open(dir string, maxBytes int64, k *seal.Keyring) (*Cache, error) {
	if maxBytes <= 0 {
		return nil, fmt.Errorf("doccache: maxBytes must be positive, got %d", maxBytes)
	}
	if k == nil {
		return nil, errors.New("doccache: nil keyring")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("doccache: create dir: %w", err)
	}
	c := &Cache{
		dir:      dir,
		maxBytes: maxBytes,
		keys:     k,
		now:      time.Now,
		entries:  map[string]*entry{},
		blobs:    map[string]*blob{},
		lru:      list.New(),
	}
	if err := c.load(); err != nil {
		return nil, err
	}
	return c, nil
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

type onDisk struct {
	size  int64
	mtime time.Time
}

func (c *Cache) load() error {
	des, err := os.ReadDir(c.dir)
	if err != nil {
		return fmt.Errorf("doccache: read dir: %w", err)
	}
	files := map[string]onDisk{}
	var idx []string
	for _, de := range des {
		name := de.Name()
		switch {
		case strings.HasPrefix(name, tmpPrefix):
			// Left by a crash or an unfinished write; never committed.
			os.Remove(filepath.Join(c.dir, name))
		case isHex64(name) && de.Type().IsRegular():
			fi, err := de.Info()
			if err != nil {
				continue
			}
			files[name] = onDisk{size: fi.Size(), mtime: fi.ModTime()}
		case strings.HasSuffix(name, idxSuffix) && isHex64(strings.TrimSuffix(name, idxSuffix)):
			idx = append(idx, name)
		}
	}
	for _, name := range idx {
		rec, err := c.readIndex(name)
		if err == nil {
			if _, ok := files[rec.SHA]; !ok {
				err = fmt.Errorf("%w: document %s missing", ErrCorrupt, rec.SHA)
			}
		}
		if err == nil {
			if b := c.blobs[rec.SHA]; b != nil && b.id != rec.BlobID {
				err = fmt.Errorf("%w: conflicting ids for %s", ErrCorrupt, rec.SHA)
			}
		}
		if err != nil {
			// A cache may forget; an entry that cannot be trusted or
			// served is removed rather than failing the whole cache.
			os.Remove(filepath.Join(c.dir, name))
			continue
		}
		b := c.blobs[rec.SHA]
		if b == nil {
			b = &blob{sha: rec.SHA, id: rec.BlobID, size: files[rec.SHA].size, keys: map[string]bool{}}
			c.blobs[rec.SHA] = b
		}
		b.keys[rec.Key] = true
		c.entries[rec.Key] = &entry{sha: rec.SHA, meta: rec.Meta}
	}
	for sha := range files {
		if c.blobs[sha] == nil {
			os.Remove(filepath.Join(c.dir, sha))
		}
	}
	// Oldest first, so each PushFront leaves the newest at the front.
	order := make([]*blob, 0, len(c.blobs))
	for _, b := range c.blobs {
		order = append(order, b)
	}
	slices.SortFunc(order, func(a, b *blob) int {
		if d := files[a.sha].mtime.Compare(files[b.sha].mtime); d != 0 {
			return d
		}
		return strings.Compare(a.sha, b.sha)
	})
	for _, b := range order {
		b.elem = c.lru.PushFront(b)
		c.total += b.size
	}
	c.evictLocked()
	return nil
}

// indexRecord is the plaintext of an index file.
type indexRecord struct {
	Key    string `json:"key"`
	SHA    string `json:"sha256"`
	BlobID string `json:"blob_id"`
	Meta   Meta   `json:"meta"`
}

// indexFile is what is written to disk.
type indexFile struct {
	KeyID string `json:"key_id"`
	Data  []byte `json:"data"`
}

func indexName(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:]) + idxSuffix
}

func (c *Cache) readIndex(name string) (indexRecord, error) {
	var rec indexRecord
	raw, err := os.ReadFile(filepath.Join(c.dir, name))
	if err != nil {
		return rec, fmt.Errorf("doccache: read index: %w", err)
	}
	var f indexFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return rec, fmt.Errorf("%w: index %s: %w", ErrCorrupt, name, err)
	}
	pt, err := c.keys.Open(f.KeyID, f.Data, []byte(idxAAD+name))
	if err != nil {
		return rec, fmt.Errorf("%w: index %s: %w", ErrCorrupt, name, err)
	}
	if err := json.Unmarshal(pt, &rec); err != nil {
		return rec, fmt.Errorf("%w: index %s: %w", ErrCorrupt, name, err)
	}
	if indexName(rec.Key) != name || !isHex64(rec.SHA) || rec.BlobID == "" {
		return rec, fmt.Errorf("%w: index %s does not match its name", ErrCorrupt, name)
	}
	return rec, nil
}

func (c *Cache) writeIndex(rec indexRecord) error {
	pt, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("doccache: encode index: %w", err)
	}
	name := indexName(rec.Key)
	keyID, ct, err := c.keys.Seal(pt, []byte(idxAAD+name))
	if err != nil {
		return fmt.Errorf("doccache: seal index: %w", err)
	}
	raw, err := json.Marshal(indexFile{KeyID: keyID, Data: ct})
	if err != nil {
		return fmt.Errorf("doccache: encode index: %w", err)
	}
	tmp, err := os.CreateTemp(c.dir, tmpPrefix+"*")
	if err != nil {
		return fmt.Errorf("doccache: create index: %w", err)
	}
	_, err = tmp.Write(raw)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// Rename is atomic, so a reader never sees half an index file.
		err = os.Rename(tmp.Name(), filepath.Join(c.dir, name))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("doccache: write index: %w", err)
	}
	return nil
}

// Entry is a document being written to the cache. Write the document to
// it, then Commit; or Abort. It is meant to sit in an io.MultiWriter next
// to the HTTP response, so a document is cached while it streams to the
// browser. An Entry is used by one goroutine.
type Entry struct {
	c     *Cache
	key   string
	meta  Meta
	id    string
	tmp   *os.File // nil once the document is known not to fit
	disk  *countingWriter
	seal  io.WriteCloser
	hash  hash.Hash
	n     int64
	done  bool
	wrErr error
	gen   uint64 // the cache's RemovePrefix generation when the entry began
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (cw *countingWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	return n, err
}

// Writer starts caching a document under key. Nothing is visible to Get
// until Commit.
func (c *Cache) Writer(key string, meta Meta) (*Entry, error) {
	idb := make([]byte, 16)
	if _, err := rand.Read(idb); err != nil {
		return nil, fmt.Errorf("doccache: blob id: %w", err)
	}
	id := hex.EncodeToString(idb)
	tmp, err := os.CreateTemp(c.dir, tmpPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("doccache: create temp: %w", err)
	}
	cw := &countingWriter{w: tmp}
	sw, err := c.keys.NewWriter(cw, []byte(blobAAD+id))
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("doccache: %w", err)
	}
	c.mu.Lock()
	gen := c.gen
	c.writers++
	c.mu.Unlock()
	return &Entry{c: c, key: key, meta: meta, id: id, tmp: tmp, disk: cw, seal: sw, hash: sha256.New(), gen: gen}, nil
}

// writerDone is called once per Entry, when it commits or aborts.
func (c *Cache) writerDone() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writers--
	if c.writers == 0 {
		c.removed = nil
	}
}

// removedSinceLocked reports whether key fell under a RemovePrefix made
// after generation gen.
func (c *Cache) removedSinceLocked(key string, gen uint64) bool {
	for _, r := range c.removed {
		if r.gen > gen && strings.HasPrefix(key, r.prefix) {
			return true
		}
	}
	return false
}

// RemovePrefix forgets every key that starts with prefix (such as all of
// one company's documents, converted copies included) and deletes the
// documents no other key points at; it returns how many keys went. A
// document still being written under such a key is not kept either. The
// lookup keys are in memory (rebuilt at Open from the encrypted index
// records, which carry them), so no directory scan or decryption is needed.
func (c *Cache) RemovePrefix(prefix string) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if c.writers > 0 {
		c.removed = append(c.removed, removal{prefix: prefix, gen: c.gen})
	}
	n := 0
	var errs []error
	for key := range c.entries {
		if !strings.HasPrefix(key, prefix) {
			continue
		}
		if err := c.removeKeyLocked(key); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// Write hashes p and, while the document still fits in the cache, encrypts
// it to disk. A document that grows beyond the cache's size is still hashed,
// so Commit can return its SHA-256, but it is not kept. Write fails only on
// a disk error, after which Commit fails too; a caller streaming to a
// browser at the same time may prefer to Abort and carry on.
func (e *Entry) Write(p []byte) (int, error) {
	if e.done {
		return 0, errors.New("doccache: write after commit or abort")
	}
	if e.wrErr != nil {
		return 0, e.wrErr
	}
	e.hash.Write(p)
	e.n += int64(len(p))
	if e.tmp != nil {
		if _, err := e.seal.Write(p); err != nil {
			e.wrErr = fmt.Errorf("doccache: write: %w", err)
			e.discard()
			return 0, e.wrErr
		}
		if e.disk.n > e.c.maxBytes {
			e.discard()
		}
	}
	return len(p), nil
}

// Sum is the SHA-256 (hex) of everything written so far, whether or not
// the document is kept: a caller streaming through the entry need not hash
// the bytes a second time.
func (e *Entry) Sum() string { return hex.EncodeToString(e.hash.Sum(nil)) }

func (e *Entry) discard() {
	if e.tmp != nil {
		e.tmp.Close()
		os.Remove(e.tmp.Name())
		e.tmp = nil
	}
}

// Abort discards the entry. It is safe to call after Commit, so it can be
// deferred.
func (e *Entry) Abort() {
	if e.done {
		return
	}
	e.done = true
	e.discard()
	e.c.writerDone()
}

// Commit finishes the document and makes it visible to Get under the key,
// replacing what the key pointed to before. It returns the SHA-256 (hex) of
// everything written. A document larger than the cache is not stored (and
// the key's old entry is removed, since it no longer matches upstream), but
// its hash is still returned.
func (e *Entry) Commit() (sha string, err error) {
	if e.done {
		return "", errors.New("doccache: commit after commit or abort")
	}
	e.done = true
	defer e.c.writerDone()
	if e.wrErr != nil {
		return "", e.wrErr
	}
	sha = hex.EncodeToString(e.hash.Sum(nil))
	e.meta.Size = e.n
	if e.tmp != nil {
		err := e.seal.Close()
		if cerr := e.tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(e.tmp.Name())
			return "", fmt.Errorf("doccache: finish document: %w", err)
		}
		if e.disk.n > e.c.maxBytes {
			os.Remove(e.tmp.Name())
			e.tmp = nil
		}
	}
	c := e.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.tmp != nil && c.removedSinceLocked(e.key, e.gen) {
		// Its company's copies were removed while it was written.
		os.Remove(e.tmp.Name())
		return sha, nil
	}
	if e.tmp == nil {
		return sha, c.removeKeyLocked(e.key)
	}
	tmpName := e.tmp.Name()
	b := c.blobs[sha]
	if b != nil {
		// Same content is already stored (under this or another key): keep
		// that file and its id, drop the copy.
		os.Remove(tmpName)
	} else {
		if err := os.Rename(tmpName, filepath.Join(c.dir, sha)); err != nil {
			os.Remove(tmpName)
			return "", fmt.Errorf("doccache: store document: %w", err)
		}
		b = &blob{sha: sha, id: e.id, size: e.disk.n, keys: map[string]bool{}}
		b.elem = c.lru.PushFront(b)
		c.blobs[sha] = b
		c.total += b.size
	}
	if err := c.writeIndex(indexRecord{Key: e.key, SHA: sha, BlobID: b.id, Meta: e.meta}); err != nil {
		if len(b.keys) == 0 {
			c.removeBlobLocked(b)
		}
		return "", err
	}
	if old := c.entries[e.key]; old != nil && old.sha != sha {
		c.unlinkLocked(e.key, old.sha)
	}
	b.keys[e.key] = true
	c.entries[e.key] = &entry{sha: sha, meta: e.meta}
	c.touchLocked(b)
	c.evictLocked()
	return sha, nil
}

// Put caches the document read from r under key and returns its SHA-256 and
// length. It is Writer, Write and Commit in one, for callers that do not
// stream elsewhere at the same time.
func (c *Cache) Put(ctx context.Context, key string, meta Meta, r io.Reader) (sha string, n int64, err error) {
	e, err := c.Writer(key, meta)
	if err != nil {
		return "", 0, err
	}
	defer e.Abort()
	buf := make([]byte, 64<<10)
	for {
		if err := ctx.Err(); err != nil {
			return "", 0, fmt.Errorf("doccache: put: %w", err)
		}
		m, rerr := r.Read(buf)
		if m > 0 {
			if _, err := e.Write(buf[:m]); err != nil {
				return "", 0, err
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return "", 0, fmt.Errorf("doccache: read document: %w", rerr)
		}
	}
	sha, err = e.Commit()
	return sha, e.n, err
}

// Get returns the document cached under key. ok is false, with a nil error,
// when there is none. The body must be closed. The first chunk (64 KiB) is
// authenticated before Get returns, so for most documents any damage is an
// error here, before a response has started; damage further into a large
// document surfaces as a read error. Either way the error wraps ErrCorrupt
// and the entry is dropped, so the next Get is a miss.
func (c *Cache) Get(key string) (meta Meta, sha string, body io.ReadCloser, ok bool, err error) {
	c.mu.Lock()
	e := c.entries[key]
	if e == nil {
		c.mu.Unlock()
		return Meta{}, "", nil, false, nil
	}
	b := c.blobs[e.sha]
	f, err := os.Open(filepath.Join(c.dir, b.sha))
	if errors.Is(err, fs.ErrNotExist) {
		// Removed behind our back: a miss, not a fault.
		c.removeBlobLocked(b)
		c.mu.Unlock()
		return Meta{}, "", nil, false, nil
	}
	if err != nil {
		// Perhaps out of file descriptors: keep the entry for next time.
		c.mu.Unlock()
		return Meta{}, "", nil, false, fmt.Errorf("doccache: open document: %w", err)
	}
	c.touchLocked(b)
	meta, sha, id := e.meta, b.sha, b.id
	c.mu.Unlock()

	sr, err := c.keys.NewReader(f, []byte(blobAAD+id))
	var br *bufio.Reader
	if err == nil {
		br = bufio.NewReader(sr)
		// Peek makes the seal reader open the first chunk now.
		if _, err = br.Peek(1); err == io.EOF {
			err = nil
		}
	}
	if err != nil {
		f.Close()
		c.dropBlob(b)
		return Meta{}, "", nil, false, fmt.Errorf("%w: %s: %w", ErrCorrupt, sha, err)
	}
	return meta, sha, &reader{r: br, f: f, c: c, b: b}, true, nil
}

// reader drops its document when decryption fails part-way.
type reader struct {
	r       *bufio.Reader
	f       *os.File
	c       *Cache
	b       *blob
	dropped bool
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		if errors.Is(err, seal.ErrDecrypt) && !r.dropped {
			r.dropped = true
			r.c.dropBlob(r.b)
		}
		err = fmt.Errorf("%w: %s: %w", ErrCorrupt, r.b.sha, err)
	}
	return n, err
}

func (r *reader) Close() error { return r.f.Close() }

// dropBlob removes b if it is still the blob stored for its content; a
// newer Put of the same content must not be thrown away for an old fault.
func (c *Cache) dropBlob(b *blob) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.blobs[b.sha] == b {
		c.removeBlobLocked(b)
	}
}

// Remove forgets key. The document itself is deleted once no key points
// at it.
func (c *Cache) Remove(key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.removeKeyLocked(key)
}

// Stats reports the number of keys, of documents and their bytes on disk.
func (c *Cache) Stats() (keys, documents int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries), len(c.blobs), c.total
}

func (c *Cache) removeKeyLocked(key string) error {
	e := c.entries[key]
	if e == nil {
		return nil
	}
	if err := os.Remove(filepath.Join(c.dir, indexName(key))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("doccache: remove index: %w", err)
	}
	c.unlinkLocked(key, e.sha)
	delete(c.entries, key)
	return nil
}

// unlinkLocked detaches key from the blob sha, deleting the blob when it
// was the last key. The index file is the caller's business.
func (c *Cache) unlinkLocked(key, sha string) {
	b := c.blobs[sha]
	if b == nil {
		return
	}
	delete(b.keys, key)
	if len(b.keys) == 0 {
		c.removeBlobLocked(b)
	}
}

// removeBlobLocked deletes a blob and every key pointing at it. Open
// readers keep working: on Unix an open file outlives its name.
func (c *Cache) removeBlobLocked(b *blob) {
	for key := range b.keys {
		os.Remove(filepath.Join(c.dir, indexName(key)))
		delete(c.entries, key)
	}
	os.Remove(filepath.Join(c.dir, b.sha))
	c.lru.Remove(b.elem)
	delete(c.blobs, b.sha)
	c.total -= b.size
}

func (c *Cache) touchLocked(b *blob) {
	c.lru.MoveToFront(b.elem)
	// The modification time carries recency across restarts. Failing to
	// set it only makes the order after a restart less exact.
	now := c.now()
	os.Chtimes(filepath.Join(c.dir, b.sha), now, now)
}

func (c *Cache) evictLocked() {
	for c.total > c.maxBytes && c.lru.Len() > 0 {
		c.removeBlobLocked(c.lru.Back().Value.(*blob))
	}
}
