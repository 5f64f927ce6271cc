package db

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// AuditUserMakeClient: an admin turned a viewer into a client user of the
// one company they were a member of (Target the address).
const AuditUserMakeClient = "user_make_client"

// ErrNotViewer: only a viewer can become a client user. An analyst or an
// admin acts for the firm; turning them into one of a client's people
// would hide the firm's other companies from them without a word.
var ErrNotViewer = errors.New("only a viewer can become a client user")

// MembershipsError: a client user belongs to exactly one company, and the
// viewer is a member of N.
type MembershipsError struct{ N int }

func (e *MembershipsError) Error() string {
	return fmt.Sprintf("a client user belongs to exactly one company, not %d", e.N)
}

// MakeClient turns the viewer id into a client user of the one company
// they are a member of, ends their sessions (their pages change under
// them) and records by as AuditUserMakeClient, all in one transaction.
// Another role is ErrNotViewer, another number of memberships a
// *MembershipsError; either changes nothing.
func (d *DB) MakeClient(ctx context.Context, id int64, by AuditEvent) (*User, *Company, error) {
	var (
		u  User
		co Company
	)
	err := d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Clauses(lockForUpdate()).First(&u, id).Error; err != nil {
			return notFound(err)
		}
		if u.Role != RoleViewer {
			return ErrNotViewer
		}
		var ids []int64
		if err := tx.Model(&Membership{}).Where("user_id = ?", id).Pluck("company_id", &ids).Error; err != nil {
			return err
		}
		if len(ids) != 1 {
			return &MembershipsError{N: len(ids)}
		}
		if err := tx.First(&co, ids[0]).Error; err != nil {
			return notFound(err)
		}
		u.Role = RoleClient
		if err := tx.Model(&u).Updates(map[string]any{"role": RoleClient, "updated_at": d.now().UTC()}).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", id).Delete(&Session{}).Error; err != nil {
			return err
		}
		by.Action, by.CompanyID, by.Target = AuditUserMakeClient, &co.ID, u.Email
		return d.auditIn(tx, by)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("make user %d a client user: %w", id, err)
	}
	return &u, &co, nil
}
