package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
)

// The stream format follows the STREAM construction (Hoang, Reyhanitabar,
// Rogaway, Vizár 2015), as age does:
//
//	header  = "BLGS" | version 1 | key id (16 hex chars) | salt (16 random bytes)
//	chunk i = AES-256-GCM(fileKey, nonce = 0^7 | uint32be(i) | last, chunk, aad = header | additionalData)
//
// fileKey is derived from the keyring key and the salt, so every file has its
// own key and the counter nonces never repeat under one key; a random
// 96-bit nonce per chunk would run into GCM's birthday bound on a busy
// cache. The counter in the nonce detects reordering and dropped chunks, and
// the last flag detects truncation at a chunk boundary.
const (
	streamMagic   = "BLGS"
	streamVersion = 1
	saltLen       = 16
	headerLen     = len(streamMagic) + 1 + idLen + saltLen
	chunkSize     = 64 << 10
	tagLen        = 16
	encChunkSize  = chunkSize + tagLen
	streamPurpose = "bilag stream v1"
)

func streamAEAD(raw, salt []byte) (cipher.AEAD, error) {
	fk, err := hkdf.Key(sha256.New, raw, salt, streamPurpose, keyLen)
	if err != nil {
		return nil, fmt.Errorf("seal: derive file key: %w", err)
	}
	block, err := aes.NewCipher(fk)
	if err != nil {
		return nil, fmt.Errorf("seal: new cipher: %w", err)
	}
	return cipher.NewGCM(block)
}

// chunkNonce fills n with the nonce of chunk counter and returns it; n is
// the stream's own, so that no chunk allocates one.
func chunkNonce(n *[nonceLen]byte, counter uint32, last bool) []byte {
	*n = [nonceLen]byte{}
	binary.BigEndian.PutUint32(n[7:11], counter)
	if last {
		n[11] = 1
	}
	return n[:]
}

// NewWriter returns a writer that encrypts everything written to it with the
// current key and writes the result to w. Close must be called to write the
// final chunk; without it the stream is unreadable (that is the point: a
// truncated file must not pass as complete). Close does not close w.
func (k *Keyring) NewWriter(w io.Writer, additionalData []byte) (io.WriteCloser, error) {
	cur := k.keys[0]
	header := make([]byte, 0, headerLen)
	header = append(header, streamMagic...)
	header = append(header, streamVersion)
	header = append(header, cur.id...)
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("seal: salt: %w", err)
	}
	header = append(header, salt...)
	aead, err := streamAEAD(cur.raw, salt)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(header); err != nil {
		return nil, fmt.Errorf("seal: write header: %w", err)
	}
	return &streamWriter{
		w:    w,
		aead: aead,
		aad:  append(header, additionalData...),
		bufs: streamBufs.Get().(*streamBuffers),
	}, nil
}

// streamBuffers are a streamWriter's plaintext and sealed chunk, 128 KiB
// together: pooled, since a document cached is one stream (issue 30).
type streamBuffers struct{ buf, out []byte }

var streamBufs = sync.Pool{New: func() any {
	return &streamBuffers{buf: make([]byte, 0, chunkSize), out: make([]byte, 0, encChunkSize)}
}}

type streamWriter struct {
	w    io.Writer
	aead cipher.AEAD
	aad  []byte
	// bufs go back to the pool at Close; nil after.
	bufs    *streamBuffers
	nonce   [nonceLen]byte
	counter uint32
	err     error // sticky: after a failed write the stream is broken
}

var errClosed = errors.New("seal: write to closed stream")

func (s *streamWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n := 0
	for len(p) > 0 {
		// Flush a full chunk only once more data arrives, so the final
		// chunk written by Close may be a full one.
		b := s.bufs
		if len(b.buf) == chunkSize {
			if err := s.flush(false); err != nil {
				return n, err
			}
		}
		c := copy(b.buf[len(b.buf):chunkSize], p)
		b.buf = b.buf[:len(b.buf)+c]
		p = p[c:]
		n += c
	}
	return n, nil
}

func (s *streamWriter) flush(last bool) error {
	if !last && s.counter == ^uint32(0) {
		s.err = errors.New("seal: stream too long")
		return s.err
	}
	b := s.bufs
	b.out = s.aead.Seal(b.out[:0], chunkNonce(&s.nonce, s.counter, last), b.buf, s.aad)
	if _, err := s.w.Write(b.out); err != nil {
		s.err = fmt.Errorf("seal: write chunk: %w", err)
		return s.err
	}
	s.counter++
	b.buf = b.buf[:0]
	return nil
}

// Close writes the final chunk.
func (s *streamWriter) Close() error {
	if s.err == errClosed {
		return nil
	}
	if s.err != nil {
		return s.err
	}
	if err := s.flush(true); err != nil {
		return err
	}
	s.err = errClosed
	// Nothing reaches the buffers after this: every Write ends at s.err.
	s.bufs.buf, s.bufs.out = s.bufs.buf[:0], s.bufs.out[:0]
	streamBufs.Put(s.bufs)
	s.bufs = nil
	return nil
}

// NewReader reads a stream written by NewWriter from r and returns its
// plaintext. The header is read at once, so an unknown key fails here with
// ErrUnknownKey. Each chunk is authenticated before any of its bytes are
// returned, and any alteration, reordering or truncation surfaces as a read
// error wrapping ErrDecrypt. Chunks before the damage have been returned by
// then: a caller that must not act on partial content reads to io.EOF first.
func (k *Keyring) NewReader(r io.Reader, additionalData []byte) (io.Reader, error) {
	header := make([]byte, headerLen)
	if _, err := io.ReadFull(r, header); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: stream header truncated", ErrDecrypt)
		}
		return nil, fmt.Errorf("seal: read header: %w", err)
	}
	if !bytes.HasPrefix(header, []byte(streamMagic)) || header[len(streamMagic)] != streamVersion {
		return nil, fmt.Errorf("%w: not a sealed stream", ErrDecrypt)
	}
	idStart := len(streamMagic) + 1
	kk, err := k.find(string(header[idStart : idStart+idLen]))
	if err != nil {
		return nil, err
	}
	aead, err := streamAEAD(kk.raw, header[idStart+idLen:])
	if err != nil {
		return nil, err
	}
	return &streamReader{
		r:    r,
		aead: aead,
		aad:  append(header, additionalData...),
		in:   make([]byte, encChunkSize+1),
	}, nil
}

type streamReader struct {
	r       io.Reader
	aead    cipher.AEAD
	aad     []byte
	in      []byte // one sealed chunk plus one byte to learn whether it is the last
	carry   bool   // in[0] holds the byte read ahead last time
	plain   []byte // authenticated plaintext not yet returned
	counter uint32
	nonce   [nonceLen]byte
	done    bool
	err     error
}

func (s *streamReader) Read(p []byte) (int, error) {
	for len(s.plain) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		if s.done {
			return 0, io.EOF
		}
		s.err = s.next()
	}
	n := copy(p, s.plain)
	s.plain = s.plain[n:]
	return n, nil
}

// next reads and opens one chunk. It is the last one exactly when the
// underlying reader ends within it.
func (s *streamReader) next() error {
	start := 0
	if s.carry {
		// The previous chunk's plaintext has been drained, so its memory
		// may now hold the byte read ahead.
		s.in[0] = s.in[encChunkSize]
		start = 1
	}
	n, err := io.ReadFull(s.r, s.in[start:])
	n += start
	last := false
	switch {
	case err == nil:
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		last = true
	default:
		return fmt.Errorf("seal: read chunk: %w", err)
	}
	chunk := s.in[:n]
	if !last {
		chunk = s.in[:encChunkSize]
	}
	if len(chunk) < tagLen {
		return fmt.Errorf("%w: stream truncated", ErrDecrypt)
	}
	if !last && s.counter == ^uint32(0) {
		return fmt.Errorf("%w: stream too long", ErrDecrypt)
	}
	// Opening in place reuses in's memory for the plaintext; the byte read
	// ahead sits after the chunk and is moved only once plain is drained.
	plain, err := s.aead.Open(chunk[:0], chunkNonce(&s.nonce, s.counter, last), chunk, s.aad)
	if err != nil {
		if last {
			return fmt.Errorf("%w: chunk %d (stream truncated or altered)", ErrDecrypt, s.counter)
		}
		return fmt.Errorf("%w: chunk %d", ErrDecrypt, s.counter)
	}
	s.counter++
	s.done = last
	if !last {
		s.carry = true
	}
	s.plain = plain
	return nil
}
