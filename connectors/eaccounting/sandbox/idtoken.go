package sandbox

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"time"
)

// idTokenLifetime is how long an id_token is valid. Visma does not document
// it; five minutes is IdentityServer's default (IdentityTokenLifetime).
const idTokenLifetime = 5 * time.Minute

// signingKey is the identity server's RS256 key for id_tokens, the one
// discovery's jwks_uri publishes ("id_token_signing_alg_values_supported":
// ["RS256"] in Visma's document).
type signingKey struct {
	priv *rsa.PrivateKey
	kid  string
	jwk  map[string]string
}

// newSigningKey makes a fresh 2048-bit key. Its kid is the RFC 7638
// thumbprint of the public key, so a key id always names one key.
func newSigningKey() (*signingKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("sandbox: generating the id_token signing key: %w", err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	n, e := b64(priv.N.Bytes()), b64(big.NewInt(int64(priv.E)).Bytes())
	// RFC 7638 §3.2: the required members in lexicographic order, no spaces.
	thumb := sha256.Sum256([]byte(`{"e":"` + e + `","kty":"RSA","n":"` + n + `"}`))
	kid := b64(thumb[:])
	return &signingKey{priv: priv, kid: kid, jwk: map[string]string{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e}}, nil
}

// sign makes a JWS in compact serialisation (RFC 7515) of claims with RS256.
func (k *signingKey) sign(claims map[string]any) (string, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	header, err := json.Marshal(map[string]string{"alg": "RS256", "kid": k.kid, "typ": "JWT"})
	if err != nil {
		return "", fmt.Errorf("sandbox: id_token header: %w", err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("sandbox: id_token claims: %w", err)
	}
	input := b64(header) + "." + b64(payload)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.priv, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("sandbox: signing id_token: %w", err)
	}
	return input + "." + b64(sig), nil
}

// idToken makes the id_token of a grant (OpenID Connect Core §2): who logged
// in (sub, the same as userinfo's), at which issuer, for which client, when
// they logged in, and the nonce of the authorization request when the client
// sent one. A token issued on refresh carries no nonce (Core §12.2). The
// claims about the customer (customer_id, orgno, …) stay in userinfo:
// nothing Visma publishes says they are in the id_token. Caller holds s.mu.
func (s *Sandbox) idToken(issuer string, g *grant, nonce string) (string, error) {
	key, err := s.idKey()
	if err != nil {
		return "", err
	}
	now := s.now()
	claims := map[string]any{
		"iss":       issuer,
		"sub":       g.user.id.String(),
		"aud":       g.clientID,
		"iat":       now.Unix(),
		"nbf":       now.Unix(),
		"exp":       now.Add(idTokenLifetime).Unix(),
		"auth_time": g.authTime.Unix(),
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	return key.sign(claims)
}

// jwks serves the public signing key (RFC 7517), found through discovery's
// jwks_uri.
func (s *Sandbox) jwks(w http.ResponseWriter, r *http.Request) {
	key, err := s.idKey()
	if err != nil {
		s.cfg.logger.Error("sandbox: signing key", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{key.jwk}})
}
