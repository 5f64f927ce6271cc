// Package config reads Bilag's configuration from the environment. Every
// secret may also come from a file named by NAME_FILE (Docker and Kubernetes
// secrets), and every value is validated at start with a message that names
// the variable, so a bad deployment fails loudly instead of half-working.
package config

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"bilag/db/doccache"
	"bilag/server/mail"
)

// Config is everything Bilag reads from its environment.
type Config struct {
	Addr        string
	BaseURL     *url.URL
	DataDir     string
	DatabaseURL string
	// SecretKey is the root secret; cookie and encryption keys derive from it.
	SecretKey []byte
	// PreviousSecretKey still decrypts rows sealed before a key rotation.
	PreviousSecretKey []byte
	Demo              bool
	// ClientSecondFactorRequired (BILAG_CLIENT_2FA=required): a client
	// user without a second factor may only enrol; "optional" (the
	// default) leaves it to them.
	ClientSecondFactorRequired bool
	// SandboxAddr is where demo mode serves the Visma sandbox.
	SandboxAddr string
	// MetricsAddr is where /metrics is served (Prometheus); empty is off.
	MetricsAddr string
	// CacheMaxBytes bounds the encrypted document cache.
	CacheMaxBytes int64
	// CacheURL is an S3-compatible store for a document cache that several
	// instances share (BILAG_CACHE_URL, s3://bucket/prefix?endpoint=…);
	// empty keeps the cache on disk. Its credentials are read apart.
	CacheURL         string
	CacheS3          doccache.S3Location
	CacheS3AccessKey string
	CacheS3SecretKey string
	// LinkTTL is how long a new consent link stays valid.
	LinkTTL time.Duration
	// SyncInterval is how often connected companies are synced in the background.
	SyncInterval time.Duration
	// EvidenceTTL is how long a ready evidence pack stays downloadable
	// before the sweeper deletes its file.
	EvidenceTTL time.Duration
	LogFormat   string
	// FirmName is the firm's name on the accountant's pages.
	FirmName string
	// SMTPURL is the SMTP server mail goes through (a secret: it holds the
	// password); "" sends no mail, or catches it in demo mode.
	SMTPURL string
	// SMTPFrom is the sender of Bilag's mail.
	SMTPFrom string
	// FirmLogo is the firm's logo (PNG or JPEG bytes, checked at start)
	// and FirmLogoType its media type; nil when BILAG_FIRM_LOGO is unset.
	FirmLogo     []byte
	FirmLogoType string
	// FirmContact is how an accountant reaches the firm (e-mail and/or
	// phone), shown on the consent pages.
	FirmContact string
	// FirmPrivacyURL is the firm's privacy notice (https only).
	FirmPrivacyURL string
	// Timezone is the zone the portal's pages print times in.
	Timezone *time.Location
}

// Secure reports whether cookies must carry the Secure flag.
func (c *Config) Secure() bool { return c.BaseURL.Scheme == "https" }

// Getenv looks a variable up; tests pass a map's lookup instead of os.LookupEnv.
type Getenv func(name string) (string, bool)

// FromEnv reads and validates the configuration. In demo mode without a
// secret key, one is generated once and kept in the data directory so that a
// restart keeps sessions and stored tokens readable.
func FromEnv(getenv Getenv) (*Config, error) {
	r := NewReader(getenv)
	c := &Config{
		Addr:        r.String("BILAG_ADDR", "127.0.0.1:8080"),
		DataDir:     r.String("BILAG_DATA_DIR", "./data"),
		Demo:        r.boolean("BILAG_DEMO"),
		SandboxAddr: r.String("BILAG_SANDBOX_ADDR", "127.0.0.1:8090"),
		MetricsAddr: r.String("BILAG_METRICS_ADDR", ""),
		LogFormat:   r.String("BILAG_LOG_FORMAT", "text"),
	}
	c.FirmName = r.String("BILAG_FIRM_NAME", "Bilag")
	if c.Demo {
		c.FirmName = r.String("BILAG_FIRM_NAME", "Demo Analys AB")
	}
	c.CacheMaxBytes = r.integer("BILAG_CACHE_MAX_BYTES", 512<<20)
	c.CacheURL, c.CacheS3, c.CacheS3AccessKey, c.CacheS3SecretKey = r.cacheStore()
	switch v := r.String("BILAG_CLIENT_2FA", "optional"); v {
	case "required", "optional":
		c.ClientSecondFactorRequired = v == "required"
	default:
		r.Fail("BILAG_CLIENT_2FA", "must be required or optional, got %q", v)
	}
	c.LinkTTL = r.duration("BILAG_LINK_TTL", 7*24*time.Hour)
	c.SyncInterval = r.duration("BILAG_SYNC_INTERVAL", time.Hour)
	c.EvidenceTTL = r.duration("BILAG_EVIDENCE_TTL", 7*24*time.Hour)
	base := r.String("BILAG_BASE_URL", "http://localhost:8080")
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.Fail("BILAG_BASE_URL", "must be an absolute http or https URL, got %q", base)
	} else {
		u.Path = strings.TrimSuffix(u.Path, "/")
		c.BaseURL = u
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		r.Fail("BILAG_ADDR", "must be host:port, got %q", c.Addr)
	}
	c.DatabaseURL = r.String("BILAG_DATABASE_URL", "sqlite://"+filepath.Join(c.DataDir, "bilag.db"))
	if !strings.HasPrefix(c.DatabaseURL, "sqlite://") && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		r.Fail("BILAG_DATABASE_URL", "must start with sqlite:// or postgres://")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		r.Fail("BILAG_LOG_FORMAT", "must be text or json, got %q", c.LogFormat)
	}
	c.SMTPURL, c.SMTPFrom = r.smtp(c.Demo)
	c.FirmLogo, c.FirmLogoType = r.logo("BILAG_FIRM_LOGO")
	c.FirmContact = r.String("BILAG_FIRM_CONTACT", "")
	if c.Demo {
		c.FirmContact = r.String("BILAG_FIRM_CONTACT", DemoFirmContact)
	}
	c.FirmPrivacyURL = r.httpsURL("BILAG_FIRM_PRIVACY_URL")
	c.Timezone = r.zone("BILAG_TIMEZONE", "Europe/Stockholm")
	c.SecretKey = r.key("BILAG_SECRET_KEY")
	c.PreviousSecretKey = r.key("BILAG_SECRET_KEY_PREVIOUS")
	if c.SecretKey == nil && len(r.errs) == 0 {
		if !c.Demo {
			r.Fail("BILAG_SECRET_KEY", "is required (base64 of at least 32 random bytes; e.g. `openssl rand -base64 32`) unless BILAG_DEMO=1")
		} else {
			key, err := demoKey(c.DataDir)
			if err != nil {
				r.Fail("BILAG_SECRET_KEY", "not set and no demo key could be kept in BILAG_DATA_DIR: %v", err)
			}
			c.SecretKey = key
		}
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

// Reader reads settings from the environment by the rules every Bilag
// setting follows: NAME_FILE for secrets, and errors that name their
// variable, collected so that one start reports every mistake. Connector
// settings are read through one by their registry rows in main.
type Reader struct {
	getenv Getenv
	errs   []error
}

// NewReader reads through getenv.
func NewReader(getenv Getenv) *Reader { return &Reader{getenv: getenv} }

// Err is every mistake found so far, or nil.
func (r *Reader) Err() error { return errors.Join(r.errs...) }

// URL reads an optional absolute http(s) URL; "" when unset.
func (r *Reader) URL(name string) string {
	v := r.String(name, "")
	if v != "" {
		if u, err := url.Parse(v); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			r.Fail(name, "must be an absolute http or https URL, got %q", v)
		}
	}
	return v
}

// Fail records a mistake in the variable name.
func (r *Reader) Fail(name, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s %s", name, fmt.Sprintf(format, args...)))
}

// String reads NAME; def when it is unset or empty.
func (r *Reader) String(name, def string) string {
	if v, ok := r.getenv(name); ok && v != "" {
		return v
	}
	return def
}

// Secret reads NAME, or the file named by NAME_FILE; not both.
func (r *Reader) Secret(name string) string {
	v, _ := r.getenv(name)
	file, _ := r.getenv(name + "_FILE")
	switch {
	case v != "" && file != "":
		r.Fail(name, "and %s_FILE are both set; set one", name)
		return ""
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			r.Fail(name+"_FILE", "cannot be read: %v", err)
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	return v
}

func (r *Reader) key(name string) []byte {
	v := r.Secret(name)
	if v == "" {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		b, err = base64.RawURLEncoding.DecodeString(v)
	}
	if err != nil {
		r.Fail(name, "must be base64")
		return nil
	}
	if len(b) < 32 {
		r.Fail(name, "must decode to at least 32 bytes, got %d", len(b))
		return nil
	}
	return b
}

// cacheStore reads BILAG_CACHE_URL and, with it, the store's credentials
// (secrets: _FILE allowed). Its messages never repeat the URL, which a
// mistake could have put a secret into.
func (r *Reader) cacheStore() (raw string, loc doccache.S3Location, accessKey, secretKey string) {
	raw = r.String("BILAG_CACHE_URL", "")
	accessKey, secretKey = r.Secret("BILAG_CACHE_S3_ACCESS_KEY"), r.Secret("BILAG_CACHE_S3_SECRET_KEY")
	if raw == "" {
		if accessKey != "" || secretKey != "" {
			r.Fail("BILAG_CACHE_URL", "is not set but BILAG_CACHE_S3_ACCESS_KEY or _SECRET_KEY is: the cache would stay on disk")
		}
		return "", loc, "", ""
	}
	loc, err := doccache.ParseS3URL(raw)
	if err != nil {
		r.Fail("BILAG_CACHE_URL", "%v (want s3://bucket/prefix?endpoint=https://host:port)", err)
	}
	if accessKey == "" || secretKey == "" {
		r.Fail("BILAG_CACHE_URL", "needs BILAG_CACHE_S3_ACCESS_KEY and BILAG_CACHE_S3_SECRET_KEY (or their _FILE)")
	}
	return raw, loc, accessKey, secretKey
}

// smtp reads BILAG_SMTP_URL (or _FILE) and BILAG_SMTP_FROM. Its messages
// never repeat the URL, which holds a password.
func (r *Reader) smtp(demo bool) (rawURL, from string) {
	rawURL, from = r.Secret("BILAG_SMTP_URL"), r.String("BILAG_SMTP_FROM", "")
	if rawURL != "" {
		if _, err := mail.ParseURL(rawURL); err != nil {
			r.Fail("BILAG_SMTP_URL", "%v", err)
		}
		if from == "" {
			r.Fail("BILAG_SMTP_FROM", "is required with BILAG_SMTP_URL (the sender, e.g. \"Bilag <bilag@firm.se>\")")
		}
	} else if from != "" && !demo {
		r.Fail("BILAG_SMTP_FROM", "is set but BILAG_SMTP_URL is not: no mail would be sent")
	}
	if from != "" {
		if _, err := netmail.ParseAddress(from); err != nil {
			r.Fail("BILAG_SMTP_FROM", "must be an e-mail address such as \"Bilag <bilag@firm.se>\", got %q", from)
		}
	}
	return rawURL, from
}

func (r *Reader) boolean(name string) bool {
	v, ok := r.getenv(name)
	if !ok || v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.Fail(name, "must be 1 or 0, got %q", v)
	}
	return b
}

func (r *Reader) integer(name string, def int64) int64 {
	v, ok := r.getenv(name)
	if !ok || v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		r.Fail(name, "must be a non-negative whole number, got %q", v)
	}
	return n
}

func (r *Reader) duration(name string, def time.Duration) time.Duration {
	v, ok := r.getenv(name)
	if !ok || v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.Fail(name, "must be a positive duration such as 15m or 168h, got %q", v)
	}
	return d
}

// DemoFirmContact is the demo firm's contact line (demo mode's default of
// BILAG_FIRM_CONTACT): made-up addresses, so the consent page shows one.
const DemoFirmContact = "analys@demoanalys.example · 08-123 45 67"

// logoMaxBytes bounds the firm's logo: it is held in memory and served on
// every consent page.
const logoMaxBytes = 1 << 20

// logo reads the image file named by NAME. Only PNG and JPEG are taken,
// recognised by their first bytes, not the file's name: an SVG served from
// the portal's own origin could run script.
func (r *Reader) logo(name string) ([]byte, string) {
	path := r.String(name, "")
	if path == "" {
		return nil, ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		r.Fail(name, "cannot be read: %v", err)
		return nil, ""
	}
	if len(b) > logoMaxBytes {
		r.Fail(name, "is %d bytes; at most %d allowed", len(b), logoMaxBytes)
		return nil, ""
	}
	typ := ImageType(b)
	if typ == "" {
		r.Fail(name, "must be a PNG or JPEG image (SVG and other formats are refused), got %s", path)
		return nil, ""
	}
	return b, typ
}

// ImageType is "image/png" or "image/jpeg" when b starts as one, else "".
func ImageType(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return "image/jpeg"
	}
	return ""
}

// httpsURL reads an optional absolute https URL; "" when unset.
func (r *Reader) httpsURL(name string) string {
	v := r.String(name, "")
	if v != "" {
		if u, err := url.Parse(v); err != nil || u.Scheme != "https" || u.Host == "" {
			r.Fail(name, "must be an absolute https URL, got %q", v)
			return ""
		}
	}
	return v
}

// zone reads an IANA time zone name such as Europe/Stockholm.
func (r *Reader) zone(name, def string) *time.Location {
	v := r.String(name, def)
	loc, err := time.LoadLocation(v)
	if err != nil || v == "Local" {
		r.Fail(name, "must be an IANA time zone such as Europe/Stockholm, got %q", v)
		return time.UTC
	}
	return loc
}

// demoKey returns the key kept in dir, making it on first use.
func demoKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, "demo-secret.key")
	if b, err := os.ReadFile(path); err == nil {
		return base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write demo key: %w", err)
	}
	return key, nil
}
