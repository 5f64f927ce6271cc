// Package seal encrypts secrets at rest (OAuth tokens, cached documents) with
// AES-256-GCM under keys derived from configuration.
//
// A Keyring holds the current key and any previous ones, so the secret in
// configuration can be rotated without losing what was sealed before: Seal
// always uses the current key and reports its id, Open finds the key by id.
// The id is derived from the key itself, so storing it next to a ciphertext
// reveals nothing about the secret.
//
// Small values use Seal and Open; large files use the chunked stream in
// stream.go, which never holds a whole file in memory.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
)

// Errors returned by Open and NewReader; test with errors.Is.
var (
	// ErrUnknownKey: the ciphertext was sealed with a key that is neither the
	// current nor a previous one (a secret was dropped from configuration).
	ErrUnknownKey = errors.New("seal: unknown key id")
	// ErrDecrypt: the ciphertext or its additional data was altered,
	// truncated, or belongs to something else.
	ErrDecrypt = errors.New("seal: message authentication failed")
)

// MinSecretLen is the shortest secret NewKeyring accepts: 256 bits, so the
// secret is never weaker than the AES-256 key derived from it.
const MinSecretLen = 32

const (
	keyPurpose = "bilag token encryption v1"
	keyLen     = 32
	nonceLen   = 12
	idLen      = 16 // hex characters of SHA-256 in a key id
)

// DeriveKey derives a 32-byte key for purpose from secret with HKDF-SHA256.
// Different purposes give independent keys, so one configured secret can
// serve several uses without one use's ciphertexts being valid in another.
func DeriveKey(secret []byte, purpose string) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, purpose, keyLen)
	if err != nil {
		// Only possible for absurd lengths or, in FIPS mode, a secret
		// shorter than 112 bits; both are programming errors.
		panic(fmt.Sprintf("seal: derive key: %v", err))
	}
	return k
}

type key struct {
	id   string
	raw  []byte // derived key; the stream derives per-file keys from it
	aead cipher.AEAD
}

// Keyring seals with its current key and opens with the current or any
// previous key. It is safe for concurrent use.
type Keyring struct {
	keys []key // keys[0] is current
}

// NewKeyring builds a Keyring from the current secret and older secrets that
// may still be needed to open existing ciphertexts. Each secret must be at
// least MinSecretLen bytes.
func NewKeyring(current []byte, previous ...[]byte) (*Keyring, error) {
	k := &Keyring{}
	seen := map[string]bool{}
	for i, secret := range append([][]byte{current}, previous...) {
		if len(secret) < MinSecretLen {
			return nil, fmt.Errorf("seal: secret %d is %d bytes, need at least %d", i, len(secret), MinSecretLen)
		}
		raw := DeriveKey(secret, keyPurpose)
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("seal: new cipher: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("seal: new GCM: %w", err)
		}
		sum := sha256.Sum256(raw)
		id := hex.EncodeToString(sum[:])[:idLen]
		// A secret listed twice (current also kept as previous during a
		// rotation) is harmless; keep the first so lookups stay simple.
		if seen[id] {
			continue
		}
		seen[id] = true
		k.keys = append(k.keys, key{id: id, raw: raw, aead: aead})
	}
	return k, nil
}

// CurrentID returns the id of the key Seal uses. A stored ciphertext whose
// id differs was sealed with a previous key and should be re-sealed.
func (k *Keyring) CurrentID() string { return k.keys[0].id }

// Has reports whether the keyring holds the key with id, current or
// previous: a restore checks a backup's key fingerprint with it before it
// opens anything sealed.
func (k *Keyring) Has(id string) bool {
	_, err := k.find(id)
	return err == nil
}

func (k *Keyring) find(id string) (key, error) {
	for _, kk := range k.keys {
		if kk.id == id {
			return kk, nil
		}
	}
	return key{}, fmt.Errorf("%w %q", ErrUnknownKey, id)
}

// Seal encrypts plaintext with the current key. additionalData is
// authenticated but not encrypted: pass what the ciphertext belongs to (a
// row's id, a column name) so it cannot be copied to another row. The
// ciphertext is a random nonce followed by the GCM output.
func (k *Keyring) Seal(plaintext, additionalData []byte) (keyID string, ciphertext []byte, err error) {
	cur := k.keys[0]
	nonce := make([]byte, nonceLen, nonceLen+len(plaintext)+cur.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", nil, fmt.Errorf("seal: nonce: %w", err)
	}
	return cur.id, cur.aead.Seal(nonce, nonce, plaintext, additionalData), nil
}

// Open decrypts a ciphertext from Seal. It fails with ErrUnknownKey when
// keyID is not in the keyring and with ErrDecrypt when anything was altered
// or additionalData differs; it never returns unauthenticated plaintext.
func (k *Keyring) Open(keyID string, ciphertext, additionalData []byte) ([]byte, error) {
	kk, err := k.find(keyID)
	if err != nil {
		return nil, err
	}
	if len(ciphertext) < nonceLen+kk.aead.Overhead() {
		return nil, fmt.Errorf("%w: ciphertext too short", ErrDecrypt)
	}
	pt, err := kk.aead.Open(nil, ciphertext[:nonceLen], ciphertext[nonceLen:], additionalData)
	if err != nil {
		return nil, fmt.Errorf("%w: with key %s: %w", ErrDecrypt, keyID, err)
	}
	return pt, nil
}

// String keeps key material out of fmt output.
func (k *Keyring) String() string { return "[redacted]" }

// GoString keeps key material out of %#v output.
func (k *Keyring) GoString() string { return "[redacted]" }

// LogValue keeps key material out of logs.
func (k *Keyring) LogValue() slog.Value { return slog.StringValue("[redacted]") }
