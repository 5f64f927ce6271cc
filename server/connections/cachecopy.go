package connections

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sync"

	"bilag/db/doccache"
)

// copyChunks bounds what a cacheCopy holds per request while the disk lags
// behind the network: 8 chunks of the 64 KiB a document is copied in.
const copyChunks = 8

var chunkPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// cacheCopy hashes what a client is sent and writes it into the document
// cache on a goroutine of its own, so that creating, encrypting and writing
// the cached copy overlaps the transfer instead of adding to it.
type cacheCopy struct {
	ch   chan *[]byte
	done chan struct{}
	// Set by the goroutine, read after done.
	entry doccache.Writer
	hash  hash.Hash // when there is no entry to hash
	err   error
}

// newCacheCopy starts the copy; open makes the cache entry (nil open, or
// an error from it, means hash only).
func newCacheCopy(open func() (doccache.Writer, error)) *cacheCopy {
	cc := &cacheCopy{ch: make(chan *[]byte, copyChunks), done: make(chan struct{})}
	go func() {
		defer close(cc.done)
		if open != nil {
			cc.entry, cc.err = open()
		}
		if cc.entry == nil {
			cc.hash = sha256.New()
		}
		for b := range cc.ch {
			if cc.hash != nil {
				cc.hash.Write(*b)
			} else if _, err := cc.entry.Write(*b); err != nil && cc.err == nil {
				// The entry drops its copy but goes on hashing.
				cc.err = err
			}
			*b = (*b)[:0]
			chunkPool.Put(b)
		}
	}()
	return cc
}

// Write hands a copy of p to the goroutine; it blocks only when the copy
// is copyChunks behind.
func (cc *cacheCopy) Write(p []byte) (int, error) {
	b := chunkPool.Get().(*[]byte)
	*b = append(*b, p...)
	cc.ch <- b
	return len(p), nil
}

// finish waits for the copy and returns the SHA-256 of everything written.
// With keep, and no cache error, it commits the cache entry.
func (cc *cacheCopy) finish(keep bool) (sha string, err error) {
	sha = cc.sum()
	if err := cc.keep(keep); err != nil {
		if cc.hash == nil && cc.err == nil {
			// The commit failed: as before, no hash is vouched for.
			return "", err
		}
		return sha, err
	}
	return sha, nil
}

// sum waits for the copy and returns the SHA-256 of everything written,
// before the cache entry is committed or aborted (keep).
func (cc *cacheCopy) sum() string {
	close(cc.ch)
	<-cc.done
	if cc.hash != nil {
		return hex.EncodeToString(cc.hash.Sum(nil))
	}
	return cc.entry.Sum()
}

// keep commits the cache entry, with keep and no cache error, else aborts
// it; after sum.
func (cc *cacheCopy) keep(keep bool) error {
	if cc.hash != nil {
		return cc.err
	}
	if cc.err != nil || !keep {
		cc.entry.Abort()
		return cc.err
	}
	_, err := cc.entry.Commit()
	return err
}
