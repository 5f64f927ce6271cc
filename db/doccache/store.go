package doccache

import (
	"context"
	"io"
)

// Store is a document cache as the portal uses it: this package's Cache on
// local disk (the default), or one that several instances share in an
// object store (package s3cache). Both seal what they keep the same way.
type Store interface {
	// Lookup returns the document cached under key; ok is false, with a
	// nil error, when there is none. The body must be closed.
	Lookup(ctx context.Context, key string) (meta Meta, sha string, body io.ReadCloser, ok bool, err error)
	// Begin starts caching a document under key; nothing is visible to
	// Lookup until the Writer commits.
	Begin(ctx context.Context, key string, meta Meta) (Writer, error)
	// Put caches the document read from r under key.
	Put(ctx context.Context, key string, meta Meta, r io.Reader) (sha string, n int64, err error)
	// Forget removes every key that starts with prefix; it returns how
	// many went.
	Forget(ctx context.Context, prefix string) (int, error)
}

// Writer is a document being cached: write it, then Commit or Abort (Abort
// after Commit does nothing, so it can be deferred). Sum is the SHA-256
// (hex) of what was written so far, kept or not.
type Writer interface {
	io.Writer
	Sum() string
	Commit() (sha string, err error)
	Abort()
}

var _ Store = (*Cache)(nil)

// Lookup is Get; the disk needs no context.
func (c *Cache) Lookup(_ context.Context, key string) (Meta, string, io.ReadCloser, bool, error) {
	return c.Get(key)
}

// Begin is Writer.
func (c *Cache) Begin(_ context.Context, key string, meta Meta) (Writer, error) {
	e, err := c.Writer(key, meta)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Forget is RemovePrefix.
func (c *Cache) Forget(_ context.Context, prefix string) (int, error) { return c.RemovePrefix(prefix) }
