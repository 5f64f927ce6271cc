// Package password hashes and verifies the passwords of Bilag's own users
// with Argon2id, and generates readable random passwords for new accounts.
//
// Hashes are stored in the PHC string format
// ($argon2id$v=19$m=65536,t=3,p=4$salt$hash), which carries its own
// parameters: Verify reads them from the string, so the cost can be raised
// later without invalidating existing hashes (see Hasher.NeedsRehash).
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ErrInvalidHash: an encoded hash is not one this package wrote, or its
// parameters are outside the limits Verify is willing to spend.
var ErrInvalidHash = errors.New("password: invalid encoded hash")

// ErrEmpty: Hash refuses the empty password, so that an account can never
// be created with one by accident.
var ErrEmpty = errors.New("password: empty password")

const (
	saltLen = 16
	keyLen  = 32

	// Verify's ceilings stop a corrupted or planted hash from making one
	// login attempt cost gigabytes of memory or minutes of CPU.
	maxMemory  = 1 << 20 // KiB, i.e. 1 GiB
	maxTime    = 16
	maxThreads = 64
)

// Hasher holds Argon2id cost parameters.
type Hasher struct {
	// Time is the number of passes over memory.
	Time uint32
	// Memory is in KiB.
	Memory uint32
	// Threads is the degree of parallelism.
	Threads uint8
}

// Default returns the production parameters: RFC 9106 §4's second
// recommended option (t=3, 64 MiB, p=4), the one meant for servers that
// cannot spend the first option's 2 GiB per login. It is a function, not a
// variable, so no caller can weaken everyone's hashes by assignment.
func Default() Hasher {
	return Hasher{Time: 3, Memory: 64 * 1024, Threads: 4}
}

// Hash hashes password with Default parameters.
func Hash(password string) (string, error) {
	return Default().Hash(password)
}

// Hash hashes password with a fresh random salt and returns the PHC string.
func (h Hasher) Hash(password string) (string, error) {
	if password == "" {
		return "", ErrEmpty
	}
	if h.Time < 1 || h.Memory < 8*uint32(h.Threads) || h.Threads < 1 {
		return "", fmt.Errorf("password: invalid parameters t=%d m=%d p=%d", h.Time, h.Memory, h.Threads)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, h.Time, h.Memory, h.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, h.Memory, h.Time, h.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// NeedsRehash reports whether encoded was made with other parameters than
// h (or cannot be read), so the caller should store a fresh Hash after the
// next successful login.
func (h Hasher) NeedsRehash(encoded string) bool {
	p, _, _, err := decode(encoded)
	return err != nil || p != h
}

// Params returns the parameters encoded was made with: what verifying a
// password against it costs.
func Params(encoded string) (Hasher, error) {
	p, _, _, err := decode(encoded)
	return p, err
}

// Verify reports whether password matches encoded, using the parameters
// stored in encoded. A mismatch is (false, nil); a malformed hash is an
// error wrapping ErrInvalidHash. The comparison is constant-time.
func Verify(encoded, password string) (bool, error) {
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

func decode(encoded string) (h Hasher, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return h, nil, nil, fmt.Errorf("%w: want 5 $-separated fields", ErrInvalidHash)
	}
	if parts[1] != "argon2id" {
		return h, nil, nil, fmt.Errorf("%w: algorithm %q", ErrInvalidHash, parts[1])
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return h, nil, nil, fmt.Errorf("%w: version %q", ErrInvalidHash, parts[2])
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return h, nil, nil, fmt.Errorf("%w: parameters %q", ErrInvalidHash, parts[3])
	}
	var m, t, p uint64
	for i, dst := range []struct {
		name string
		v    *uint64
		max  uint64
	}{{"m", &m, maxMemory}, {"t", &t, maxTime}, {"p", &p, maxThreads}} {
		val, ok := strings.CutPrefix(params[i], dst.name+"=")
		if !ok {
			return h, nil, nil, fmt.Errorf("%w: parameters %q", ErrInvalidHash, parts[3])
		}
		n, err := strconv.ParseUint(val, 10, 32)
		if err != nil || n < 1 || n > dst.max {
			return h, nil, nil, fmt.Errorf("%w: parameter %s=%q out of range", ErrInvalidHash, dst.name, val)
		}
		*dst.v = n
	}
	if m < 8*p {
		return h, nil, nil, fmt.Errorf("%w: memory below 8*p", ErrInvalidHash)
	}
	b64 := base64.RawStdEncoding.Strict()
	salt, err = b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return h, nil, nil, fmt.Errorf("%w: salt", ErrInvalidHash)
	}
	key, err = b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return h, nil, nil, fmt.Errorf("%w: hash", ErrInvalidHash)
	}
	return Hasher{Time: uint32(t), Memory: uint32(m), Threads: uint8(p)}, salt, key, nil
}

// alphabet leaves out characters people confuse when reading a password
// aloud or off a screen (0/o, 1/l/i) and upper case, which adds little
// entropy per character but much friction on phones.
const alphabet = "23456789abcdefghjkmnpqrstuvwxyz"

// Generate returns a random password of five groups of four characters
// joined by hyphens, like "k7qm-x3pd-…": 24 characters carrying about 99
// bits of entropy, easy to read out and to type.
func Generate() string {
	const groups, per = 5, 4
	var b strings.Builder
	buf := make([]byte, 1)
	for i := range groups * per {
		if i > 0 && i%per == 0 {
			b.WriteByte('-')
		}
		// Rejection sampling keeps every character equally likely:
		// 256 is not a multiple of len(alphabet).
		for {
			rand.Read(buf) // never fails since Go 1.24
			if int(buf[0]) < 256-256%len(alphabet) {
				b.WriteByte(alphabet[int(buf[0])%len(alphabet)])
				break
			}
		}
	}
	return b.String()
}
