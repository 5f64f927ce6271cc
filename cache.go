package main

import (
	"context"
	"path/filepath"

	"bilag/db/doccache"
	"bilag/db/doccache/s3cache"
	"bilag/db/seal"
)

// documentCache is the encrypted document cache: on disk in the data
// directory (the default), or, with BILAG_CACHE_URL, in an S3-compatible
// store that every instance shares, its index in the database.
func (a *app) documentCache(ctx context.Context) (doccache.Store, error) {
	if a.cfg.CacheURL == "" {
		return doccache.Open(filepath.Join(a.cfg.DataDir, "cache"), a.cfg.CacheMaxBytes, a.keys)
	}
	c, err := s3cache.Open(s3cache.Config{
		Location: a.cfg.CacheS3, AccessKey: a.cfg.CacheS3AccessKey, SecretKey: a.cfg.CacheS3SecretKey,
		MaxBytes: a.cfg.CacheMaxBytes, Keys: a.keys, DB: a.db, Logger: a.log,
		// Every instance names objects alike; only the secret's holders can.
		NameKey: seal.DeriveKey(a.cfg.SecretKey, "bilag doccache s3 object names"),
	})
	if err != nil {
		return nil, err
	}
	// A wrong bucket or key fails the start, not the first open.
	if err := c.Check(ctx); err != nil {
		return nil, err
	}
	a.log.Info("document cache in object store", "bucket", a.cfg.CacheS3.Bucket, "endpoint", a.cfg.CacheS3.Endpoint)
	return c, nil
}
