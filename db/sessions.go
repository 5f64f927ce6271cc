package db

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// Audit actions of the second factor.
const (
	AuditSecondFactorEnable = "second_factor_enable"
	AuditSecondFactorReset  = "second_factor_reset"
	AuditSecondFactorOff    = "second_factor_off"
	AuditRecoveryCodesNew   = "recovery_codes_new"
)

// Session is one browser's login. The browser's cookie carries a random
// token; only the token's SHA-256 is stored, so the table holds nothing a
// browser could present. Ending a session deletes its row: a copy of the
// cookie is worth nothing after that.
type Session struct {
	ID         int64     `gorm:"primaryKey"`
	UserID     int64     `gorm:"not null;index"`
	Hash       string    `gorm:"size:64;not null;uniqueIndex"`
	CreatedAt  time.Time `gorm:"not null"`
	LastSeenAt time.Time `gorm:"not null"`
}

// RecoveryCode is a one-time code that stands in for a second-factor
// code; only its SHA-256 is stored (a code carries 80 random bits).
type RecoveryCode struct {
	ID     int64  `gorm:"primaryKey"`
	UserID int64  `gorm:"not null;index"`
	Hash   string `gorm:"size:64;not null"`
	UsedAt *time.Time
}

// CreateSession stores a session of userID for token, and deletes the
// user's sessions that were created before created or last seen before
// seen: they are over anyway.
func (d *DB) CreateSession(ctx context.Context, userID int64, token string, created, seen time.Time) error {
	now := d.now().UTC()
	return d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("user_id = ? AND (created_at < ? OR last_seen_at < ?)", userID, created.UTC(), seen.UTC()).Delete(&Session{}).Error; err != nil {
			return fmt.Errorf("delete ended sessions of user %d: %w", userID, err)
		}
		s := &Session{UserID: userID, Hash: HashSecret(token), CreatedAt: now, LastSeenAt: now}
		if err := tx.Create(s).Error; err != nil {
			return fmt.Errorf("create session of user %d: %w", userID, notFound(err))
		}
		return nil
	})
}

// SessionByToken is the session token opens, or ErrNotFound once it ended.
func (d *DB) SessionByToken(ctx context.Context, token string) (*Session, error) {
	var s Session
	if err := d.gorm.WithContext(ctx).Where("hash = ?", HashSecret(token)).First(&s).Error; err != nil {
		return nil, fmt.Errorf("session: %w", notFound(err))
	}
	return &s, nil
}

// TouchSession records that a session was used at at, unless a use less
// than every ago is recorded: a busy browser costs one write a minute, not
// one per request.
func (d *DB) TouchSession(ctx context.Context, id int64, at time.Time, every time.Duration) error {
	at = at.UTC()
	s, err := d.hot.stmt(ctx, qTouchSession)
	if err == nil {
		_, err = s.ExecContext(ctx, at, id, at.Add(-every))
	}
	if err != nil {
		return fmt.Errorf("touch session %d: %w", id, err)
	}
	return nil
}

// EndSession ends the session of token (logout).
func (d *DB) EndSession(ctx context.Context, token string) error {
	if err := d.gorm.WithContext(ctx).Where("hash = ?", HashSecret(token)).Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// EndUserSessions ends every session of a user but the one of keepToken
// ("" keeps none), and says how many ended.
func (d *DB) EndUserSessions(ctx context.Context, userID int64, keepToken string) (int64, error) {
	q := d.gorm.WithContext(ctx).Where("user_id = ?", userID)
	if keepToken != "" {
		q = q.Where("hash <> ?", HashSecret(keepToken))
	}
	res := q.Delete(&Session{})
	if res.Error != nil {
		return 0, fmt.Errorf("end sessions of user %d: %w", userID, res.Error)
	}
	return res.RowsAffected, nil
}

// CountSessions counts a user's sessions last seen at or after since.
func (d *DB) CountSessions(ctx context.Context, userID int64, since time.Time) (int64, error) {
	var n int64
	err := d.gorm.WithContext(ctx).Model(&Session{}).Where("user_id = ? AND last_seen_at >= ?", userID, since.UTC()).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count sessions of user %d: %w", userID, err)
	}
	return n, nil
}

// ErrNoSecondFactor: the user has no second-factor key, enrolled or pending.
var ErrNoSecondFactor = errors.New("no second-factor key")

func totpAAD(userID int64) []byte { return []byte("bilag totp user " + strconv.FormatInt(userID, 10)) }

// SetPendingSecondFactor stores key, sealed, as the user's second-factor
// key to be confirmed; a key already enrolled stays in force until then.
// It refuses (ErrDuplicate) when one is enrolled.
func (d *DB) SetPendingSecondFactor(ctx context.Context, userID int64, key []byte) error {
	if d.keys == nil {
		return errors.New("seal second-factor key: no keyring configured")
	}
	kid, ct, err := d.keys.Seal(key, totpAAD(userID))
	if err != nil {
		return fmt.Errorf("seal second-factor key of user %d: %w", userID, err)
	}
	res := d.gorm.WithContext(ctx).Model(&User{}).Where("id = ? AND totp_enabled_at IS NULL", userID).
		Updates(map[string]any{"totp_key_id": kid, "totp_sealed": ct, "totp_last_step": 0})
	if res.Error != nil {
		return fmt.Errorf("store second-factor key of user %d: %w", userID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store second-factor key of user %d: %w", userID, ErrDuplicate)
	}
	return nil
}

// SecondFactorKey opens u's second-factor key, enrolled or pending.
func (d *DB) SecondFactorKey(u *User) ([]byte, error) {
	if len(u.TOTPSealed) == 0 {
		return nil, fmt.Errorf("second-factor key of user %d: %w", u.ID, ErrNoSecondFactor)
	}
	if d.keys == nil {
		return nil, errors.New("open second-factor key: no keyring configured")
	}
	key, err := d.keys.Open(u.TOTPKeyID, u.TOTPSealed, totpAAD(u.ID))
	if err != nil {
		return nil, fmt.Errorf("open second-factor key of user %d: %w", u.ID, err)
	}
	return key, nil
}

// EnableSecondFactor turns the pending key on, with step as the last code
// used, and makes codes (their hashes stored) the user's recovery codes.
func (d *DB) EnableSecondFactor(ctx context.Context, userID, step int64, codes []string) error {
	return d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ? AND totp_enabled_at IS NULL AND totp_sealed IS NOT NULL", userID).
			Updates(map[string]any{"totp_enabled_at": d.now().UTC(), "totp_last_step": step})
		if res.Error != nil {
			return fmt.Errorf("enable second factor of user %d: %w", userID, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("enable second factor of user %d: %w", userID, ErrNoSecondFactor)
		}
		return replaceRecoveryCodes(tx, userID, codes)
	})
}

// ReplaceRecoveryCodes makes codes the user's only recovery codes.
func (d *DB) ReplaceRecoveryCodes(ctx context.Context, userID int64, codes []string) error {
	return d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return replaceRecoveryCodes(tx, userID, codes) })
}

func replaceRecoveryCodes(tx *gorm.DB, userID int64, codes []string) error {
	if err := tx.Where("user_id = ?", userID).Delete(&RecoveryCode{}).Error; err != nil {
		return fmt.Errorf("delete recovery codes of user %d: %w", userID, err)
	}
	for _, c := range codes {
		if err := tx.Create(&RecoveryCode{UserID: userID, Hash: HashSecret(c)}).Error; err != nil {
			return fmt.Errorf("store recovery code of user %d: %w", userID, err)
		}
	}
	return nil
}

// UseSecondFactorStep records that the code of time step was used; false
// when that step or a later one was already used (a replayed code).
func (d *DB) UseSecondFactorStep(ctx context.Context, userID, step int64) (bool, error) {
	res := d.gorm.WithContext(ctx).Model(&User{}).Where("id = ? AND totp_enabled_at IS NOT NULL AND totp_last_step < ?", userID, step).
		Update("totp_last_step", step)
	if res.Error != nil {
		return false, fmt.Errorf("use second-factor code of user %d: %w", userID, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// UseRecoveryCode spends one of the user's recovery codes; false when code
// is none of them or was used.
func (d *DB) UseRecoveryCode(ctx context.Context, userID int64, code string) (bool, error) {
	res := d.gorm.WithContext(ctx).Model(&RecoveryCode{}).Where("user_id = ? AND hash = ? AND used_at IS NULL", userID, HashSecret(code)).
		Update("used_at", d.now().UTC())
	if res.Error != nil {
		return false, fmt.Errorf("use recovery code of user %d: %w", userID, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// RecoveryCodesLeft counts the user's unused recovery codes.
func (d *DB) RecoveryCodesLeft(ctx context.Context, userID int64) (int64, error) {
	var n int64
	err := d.gorm.WithContext(ctx).Model(&RecoveryCode{}).Where("user_id = ? AND used_at IS NULL", userID).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count recovery codes of user %d: %w", userID, err)
	}
	return n, nil
}

// ResetSecondFactor removes the user's second factor and recovery codes
// and ends every session of theirs (an admin's reset: a lost phone).
func (d *DB) ResetSecondFactor(ctx context.Context, userID int64) error {
	return d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := removeSecondFactor(tx, userID); err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", userID).Delete(&Session{}).Error; err != nil {
			return fmt.Errorf("end sessions of user %d: %w", userID, err)
		}
		return nil
	})
}

// RemoveSecondFactor removes the user's second factor and recovery codes
// (the person's own choice; their sessions stay).
func (d *DB) RemoveSecondFactor(ctx context.Context, userID int64) error {
	return d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return removeSecondFactor(tx, userID) })
}

func removeSecondFactor(tx *gorm.DB, userID int64) error {
	err := tx.Model(&User{}).Where("id = ?", userID).
		Updates(map[string]any{"totp_key_id": "", "totp_sealed": nil, "totp_enabled_at": nil, "totp_last_step": 0}).Error
	if err != nil {
		return fmt.Errorf("remove second factor of user %d: %w", userID, err)
	}
	if err := tx.Where("user_id = ?", userID).Delete(&RecoveryCode{}).Error; err != nil {
		return fmt.Errorf("delete recovery codes of user %d: %w", userID, err)
	}
	return nil
}

// ResealSecondFactors re-encrypts every stored second-factor key under the
// current key (after a key rotation, with Reseal); it returns how many.
func (d *DB) ResealSecondFactors(ctx context.Context) (int, error) {
	var us []User
	if err := d.gorm.WithContext(ctx).Where("totp_sealed IS NOT NULL").Find(&us).Error; err != nil {
		return 0, fmt.Errorf("list sealed second-factor keys: %w", err)
	}
	n := 0
	for i := range us {
		u := &us[i]
		if len(u.TOTPSealed) == 0 || u.TOTPKeyID == d.keys.CurrentID() {
			continue
		}
		key, err := d.SecondFactorKey(u)
		if err != nil {
			return n, err
		}
		kid, ct, err := d.keys.Seal(key, totpAAD(u.ID))
		if err != nil {
			return n, fmt.Errorf("seal second-factor key of user %d: %w", u.ID, err)
		}
		// Only if unchanged meanwhile: a reset or new enrolment wins.
		res := d.gorm.WithContext(ctx).Model(&User{}).Where("id = ? AND totp_key_id = ? AND totp_sealed = ?", u.ID, u.TOTPKeyID, u.TOTPSealed).
			Updates(map[string]any{"totp_key_id": kid, "totp_sealed": ct})
		if res.Error != nil {
			return n, fmt.Errorf("reseal second-factor key of user %d: %w", u.ID, res.Error)
		}
		n += int(res.RowsAffected)
	}
	return n, nil
}
