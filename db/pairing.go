package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"bilag/connectors"
)

// AuditPairingChange: a person paired a source's code with a target's
// value, changed it or cleared it (on the pairing page, or by CSV); one
// event per pair, its detail "table=… key=… old=… new=…".
const AuditPairingChange = "pairing_change"

// The sizes of a pair's parts (the columns of step 18).
const (
	PairTableMax = 64
	PairKeyMax   = 100
	PairValueMax = 200
)

// Pair is one source code of a company's pairing for a receiving system
// and the target's value it is paired with.
type Pair struct {
	CompanyID int64  `gorm:"primaryKey;autoIncrement:false"`
	Connector string `gorm:"primaryKey;size:32"`
	// PairTable is the pairing's table (connectors.PairingTable.Name).
	PairTable string `gorm:"primaryKey;size:64"`
	SourceKey string `gorm:"primaryKey;size:100"`
	Value     string `gorm:"size:200;not null"`
	// UpdatedByID and UpdatedBy are who set the value last.
	UpdatedByID *int64
	UpdatedBy   string `gorm:"size:254;not null;default:''"`
	UpdatedAt   time.Time
}

func (Pair) TableName() string { return "pairings" }

// PairChange is one pair as a person sets it: Value "" clears it.
type PairChange struct {
	Table, Key, Value string
}

// PairChanged is a pair a SetPairs changed, with what it held before ("":
// nothing).
type PairChanged struct {
	Table, Key, Old, New string
}

// Pairing is the company's pairing for connector, empty when nothing is
// paired.
func (d *DB) Pairing(ctx context.Context, companyID int64, connector string) (connectors.Pairing, error) {
	var rows []Pair
	err := d.gorm.WithContext(ctx).Where("company_id = ? AND connector = ?", companyID, connector).
		Order("pair_table, source_key").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("pairing of company %d for %s: %w", companyID, connector, err)
	}
	p := connectors.Pairing{}
	for _, r := range rows {
		p.Set(r.PairTable, r.SourceKey, r.Value)
	}
	return p, nil
}

// SetPairs sets the company's pairs for connector, all or none, and
// audits each pair it changes with e (its actor, address), old → new;
// a pair that already holds its value is left alone. It returns what
// changed, in order. A part longer than its column is an error: the
// caller checks what people typed first.
func (d *DB) SetPairs(ctx context.Context, companyID int64, connector string, changes []PairChange, e AuditEvent) ([]PairChanged, error) {
	for _, c := range changes {
		if c.Table == "" || c.Key == "" || len(c.Table) > PairTableMax || len(c.Key) > PairKeyMax || len(c.Value) > PairValueMax {
			return nil, fmt.Errorf("pair %q %q: empty or too long", c.Table, c.Key)
		}
	}
	var out []PairChanged
	err := d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		out = nil
		for _, c := range changes {
			ch, changed, err := d.setPair(tx, companyID, connector, c, e)
			if err != nil {
				return err
			}
			if changed {
				out = append(out, ch)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// setPair sets one pair in tx and audits it, when it changes.
func (d *DB) setPair(tx *gorm.DB, companyID int64, connector string, c PairChange, e AuditEvent) (PairChanged, bool, error) {
	where := tx.Where("company_id = ? AND connector = ? AND pair_table = ? AND source_key = ?", companyID, connector, c.Table, c.Key)
	var old Pair
	err := where.Take(&old).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
	case err != nil:
		return PairChanged{}, false, fmt.Errorf("read pair %s/%s: %w", c.Table, c.Key, err)
	}
	if old.Value == c.Value {
		return PairChanged{}, false, nil
	}
	row := Pair{CompanyID: companyID, Connector: connector, PairTable: c.Table, SourceKey: c.Key, Value: c.Value,
		UpdatedByID: e.UserID, UpdatedBy: truncate(e.Actor, 254), UpdatedAt: d.now().UTC()}
	switch {
	case c.Value == "":
		err = tx.Delete(&row).Error
	case old.Value == "":
		err = tx.Create(&row).Error
	default:
		err = tx.Save(&row).Error
	}
	if err != nil {
		return PairChanged{}, false, fmt.Errorf("set pair %s/%s: %w", c.Table, c.Key, err)
	}
	e.Action, e.CompanyID, e.Target = AuditPairingChange, &companyID, connector
	e.Detail = fmt.Sprintf("table=%s key=%s old=%s new=%s", c.Table, c.Key, old.Value, c.Value)
	if err := d.auditIn(tx, e); err != nil {
		return PairChanged{}, false, err
	}
	return PairChanged{Table: c.Table, Key: c.Key, Old: old.Value, New: c.Value}, true, nil
}
