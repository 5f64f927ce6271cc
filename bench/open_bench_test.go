package main

import (
	"testing"
)

// BenchmarkOpenUncached is the own-cost scenario as a Go benchmark, for
// -cpuprofile, -memprofile and -benchmem: b.N first opens of fresh 10 KB
// documents, one at a time, through the portal's whole handler chain (the
// session, the access check, the connection, the sandbox on loopback, the
// hash, the encrypted cache and the audit), and the same number through
// the bare handler. Bilag's own cost is the difference of the two ns/op.
// Everything runs in this process: a profile shows the sandbox and the
// load client too (focus it with -focus 'bilag/(server|db)').
//
//	go test -tags sqlite_fts5 -run '^$' -bench OpenUncached -benchmem -benchtime 1000x \
//		-o /tmp/bench.test -cpuprofile /tmp/cpu.out ./bench
//
// (-o: a profile otherwise leaves the test binary in bench/.)
func BenchmarkOpenUncached(b *testing.B) {
	ctx := b.Context()
	st, err := newStand(ctx, standConfig{Dir: b.TempDir(), CacheBytes: 512 << 20})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(st.Close)
	cookie := st.viewer.cookieHeader()
	b.Run("bilag", func(b *testing.B) {
		docs, err := st.addDocs(ctx, b.N+1, 10<<10)
		if err != nil {
			b.Fatal(err)
		}
		// The first open warms the pools; it is not counted.
		if s := fire(ctx, st.load, cookie, st.docURLs(docs[:1]), 1, 10<<10); s.errs > 0 {
			b.Fatal(s.first)
		}
		urls := st.docURLs(docs[1:])
		b.ResetTimer()
		if s := fire(ctx, st.load, cookie, urls, 1, 10<<10); s.errs > 0 {
			b.Fatal(s.first)
		}
	})
	b.Run("bare", func(b *testing.B) {
		docs, err := st.addDocs(ctx, 1, 10<<10)
		if err != nil {
			b.Fatal(err)
		}
		fire(ctx, st.load, "", st.bareURLs(docs[0], 1), 1, 10<<10)
		urls := st.bareURLs(docs[0], b.N)
		b.ResetTimer()
		if s := fire(ctx, st.load, "", urls, 1, 10<<10); s.errs > 0 {
			b.Fatal(s.first)
		}
	})
}
