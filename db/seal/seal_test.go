package seal

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
)

func secret(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func newKeyring(t *testing.T, current []byte, previous ...[]byte) *Keyring {
	t.Helper()
	k, err := NewKeyring(current, previous...)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return k
}

func TestDeriveKey(t *testing.T) {
	a := DeriveKey(secret(1), "a")
	if len(a) != 32 {
		t.Fatalf("len(DeriveKey) = %d, want 32", len(a))
	}
	if bytes.Equal(a, DeriveKey(secret(1), "b")) {
		t.Error("different purposes gave the same key")
	}
	if bytes.Equal(a, DeriveKey(secret(2), "a")) {
		t.Error("different secrets gave the same key")
	}
	if !bytes.Equal(a, DeriveKey(secret(1), "a")) {
		t.Error("DeriveKey is not deterministic")
	}
}

func TestNewKeyring(t *testing.T) {
	tests := []struct {
		name     string
		current  []byte
		previous [][]byte
		wantErr  bool
	}{
		{"current only", secret(1), nil, false},
		{"with previous", secret(1), [][]byte{secret(2), secret(3)}, false},
		{"short current", make([]byte, 31), nil, true},
		{"short previous", secret(1), [][]byte{make([]byte, 16)}, true},
		{"nil current", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewKeyring(tt.current, tt.previous...)
			if (err != nil) != tt.wantErr {
				t.Errorf("NewKeyring error = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestCurrentID(t *testing.T) {
	k := newKeyring(t, secret(1))
	sum := sha256.Sum256(DeriveKey(secret(1), keyPurpose))
	want := hex.EncodeToString(sum[:])[:16]
	if got := k.CurrentID(); got != want {
		t.Errorf("CurrentID() = %q, want %q", got, want)
	}
	if strings.Contains(hex.EncodeToString(secret(1)), k.CurrentID()) {
		t.Error("key id is derived from the secret itself")
	}
}

func TestRedacted(t *testing.T) {
	k := newKeyring(t, secret(1))
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v", k, k, k), slog.AnyValue(k).Resolve().String()} {
		if strings.Contains(s, "0101") || strings.Contains(s, "aead") {
			t.Errorf("formatted keyring leaks internals: %q", s)
		}
	}
}

func TestSealOpen(t *testing.T) {
	k := newKeyring(t, secret(1))
	tests := []struct {
		name      string
		plaintext []byte
		aad       []byte
	}{
		{"empty", nil, nil},
		{"token", []byte(`{"refresh_token":"abc"}`), []byte("connection:42")},
		{"binary", bytes.Repeat([]byte{0, 255}, 1000), []byte{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, ct, err := k.Seal(tt.plaintext, tt.aad)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			if id != k.CurrentID() {
				t.Errorf("Seal key id = %q, want %q", id, k.CurrentID())
			}
			if len(tt.plaintext) > 4 && bytes.Contains(ct, tt.plaintext) {
				t.Error("ciphertext contains the plaintext")
			}
			got, err := k.Open(id, ct, tt.aad)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tt.plaintext) {
				t.Errorf("Open = %q, want %q", got, tt.plaintext)
			}
		})
	}
}

func TestSealNonceUnique(t *testing.T) {
	k := newKeyring(t, secret(1))
	_, a, _ := k.Seal([]byte("same"), nil)
	_, b, _ := k.Seal([]byte("same"), nil)
	if bytes.Equal(a, b) {
		t.Error("two seals of the same plaintext are identical")
	}
}

func TestOpenTamper(t *testing.T) {
	k := newKeyring(t, secret(1))
	pt := []byte("a refresh token worth protecting")
	aad := []byte("connection:7")
	id, ct, err := k.Seal(pt, aad)
	if err != nil {
		t.Fatal(err)
	}
	// Flip every byte in turn: nonce, body and tag must all be covered.
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x01
		got, err := k.Open(id, bad, aad)
		if !errors.Is(err, ErrDecrypt) || got != nil {
			t.Fatalf("Open with byte %d flipped = %q, %v; want nil, ErrDecrypt", i, got, err)
		}
	}
	tests := []struct {
		name    string
		id      string
		ct      []byte
		aad     []byte
		wantErr error
	}{
		{"wrong aad", id, ct, []byte("connection:8"), ErrDecrypt},
		{"missing aad", id, ct, nil, ErrDecrypt},
		{"truncated", id, ct[:len(ct)-1], aad, ErrDecrypt},
		{"too short", id, ct[:10], aad, ErrDecrypt},
		{"empty", id, nil, aad, ErrDecrypt},
		{"extended", id, append(bytes.Clone(ct), 0), aad, ErrDecrypt},
		{"unknown key", "0000000000000000", ct, aad, ErrUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := k.Open(tt.id, tt.ct, tt.aad)
			if !errors.Is(err, tt.wantErr) || got != nil {
				t.Errorf("Open = %q, %v; want nil, %v", got, err, tt.wantErr)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	old := newKeyring(t, secret(1))
	oldID, ct, err := old.Seal([]byte("token"), []byte("aad"))
	if err != nil {
		t.Fatal(err)
	}
	var stream bytes.Buffer
	w, _ := old.NewWriter(&stream, []byte("aad"))
	io.WriteString(w, "file")
	w.Close()

	rotated := newKeyring(t, secret(2), secret(1))
	if rotated.CurrentID() == oldID {
		t.Fatal("rotated keyring kept the old current id")
	}
	got, err := rotated.Open(oldID, ct, []byte("aad"))
	if err != nil || string(got) != "token" {
		t.Errorf("rotated Open = %q, %v; want token", got, err)
	}
	r, err := rotated.NewReader(bytes.NewReader(stream.Bytes()), []byte("aad"))
	if err != nil {
		t.Fatalf("rotated NewReader: %v", err)
	}
	if b, err := io.ReadAll(r); err != nil || string(b) != "file" {
		t.Errorf("rotated stream = %q, %v; want file", b, err)
	}

	id, _, _ := rotated.Seal([]byte("x"), nil)
	if id != rotated.CurrentID() {
		t.Errorf("Seal after rotation used %q, want current %q", id, rotated.CurrentID())
	}

	dropped := newKeyring(t, secret(2))
	if _, err := dropped.Open(oldID, ct, []byte("aad")); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Open with dropped key = %v, want ErrUnknownKey", err)
	}
	if _, err := dropped.NewReader(bytes.NewReader(stream.Bytes()), []byte("aad")); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("NewReader with dropped key = %v, want ErrUnknownKey", err)
	}
}
