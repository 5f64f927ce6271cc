package config

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) Getenv {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

var key32 = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

func TestDefaults(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"BILAG_SECRET_KEY": key32}))
	if err != nil {
		t.Fatalf("FromEnv() = %v", err)
	}
	if c.Addr != "127.0.0.1:8080" || c.BaseURL.String() != "http://localhost:8080" || c.DataDir != "./data" {
		t.Errorf("defaults = %s %s %s", c.Addr, c.BaseURL, c.DataDir)
	}
	if c.DatabaseURL != "sqlite://data/bilag.db" {
		t.Errorf("DatabaseURL = %q, want sqlite://data/bilag.db", c.DatabaseURL)
	}
	if c.LinkTTL != 7*24*time.Hour || c.Secure() || c.FirmName != "Bilag" {
		t.Errorf("LinkTTL = %s, Secure = %v, FirmName = %q", c.LinkTTL, c.Secure(), c.FirmName)
	}
}

// Every bad value is refused with a message that names its variable.
func TestErrorsNameTheVariable(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no key", map[string]string{}, "BILAG_SECRET_KEY is required"},
		{"short key", map[string]string{"BILAG_SECRET_KEY": base64.StdEncoding.EncodeToString([]byte("short"))}, "BILAG_SECRET_KEY must decode to at least 32 bytes"},
		{"key not base64", map[string]string{"BILAG_SECRET_KEY": "!!!"}, "BILAG_SECRET_KEY must be base64"},
		{"base url", map[string]string{"BILAG_SECRET_KEY": key32, "BILAG_BASE_URL": "localhost:8080"}, "BILAG_BASE_URL must be an absolute"},
		{"addr", map[string]string{"BILAG_SECRET_KEY": key32, "BILAG_ADDR": "8080"}, "BILAG_ADDR must be host:port"},
		{"database", map[string]string{"BILAG_SECRET_KEY": key32, "BILAG_DATABASE_URL": "mysql://x"}, "BILAG_DATABASE_URL must start with"},
		{"demo flag", map[string]string{"BILAG_SECRET_KEY": key32, "BILAG_DEMO": "yes please"}, "BILAG_DEMO must be 1 or 0"},
		{"ttl", map[string]string{"BILAG_SECRET_KEY": key32, "BILAG_LINK_TTL": "a week"}, "BILAG_LINK_TTL must be a positive duration"},
		{"cache", map[string]string{"BILAG_SECRET_KEY": key32, "BILAG_CACHE_MAX_BYTES": "-1"}, "BILAG_CACHE_MAX_BYTES must be a non-negative"},
		{"secret file missing", map[string]string{"BILAG_SECRET_KEY_FILE": "/nonexistent/key"}, "BILAG_SECRET_KEY_FILE cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromEnv(env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("FromEnv() error = %v, want one containing %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), key32) {
				t.Errorf("error %q shows the secret key", err)
			}
		})
	}
}

func TestSecretFromFile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "key")
	if err := os.WriteFile(f, []byte(key32+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := FromEnv(env(map[string]string{"BILAG_SECRET_KEY_FILE": f}))
	if err != nil {
		t.Fatalf("FromEnv() = %v", err)
	}
	if string(c.SecretKey) != "0123456789abcdef0123456789abcdef" {
		t.Errorf("SecretKey from file = %q", c.SecretKey)
	}
}

// Demo mode keeps one generated key, so a restart keeps sessions.
func TestDemoKeyIsKept(t *testing.T) {
	dir := t.TempDir()
	e := env(map[string]string{"BILAG_DEMO": "1", "BILAG_DATA_DIR": dir})
	a, err := FromEnv(e)
	if err != nil {
		t.Fatalf("FromEnv() = %v", err)
	}
	b, err := FromEnv(e)
	if err != nil {
		t.Fatalf("FromEnv() again = %v", err)
	}
	if len(a.SecretKey) != 32 || string(a.SecretKey) != string(b.SecretKey) {
		t.Errorf("demo keys differ or are short: %d bytes", len(a.SecretKey))
	}
	if a.FirmName != "Demo Analys AB" {
		t.Errorf("demo FirmName = %q, want the demo firm", a.FirmName)
	}
	fi, err := os.Stat(filepath.Join(dir, "demo-secret.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("demo key file: %v, mode %v, want 0600", err, fi.Mode().Perm())
	}
}

// The SMTP settings: a URL (or a file holding it, since it holds a
// password) and a sender; mistakes name their variable and never show the
// password.
func TestSMTP(t *testing.T) {
	const url = "smtp://bilag%40firm.se:hemligt-l%C3%B6sen@mail.firm.se:587"
	dir := t.TempDir()
	f := filepath.Join(dir, "smtp-url")
	if err := os.WriteFile(f, []byte(url+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, e := range map[string]map[string]string{
		"variable": {"BILAG_SECRET_KEY": key32, "BILAG_SMTP_URL": url, "BILAG_SMTP_FROM": "Bilag <bilag@firm.se>"},
		"file":     {"BILAG_SECRET_KEY": key32, "BILAG_SMTP_URL_FILE": f, "BILAG_SMTP_FROM": "Bilag <bilag@firm.se>"},
	} {
		c, err := FromEnv(env(e))
		if err != nil {
			t.Fatalf("%s: FromEnv() = %v", name, err)
		}
		if c.SMTPURL != url || c.SMTPFrom != "Bilag <bilag@firm.se>" {
			t.Errorf("%s: SMTPURL, SMTPFrom = %q, %q", name, c.SMTPURL, c.SMTPFrom)
		}
	}
	if c, err := FromEnv(env(map[string]string{"BILAG_SECRET_KEY": key32})); err != nil || c.SMTPURL != "" || c.SMTPFrom != "" {
		t.Errorf("without SMTP settings: %+v, %v; want no mail", c, err)
	}

	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"scheme", map[string]string{"BILAG_SMTP_URL": "http://u:hemligt@mail.firm.se", "BILAG_SMTP_FROM": "bilag@firm.se"}, "BILAG_SMTP_URL must start with smtp:// or smtps://"},
		{"not a URL", map[string]string{"BILAG_SMTP_URL": "smtp://u:hem ligt%zz@mail.firm.se", "BILAG_SMTP_FROM": "bilag@firm.se"}, "BILAG_SMTP_URL is not a valid URL"},
		{"no host", map[string]string{"BILAG_SMTP_URL": "smtps://u:hemligt@", "BILAG_SMTP_FROM": "bilag@firm.se"}, "BILAG_SMTP_URL has no host"},
		{"no sender", map[string]string{"BILAG_SMTP_URL": url}, "BILAG_SMTP_FROM is required with BILAG_SMTP_URL"},
		{"bad sender", map[string]string{"BILAG_SMTP_URL": url, "BILAG_SMTP_FROM": "Bilag"}, "BILAG_SMTP_FROM must be an e-mail address"},
		{"sender alone", map[string]string{"BILAG_SMTP_FROM": "bilag@firm.se"}, "BILAG_SMTP_FROM is set but BILAG_SMTP_URL is not"},
		{"both", map[string]string{"BILAG_SMTP_URL": url, "BILAG_SMTP_URL_FILE": f, "BILAG_SMTP_FROM": "bilag@firm.se"}, "BILAG_SMTP_URL and BILAG_SMTP_URL_FILE are both set"},
		{"file missing", map[string]string{"BILAG_SMTP_URL_FILE": "/nonexistent/smtp", "BILAG_SMTP_FROM": "bilag@firm.se"}, "BILAG_SMTP_URL_FILE cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["BILAG_SECRET_KEY"] = key32
			_, err := FromEnv(env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("FromEnv() error = %v, want one containing %q", err, tt.want)
			}
			if err != nil && (strings.Contains(err.Error(), "hemligt") || strings.Contains(err.Error(), "hem ligt")) {
				t.Errorf("error %q shows the SMTP password", err)
			}
		})
	}
	// Demo mode catches mail, so a sender alone is fine there.
	if _, err := FromEnv(env(map[string]string{"BILAG_DEMO": "1", "BILAG_DATA_DIR": t.TempDir(), "BILAG_SMTP_FROM": "bilag@firm.se"})); err != nil {
		t.Errorf("demo with a sender and no SMTP URL: %v", err)
	}
}

// TestFirmSettings: the firm's logo is taken only as PNG or JPEG (by its
// bytes), the privacy notice only over https, the zone only when it exists;
// each mistake names its variable.
func TestFirmSettings(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	png := write("logo.png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
	jpeg := write("logo.jpg", []byte{0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F'})
	svg := write("logo.png.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))
	// An SVG named .png is still an SVG.
	disguised := write("evil.png", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`))

	ok := map[string]string{"BILAG_SECRET_KEY": key32, "BILAG_FIRM_LOGO": png, "BILAG_FIRM_CONTACT": "anna@firm.se, 08-1234567",
		"BILAG_FIRM_PRIVACY_URL": "https://firm.se/privacy", "BILAG_TIMEZONE": "Europe/Helsinki"}
	c, err := FromEnv(env(ok))
	if err != nil {
		t.Fatalf("FromEnv() = %v", err)
	}
	if c.FirmLogoType != "image/png" || len(c.FirmLogo) == 0 || c.FirmContact != "anna@firm.se, 08-1234567" ||
		c.FirmPrivacyURL != "https://firm.se/privacy" || c.Timezone.String() != "Europe/Helsinki" {
		t.Errorf("config = %q %d bytes, %q, %q, %s", c.FirmLogoType, len(c.FirmLogo), c.FirmContact, c.FirmPrivacyURL, c.Timezone)
	}
	ok["BILAG_FIRM_LOGO"] = jpeg
	if c, err := FromEnv(env(ok)); err != nil || c.FirmLogoType != "image/jpeg" {
		t.Errorf("JPEG logo: FromEnv() = %v, type %q", err, c.FirmLogoType)
	}

	def, err := FromEnv(env(map[string]string{"BILAG_SECRET_KEY": key32}))
	if err != nil {
		t.Fatalf("FromEnv() = %v", err)
	}
	if def.Timezone.String() != "Europe/Stockholm" || def.FirmLogo != nil || def.FirmContact != "" {
		t.Errorf("defaults: zone %s, logo %d bytes, contact %q; want Europe/Stockholm and none", def.Timezone, len(def.FirmLogo), def.FirmContact)
	}

	bad := []struct {
		name, value, want string
	}{
		{"BILAG_FIRM_LOGO", svg, "BILAG_FIRM_LOGO must be a PNG or JPEG"},
		{"BILAG_FIRM_LOGO", disguised, "BILAG_FIRM_LOGO must be a PNG or JPEG"},
		{"BILAG_FIRM_LOGO", filepath.Join(dir, "missing.png"), "BILAG_FIRM_LOGO cannot be read"},
		{"BILAG_FIRM_PRIVACY_URL", "http://firm.se/privacy", "BILAG_FIRM_PRIVACY_URL must be an absolute https URL"},
		{"BILAG_FIRM_PRIVACY_URL", "firm.se/privacy", "BILAG_FIRM_PRIVACY_URL must be an absolute https URL"},
		{"BILAG_TIMEZONE", "Europe/Stockholmm", "BILAG_TIMEZONE must be an IANA time zone"},
		{"BILAG_TIMEZONE", "Local", "BILAG_TIMEZONE must be an IANA time zone"},
	}
	for _, tt := range bad {
		_, err := FromEnv(env(map[string]string{"BILAG_SECRET_KEY": key32, tt.name: tt.value}))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s=%q: FromEnv() error = %v, want one containing %q", tt.name, tt.value, err, tt.want)
		}
	}

	demo, err := FromEnv(env(map[string]string{"BILAG_SECRET_KEY": key32, "BILAG_DEMO": "1", "BILAG_DATA_DIR": dir}))
	if err != nil || demo.FirmContact != DemoFirmContact {
		t.Errorf("demo contact = %q (err %v), want %q", demo.FirmContact, err, DemoFirmContact)
	}
}
