package password

import (
	"errors"
	"strings"
	"testing"
)

// cheap keeps tests fast; Verify reads the parameters from the hash, so the
// code path is the same as with Default.
var cheap = Hasher{Time: 1, Memory: 64, Threads: 1}

func TestHashVerify(t *testing.T) {
	tests := []struct {
		name     string
		password string
		attempt  string
		want     bool
	}{
		{"match", "correct horse battery staple", "correct horse battery staple", true},
		{"unicode", "blåbärssylt æøå", "blåbärssylt æøå", true},
		{"wrong", "secret", "Secret", false},
		{"prefix", "secret", "secre", false},
		{"empty attempt", "secret", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := cheap.Hash(tt.password)
			if err != nil {
				t.Fatalf("Hash: %v", err)
			}
			got, err := Verify(enc, tt.attempt)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got != tt.want {
				t.Errorf("Verify(%q, %q) = %v, want %v", enc, tt.attempt, got, tt.want)
			}
		})
	}
}

func TestHashDefault(t *testing.T) {
	enc, err := Hash("pw")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=65536,t=3,p=4$") {
		t.Errorf("Hash = %q, want default PHC prefix", enc)
	}
	if ok, err := Verify(enc, "pw"); !ok || err != nil {
		t.Errorf("Verify = %v, %v; want true", ok, err)
	}
	if Default().NeedsRehash(enc) {
		t.Error("NeedsRehash of a Default hash = true")
	}
	if !Default().NeedsRehash(mustHash(t, "pw")) {
		t.Error("NeedsRehash of a cheap hash = false")
	}
}

func mustHash(t *testing.T, pw string) string {
	t.Helper()
	enc, err := cheap.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

func TestHashSalted(t *testing.T) {
	if mustHash(t, "pw") == mustHash(t, "pw") {
		t.Error("two hashes of the same password are identical")
	}
}

func TestHashRejects(t *testing.T) {
	tests := []struct {
		name string
		h    Hasher
		pw   string
	}{
		{"empty password", cheap, ""},
		{"zero time", Hasher{Time: 0, Memory: 64, Threads: 1}, "pw"},
		{"zero threads", Hasher{Time: 1, Memory: 64, Threads: 0}, "pw"},
		{"memory below 8p", Hasher{Time: 1, Memory: 7, Threads: 1}, "pw"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if enc, err := tt.h.Hash(tt.pw); err == nil {
				t.Errorf("Hash = %q, want error", enc)
			}
		})
	}
}

func TestVerifyMalformed(t *testing.T) {
	good := mustHash(t, "pw")
	parts := strings.Split(good, "$")
	with := func(i int, s string) string {
		p := append([]string(nil), parts...)
		p[i] = s
		return strings.Join(p, "$")
	}
	tests := []struct {
		name string
		enc  string
	}{
		{"empty", ""},
		{"plain text", "pw"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", with(1, "argon2i")},
		{"old version", with(2, "v=16")},
		{"params order", with(3, "t=1,m=64,p=1")},
		{"huge memory", with(3, "m=4294967295,t=1,p=1")},
		{"huge time", with(3, "m=64,t=1000,p=1")},
		{"zero threads", with(3, "m=64,t=1,p=0")},
		{"negative", with(3, "m=-64,t=1,p=1")},
		{"salt not base64", with(4, "!!!!")},
		{"salt padded", with(4, parts[4]+"==")},
		{"short salt", with(4, "AAAA")},
		{"short hash", with(5, "AAAA")},
		{"extra field", good + "$x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := Verify(tt.enc, "pw")
			if ok || !errors.Is(err, ErrInvalidHash) {
				t.Errorf("Verify(%q) = %v, %v; want false, ErrInvalidHash", tt.enc, ok, err)
			}
		})
	}
}

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		p := Generate()
		if len(p) < 16 {
			t.Fatalf("Generate() = %q, shorter than 16", p)
		}
		for i, r := range p {
			if (i+1)%5 == 0 {
				if r != '-' {
					t.Fatalf("Generate() = %q, want hyphen at %d", p, i)
				}
				continue
			}
			if !strings.ContainsRune(alphabet, r) {
				t.Fatalf("Generate() = %q, has %q outside the alphabet", p, r)
			}
		}
		if seen[p] {
			t.Fatalf("Generate() repeated %q", p)
		}
		seen[p] = true
	}
}
