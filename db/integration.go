package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// The API for front systems (issue 26 step 5): a front system sends a
// company's invoices with a company-scoped, send-only integration token,
// and names each request with an Idempotency-Key so that a request sent
// again (its answer lost) makes no second batch.
//
// Integration tokens have their own table rather than a kind column in
// api_tokens: a personal token is its owner (requireToken acts as that
// user everywhere), an integration token is nobody and may do one thing.
// Kept apart, no query that forgets a kind filter can let one pass for
// the other, and neither table has columns that mean nothing for half of
// its rows (user_id, company_id, connector).

// The audit actions of the API for front systems.
const (
	AuditIntegrationTokenCreate = "integration_token_create"
	AuditIntegrationTokenRevoke = "integration_token_revoke"
	// AuditAPIBatch: a batch of invoices came in through the API (an
	// integration token, or a person's own token).
	AuditAPIBatch = "api_batch"
	// AuditAPISending: an admin changed whether API batches are sent at
	// once or held for a person's review.
	AuditAPISending = "api_sending"
)

// IntegrationTokenPrefixLen is how much of an integration token is kept
// in clear: its prefix and 8 characters of the random part.
const IntegrationTokenPrefixLen = 19

// IntegrationToken is a company's send-only token for a front system.
// Only its SHA-256 is stored; the token is shown once, when made.
type IntegrationToken struct {
	ID        int64  `gorm:"primaryKey"`
	CompanyID int64  `gorm:"not null;index"`
	Name      string `gorm:"size:100;not null"`
	// Connector is the receiving connection's connector the token sends
	// to; "" is the company's only receiving connection, whichever it is
	// when a batch comes.
	Connector     string `gorm:"size:32;not null;default:''"`
	Prefix        string `gorm:"size:24;not null"`
	Hash          string `gorm:"size:64;not null;uniqueIndex"`
	CreatedBy     *int64
	CreatedByName string `gorm:"size:254;not null;default:''"`
	CreatedAt     time.Time
	LastUsedAt    *time.Time
	RevokedAt     *time.Time
}

// CreateIntegrationToken stores t for secret, which is never stored.
func (d *DB) CreateIntegrationToken(ctx context.Context, t *IntegrationToken, secret string) error {
	t.Hash = HashSecret(secret)
	t.Prefix = secret[:min(len(secret), IntegrationTokenPrefixLen)]
	t.Name, t.CreatedByName = truncate(t.Name, 100), truncate(t.CreatedByName, 254)
	t.RevokedAt, t.LastUsedAt = nil, nil
	if err := d.gorm.WithContext(ctx).Create(t).Error; err != nil {
		return fmt.Errorf("create integration token: %w", notFound(err))
	}
	return nil
}

// IntegrationTokensOf lists a company's unrevoked integration tokens,
// newest first.
func (d *DB) IntegrationTokensOf(ctx context.Context, companyID int64) ([]IntegrationToken, error) {
	var ts []IntegrationToken
	err := d.gorm.WithContext(ctx).Where("company_id = ? AND revoked_at IS NULL", companyID).Order("created_at DESC, id DESC").Find(&ts).Error
	if err != nil {
		return nil, fmt.Errorf("integration tokens of company %d: %w", companyID, err)
	}
	return ts, nil
}

// IntegrationTokenBySecret finds the token secret is; a revoked one is
// ErrNotFound, like one that never existed.
func (d *DB) IntegrationTokenBySecret(ctx context.Context, secret string) (*IntegrationToken, error) {
	var t IntegrationToken
	err := d.gorm.WithContext(ctx).Where("hash = ? AND revoked_at IS NULL", HashSecret(secret)).First(&t).Error
	if err != nil {
		return nil, fmt.Errorf("integration token: %w", notFound(err))
	}
	return &t, nil
}

// RevokeIntegrationToken revokes one of a company's tokens; another
// company's, or one already revoked, is ErrNotFound. It returns the token.
func (d *DB) RevokeIntegrationToken(ctx context.Context, companyID, id int64) (*IntegrationToken, error) {
	var t IntegrationToken
	err := d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("id = ? AND company_id = ? AND revoked_at IS NULL", id, companyID).First(&t).Error; err != nil {
			return notFound(err)
		}
		now := d.now().UTC()
		t.RevokedAt = &now
		return tx.Model(&IntegrationToken{}).Where("id = ?", id).Update("revoked_at", now).Error
	})
	if err != nil {
		return nil, fmt.Errorf("revoke integration token %d: %w", id, err)
	}
	return &t, nil
}

// TouchIntegrationToken records a use at at, at most once per every.
func (d *DB) TouchIntegrationToken(ctx context.Context, id int64, at time.Time, every time.Duration) error {
	at = at.UTC()
	err := d.gorm.WithContext(ctx).Model(&IntegrationToken{}).
		Where("id = ? AND (last_used_at IS NULL OR last_used_at <= ?)", id, at.Add(-every)).
		Update("last_used_at", at).Error
	if err != nil {
		return fmt.Errorf("record use of integration token %d: %w", id, err)
	}
	return nil
}

// SetAPISendAtOnce records whether the company's API batches are sent at
// once (true) or held for a person's review (false, the default).
func (d *DB) SetAPISendAtOnce(ctx context.Context, companyID int64, atOnce bool) error {
	err := d.gorm.WithContext(ctx).Model(&Company{}).Where("id = ?", companyID).Update("api_send_at_once", atOnce).Error
	if err != nil {
		return fmt.Errorf("company %d API sending: %w", companyID, err)
	}
	return nil
}

// The kinds of token an Idempotency-Key is scoped to.
const (
	KeyScopeIntegration = "integration"
	KeyScopePersonal    = "personal"
)

// IdempotencyKeep is how long an Idempotency-Key is kept: the same key
// within it answers as the first request did; after it, it is new.
const IdempotencyKeep = 30 * 24 * time.Hour

// idempotencyStale is how long a key may stay reserved without an answer
// before another request may take it over: its request has stopped (a
// restart). A batch it made meanwhile holds its invoices as sent before
// (their key and digest), so the second batch does not send them again.
const idempotencyStale = 10 * time.Minute

// IdempotencyKey is an API request's Idempotency-Key within its scope (the
// company and the token), the SHA-256 of the body it came with, and the
// batch it made once there is one (Status 0 while the first request
// runs). The answer itself is not kept: a repeat is answered with the
// batch as it stands then, which is the same batch and says more.
type IdempotencyKey struct {
	ID        int64  `gorm:"primaryKey"`
	CompanyID int64  `gorm:"not null;uniqueIndex:idx_idempotency_scope"`
	TokenKind string `gorm:"size:16;not null;uniqueIndex:idx_idempotency_scope"`
	TokenID   int64  `gorm:"not null;uniqueIndex:idx_idempotency_scope"`
	Key       string `gorm:"column:idem_key;size:255;not null;uniqueIndex:idx_idempotency_scope"`
	BodyHash  string `gorm:"size:64;not null"`
	BatchID   *int64
	Status    int       `gorm:"not null;default:0"`
	CreatedAt time.Time `gorm:"not null;index"`
}

// ReserveIdempotencyKey reserves k's key in its scope for the request
// making it, and returns nil; when the key is taken (kept, and not stale)
// it returns the row that has it instead. Two requests with the same key
// at once cannot both reserve it: the unique index decides.
func (d *DB) ReserveIdempotencyKey(ctx context.Context, k *IdempotencyKey) (*IdempotencyKey, error) {
	now := d.now().UTC()
	// The company's keys past their 30 days are forgotten as its next key
	// comes (no job needed), and this key's reservation if it is stale.
	err := d.gorm.WithContext(ctx).Where("company_id = ? AND created_at < ?", k.CompanyID, now.Add(-IdempotencyKeep)).
		Delete(&IdempotencyKey{}).Error
	if err == nil {
		err = d.gorm.WithContext(ctx).Where("company_id = ? AND token_kind = ? AND token_id = ? AND idem_key = ? AND status = 0 AND created_at < ?",
			k.CompanyID, k.TokenKind, k.TokenID, k.Key, now.Add(-idempotencyStale)).Delete(&IdempotencyKey{}).Error
	}
	if err != nil {
		return nil, fmt.Errorf("idempotency key: clear expired: %w", err)
	}
	k.ID, k.Status, k.BatchID, k.CreatedAt = 0, 0, nil, now
	err = d.gorm.WithContext(ctx).Create(k).Error
	if err == nil {
		return nil, nil
	}
	if !errors.Is(err, gorm.ErrDuplicatedKey) {
		return nil, fmt.Errorf("idempotency key: reserve: %w", err)
	}
	var had IdempotencyKey
	err = d.gorm.WithContext(ctx).Where("company_id = ? AND token_kind = ? AND token_id = ? AND idem_key = ?", k.CompanyID, k.TokenKind, k.TokenID, k.Key).
		First(&had).Error
	if err != nil {
		return nil, fmt.Errorf("idempotency key: read: %w", notFound(err))
	}
	return &had, nil
}

// FinishIdempotencyKey stores the batch the request that reserved id made,
// and its answer's status.
func (d *DB) FinishIdempotencyKey(ctx context.Context, id, batchID int64, status int) error {
	err := d.gorm.WithContext(ctx).Model(&IdempotencyKey{}).Where("id = ?", id).
		Updates(map[string]any{"batch_id": batchID, "status": status}).Error
	if err != nil {
		return fmt.Errorf("idempotency key %d: %w", id, err)
	}
	return nil
}

// ReleaseIdempotencyKey forgets a reservation whose request made nothing
// (its body was refused), so the key may be used again with a body that
// can be read.
func (d *DB) ReleaseIdempotencyKey(ctx context.Context, id int64) error {
	if err := d.gorm.WithContext(ctx).Where("id = ? AND status = 0", id).Delete(&IdempotencyKey{}).Error; err != nil {
		return fmt.Errorf("release idempotency key %d: %w", id, err)
	}
	return nil
}
