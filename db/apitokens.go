package db

import (
	"context"
	"fmt"
	"time"
)

// APITokenPrefixLen is how much of a token is kept in clear: "bilag_" and
// the first 8 characters of the random part, enough for a person to tell
// their tokens apart in a list and far too little to guess the rest.
const APITokenPrefixLen = 14

// APIToken is a personal API token. Only the SHA-256 of the token is
// stored; the token itself is shown to its owner once, when created.
type APIToken struct {
	ID     int64  `gorm:"primaryKey"`
	UserID int64  `gorm:"not null;index"`
	Name   string `gorm:"size:100;not null"`
	// Prefix is the token's first APITokenPrefixLen characters.
	Prefix     string `gorm:"size:16;not null"`
	Hash       string `gorm:"size:64;not null;uniqueIndex"`
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// CreateAPIToken stores t for secret, which is never stored itself.
func (d *DB) CreateAPIToken(ctx context.Context, t *APIToken, secret string) error {
	t.Hash = HashSecret(secret)
	t.Prefix = secret[:min(len(secret), APITokenPrefixLen)]
	t.RevokedAt, t.LastUsedAt = nil, nil
	if err := d.gorm.WithContext(ctx).Create(t).Error; err != nil {
		return fmt.Errorf("create API token: %w", notFound(err))
	}
	return nil
}

// APITokensForUser lists a user's tokens that are not revoked, newest first.
func (d *DB) APITokensForUser(ctx context.Context, userID int64) ([]APIToken, error) {
	var ts []APIToken
	err := d.gorm.WithContext(ctx).Where("user_id = ? AND revoked_at IS NULL", userID).Order("created_at DESC, id DESC").Find(&ts).Error
	if err != nil {
		return nil, fmt.Errorf("API tokens of user %d: %w", userID, err)
	}
	return ts, nil
}

// APITokenBySecret finds the token secret is, unless it is revoked: a
// revoked token is ErrNotFound, exactly like one that never existed.
func (d *DB) APITokenBySecret(ctx context.Context, secret string) (*APIToken, error) {
	var t APIToken
	err := d.gorm.WithContext(ctx).Where("hash = ? AND revoked_at IS NULL", HashSecret(secret)).First(&t).Error
	if err != nil {
		return nil, fmt.Errorf("API token: %w", notFound(err))
	}
	return &t, nil
}

// RevokeAPIToken revokes one of a user's tokens. Another user's token, or
// one already revoked, is ErrNotFound.
func (d *DB) RevokeAPIToken(ctx context.Context, userID, id int64) error {
	res := d.gorm.WithContext(ctx).Model(&APIToken{}).
		Where("id = ? AND user_id = ? AND revoked_at IS NULL", id, userID).
		Update("revoked_at", d.now().UTC())
	if res.Error != nil {
		return fmt.Errorf("revoke API token %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("revoke API token %d: %w", id, ErrNotFound)
	}
	return nil
}

// TouchAPIToken records that a token was used at at. It writes only when
// the recorded use is older than every, so a busy client costs one write a
// minute, not one per request.
func (d *DB) TouchAPIToken(ctx context.Context, id int64, at time.Time, every time.Duration) error {
	at = at.UTC()
	err := d.gorm.WithContext(ctx).Model(&APIToken{}).
		Where("id = ? AND (last_used_at IS NULL OR last_used_at <= ?)", id, at.Add(-every)).
		Update("last_used_at", at).Error
	if err != nil {
		return fmt.Errorf("record use of API token %d: %w", id, err)
	}
	return nil
}
