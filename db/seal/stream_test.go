package seal

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// pattern is a deterministic, non-repeating reader of n bytes, so large
// streams can be checked without keeping them in memory.
type pattern struct {
	n, off int64
}

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	if int64(len(b)) > p.n-p.off {
		b = b[:p.n-p.off]
	}
	for i := range b {
		x := p.off + int64(i)
		b[i] = byte(x ^ x>>8 ^ x>>16)
	}
	p.off += int64(len(b))
	return len(b), nil
}

func sealStream(t *testing.T, k *Keyring, pt []byte, aad []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := k.NewWriter(&buf, aad)
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	if _, err := w.Write(pt); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return buf.Bytes()
}

func openStream(k *Keyring, ct, aad []byte) ([]byte, error) {
	r, err := k.NewReader(bytes.NewReader(ct), aad)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func TestStreamRoundTrip(t *testing.T) {
	k := newKeyring(t, secret(1))
	sizes := []int{0, 1, 100, chunkSize - 1, chunkSize, chunkSize + 1, 2 * chunkSize, 3*chunkSize + 17}
	for _, n := range sizes {
		t.Run("", func(t *testing.T) {
			pt, _ := io.ReadAll(&pattern{n: int64(n)})
			ct := sealStream(t, k, pt, []byte("doc"))
			chunks := n/chunkSize + 1
			if n > 0 && n%chunkSize == 0 {
				chunks-- // a full final chunk is written as the last one
			}
			if want := headerLen + n + chunks*tagLen; len(ct) != want {
				t.Errorf("size %d: ciphertext %d bytes, want %d", n, len(ct), want)
			}
			got, err := openStream(k, ct, []byte("doc"))
			if err != nil {
				t.Fatalf("size %d: open: %v", n, err)
			}
			if !bytes.Equal(got, pt) {
				t.Errorf("size %d: round trip differs", n)
			}
			// Odd-sized reads exercise the read-ahead byte across chunks.
			r, err := k.NewReader(iotest.HalfReader(bytes.NewReader(ct)), []byte("doc"))
			if err != nil {
				t.Fatal(err)
			}
			if err := iotest.TestReader(r, pt); err != nil {
				t.Errorf("size %d: %v", n, err)
			}
		})
	}
}

func TestStreamSmallWrites(t *testing.T) {
	k := newKeyring(t, secret(1))
	pt, _ := io.ReadAll(&pattern{n: 2*chunkSize + 5})
	var buf bytes.Buffer
	w, err := k.NewWriter(&buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	for p := pt; len(p) > 0; {
		n := min(len(p), 999)
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
	got, err := openStream(k, buf.Bytes(), nil)
	if err != nil || !bytes.Equal(got, pt) {
		t.Errorf("round trip: err %v, equal %v", err, bytes.Equal(got, pt))
	}
}

func TestStreamLarge(t *testing.T) {
	const n = 16<<20 + 12345
	k := newKeyring(t, secret(1))
	pr, pw := io.Pipe()
	go func() {
		w, err := k.NewWriter(pw, []byte("big"))
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		if _, err := io.Copy(w, &pattern{n: n}); err != nil {
			pw.CloseWithError(err)
			return
		}
		pw.CloseWithError(w.Close())
	}()
	r, err := k.NewReader(pr, []byte("big"))
	if err != nil {
		t.Fatal(err)
	}
	got := sha256.New()
	m, err := io.Copy(got, r)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	want := sha256.New()
	io.Copy(want, &pattern{n: n})
	if m != n || !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Errorf("read %d bytes, want %d; hashes equal %v", m, n, bytes.Equal(got.Sum(nil), want.Sum(nil)))
	}
}

func TestStreamTamper(t *testing.T) {
	k := newKeyring(t, secret(1))
	pt, _ := io.ReadAll(&pattern{n: 2*chunkSize + 100})
	ct := sealStream(t, k, pt, []byte("aad"))
	c0 := headerLen                  // first chunk
	c1 := headerLen + encChunkSize   // second chunk
	c2 := headerLen + 2*encChunkSize // last chunk
	flip := func(i int) []byte { b := bytes.Clone(ct); b[i] ^= 1; return b }
	swap := func() []byte {
		b := bytes.Clone(ct)
		copy(b[c0:c1], ct[c1:c2])
		copy(b[c1:c2], ct[c0:c1])
		return b
	}
	drop := func() []byte { return append(bytes.Clone(ct[:c1]), ct[c2:]...) }
	tests := []struct {
		name    string
		ct      []byte
		aad     []byte
		wantErr error
	}{
		{"magic", flip(0), []byte("aad"), ErrDecrypt},
		{"version", flip(4), []byte("aad"), ErrDecrypt},
		{"key id", flip(5), []byte("aad"), ErrUnknownKey},
		{"salt", flip(headerLen - 1), []byte("aad"), ErrDecrypt},
		{"first chunk body", flip(c0 + 10), []byte("aad"), ErrDecrypt},
		{"first chunk tag", flip(c1 - 1), []byte("aad"), ErrDecrypt},
		{"middle chunk", flip(c1 + 5), []byte("aad"), ErrDecrypt},
		{"last chunk body", flip(c2), []byte("aad"), ErrDecrypt},
		{"last chunk tag", flip(len(ct) - 1), []byte("aad"), ErrDecrypt},
		{"wrong aad", ct, []byte("other"), ErrDecrypt},
		{"no aad", ct, nil, ErrDecrypt},
		{"reordered chunks", swap(), []byte("aad"), ErrDecrypt},
		{"dropped middle chunk", drop(), []byte("aad"), ErrDecrypt},
		{"trailing garbage", append(bytes.Clone(ct), 0), []byte("aad"), ErrDecrypt},
		{"appended copy of last chunk", append(bytes.Clone(ct), ct[c2:]...), []byte("aad"), ErrDecrypt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := openStream(k, tt.ct, tt.aad)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("open = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestStreamTruncation(t *testing.T) {
	k := newKeyring(t, secret(1))
	for _, size := range []int{0, 10, chunkSize, 2*chunkSize + 100} {
		pt, _ := io.ReadAll(&pattern{n: int64(size)})
		ct := sealStream(t, k, pt, nil)
		cuts := []int{0, 3, headerLen, headerLen + 1, len(ct) - tagLen, len(ct) - 1}
		if size > chunkSize {
			// Exactly at a chunk boundary: every remaining chunk is intact,
			// only the last-chunk flag reveals the loss.
			cuts = append(cuts, headerLen+encChunkSize, headerLen+2*encChunkSize)
		}
		for _, cut := range cuts {
			_, err := openStream(k, ct[:cut], nil)
			if !errors.Is(err, ErrDecrypt) {
				t.Errorf("size %d cut at %d of %d: err = %v, want ErrDecrypt", size, cut, len(ct), err)
			}
		}
	}
}

// A reader error is reported as such, not as tampering.
func TestStreamReadError(t *testing.T) {
	k := newKeyring(t, secret(1))
	pt, _ := io.ReadAll(&pattern{n: chunkSize * 2})
	ct := sealStream(t, k, pt, nil)
	boom := errors.New("disk on fire")
	r, err := k.NewReader(io.MultiReader(bytes.NewReader(ct[:headerLen+100]), iotest.ErrReader(boom)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); !errors.Is(err, boom) || errors.Is(err, ErrDecrypt) {
		t.Errorf("ReadAll = %v, want wrapped %v", err, boom)
	}
}

// TestStreamWriterAllocsPerStream: sealing allocates per stream, never per
// byte: a 4 MiB stream allocates no more than a 64 KiB one (issue 30).
func TestStreamWriterAllocsPerStream(t *testing.T) {
	k, err := NewKeyring(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 32<<10)
	allocs := func(size int) float64 {
		return testing.AllocsPerRun(20, func() {
			w, err := k.NewWriter(io.Discard, []byte("aad"))
			if err != nil {
				t.Fatal(err)
			}
			for n := 0; n < size; n += len(p) {
				w.Write(p)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, big := allocs(64<<10), allocs(4<<20)
	if big > small {
		t.Errorf("a 4 MiB stream allocates %.0f times, a 64 KiB one %.0f: something allocates per chunk", big, small)
	}
}
