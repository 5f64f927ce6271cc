package connections

import (
	"bytes"
	"testing"

	"bilag/db/doccache"
	"bilag/db/seal"
)

// TestCacheCopyAllocsPerDocument: hashing and caching a document
// allocates per document, never per byte: 4 MiB no more than 64 KiB
// (issue 30). Both ways: into the cache, and hashed only.
func TestCacheCopyAllocsPerDocument(t *testing.T) {
	if raceEnabled {
		t.Skip("counts allocations: runs without -race in make test's plain pass")
	}
	keys, err := seal.NewKeyring(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	cache, err := doccache.Open(t.TempDir(), 64<<20, keys)
	if err != nil {
		t.Fatal(err)
	}
	p := bytes.Repeat([]byte{'x'}, 32<<10)
	for _, c := range []struct {
		name string
		open func() (doccache.Writer, error)
	}{
		{"cached", func() (doccache.Writer, error) { return cache.Begin(t.Context(), "k", doccache.Meta{}) }},
		{"hashed only", nil},
	} {
		allocs := func(size int) float64 {
			return testing.AllocsPerRun(10, func() {
				cc := newCacheCopy(c.open)
				for n := 0; n < size; n += len(p) {
					cc.Write(p)
				}
				if _, err := cc.finish(false); err != nil {
					t.Fatal(err)
				}
			})
		}
		small, big := allocs(64<<10), allocs(4<<20)
		// A little slack: the pool may be emptied by a GC mid-run.
		if big > small+4 {
			t.Errorf("%s: a 4 MiB document allocates %.0f times, a 64 KiB one %.0f: something allocates per chunk", c.name, big, small)
		}
	}
}
