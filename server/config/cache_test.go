package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCacheStore: BILAG_CACHE_URL picks the shared cache, with its
// credentials given apart (their _FILE too); credentials in the URL, or
// a half-given setting, fail the start and never echo the secret.
func TestCacheStore(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"BILAG_SECRET_KEY": key32}))
	if err != nil || c.CacheURL != "" {
		t.Fatalf("default: cache URL %q, %v; want the disk cache", c.CacheURL, err)
	}
	secretFile := filepath.Join(t.TempDir(), "s3secret")
	if err := os.WriteFile(secretFile, []byte("s3-secret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = FromEnv(env(map[string]string{"BILAG_SECRET_KEY": key32,
		"BILAG_CACHE_URL":           "s3://bilag-cache/prod?endpoint=https://minio.internal:9000&region=eu-north-1",
		"BILAG_CACHE_S3_ACCESS_KEY": "AKIAEXAMPLE", "BILAG_CACHE_S3_SECRET_KEY_FILE": secretFile}))
	if err != nil {
		t.Fatal(err)
	}
	if c.CacheS3.Bucket != "bilag-cache" || c.CacheS3.Prefix != "prod/" || c.CacheS3.Endpoint != "minio.internal:9000" || !c.CacheS3.Secure ||
		c.CacheS3.Region != "eu-north-1" || c.CacheS3AccessKey != "AKIAEXAMPLE" || c.CacheS3SecretKey != "s3-secret-from-file" {
		t.Errorf("cache store = %+v, keys %q %q", c.CacheS3, c.CacheS3AccessKey, c.CacheS3SecretKey)
	}
	for _, tt := range []struct {
		name string
		env  map[string]string
	}{
		{"credentials in the URL", map[string]string{"BILAG_CACHE_URL": "s3://AKIAEXAMPLE:topsecretvalue@bilag-cache/x", "BILAG_CACHE_S3_ACCESS_KEY": "a", "BILAG_CACHE_S3_SECRET_KEY": "b"}},
		{"no secret key", map[string]string{"BILAG_CACHE_URL": "s3://bilag-cache/x", "BILAG_CACHE_S3_ACCESS_KEY": "a"}},
		{"keys without a URL", map[string]string{"BILAG_CACHE_S3_ACCESS_KEY": "a", "BILAG_CACHE_S3_SECRET_KEY": "topsecretvalue"}},
		{"not s3", map[string]string{"BILAG_CACHE_URL": "https://bilag-cache/x?token=topsecretvalue", "BILAG_CACHE_S3_ACCESS_KEY": "a", "BILAG_CACHE_S3_SECRET_KEY": "b"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["BILAG_SECRET_KEY"] = key32
			_, err := FromEnv(env(tt.env))
			if err == nil || !strings.Contains(err.Error(), "BILAG_CACHE_URL") {
				t.Fatalf("FromEnv = %v; want an error naming BILAG_CACHE_URL", err)
			}
			if strings.Contains(err.Error(), "topsecretvalue") {
				t.Errorf("the error shows a secret: %v", err)
			}
		})
	}
}
