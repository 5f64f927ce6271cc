package db

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The statuses of an uploaded order.
const (
	// ImportInvalid: it has errors; it cannot be sent.
	ImportInvalid = "invalid"
	// ImportReady: it may be sent.
	ImportReady = "ready"
	// ImportDuplicate: the same order (key and content) was sent before;
	// it is sent only when a person asks to send it again.
	ImportDuplicate = "duplicate"
	// ImportQueued: a send was asked for and has not reached it yet.
	ImportQueued = "queued"
	// ImportSending: it is being sent now.
	ImportSending = "sending"
	// ImportAccepted, ImportRefused: the upstream's answer.
	ImportAccepted = "accepted"
	ImportRefused  = "refused"
	// ImportUnknown: sent, and the answer was lost; it may exist upstream.
	ImportUnknown = "unknown"
	// ImportNotSent: sending failed before it left Bilag.
	ImportNotSent = "not_sent"
)

// The audit actions of the import pages: an admin changed a company's
// allowed private hosts; someone sent a batch of orders.
const (
	AuditPrivateHosts = "private_hosts"
	AuditImportSend   = "import_send"
	// AuditInvoiceAction: someone acted on an invoice sent (its status,
	// a comment, a delete); Target is the connector, Detail names the
	// order, the upstream's key, the action and the outcome.
	AuditInvoiceAction = "invoice_action"
	// AuditRecordAction: someone acted on a record beside a voucher
	// (Netvisor: delivered or billed an order); Target is the connector,
	// Detail names the record, the upstream's key, the action, the
	// outcome and whether a lost answer was settled by reading.
	AuditRecordAction = "record_action"
)

// ImportBatch is one upload (a file, or the one-order form) of a company's
// orders to one connection.
type ImportBatch struct {
	ID            int64  `gorm:"primaryKey"`
	CompanyID     int64  `gorm:"not null;index"`
	Connector     string `gorm:"size:32;not null"`
	Source        string `gorm:"size:200;not null;default:''"`
	Target        string `gorm:"size:500;not null;default:''"`
	CreatedBy     *int64
	CreatedByName string `gorm:"size:254;not null;default:''"`
	CreatedAt     time.Time
	// Format is what the upload was read as ("invoice.json",
	// "enterprise.csv", "form"); "" before step 17.
	Format string `gorm:"size:32;not null;default:''"`
	// Preflight is what the last pre-flight found against the target
	// company, as JSON; "" when it found nothing. Nothing of the upload is
	// sent while it holds a finding.
	Preflight string `gorm:"size:60000;not null;default:''"`
	// IntegrationTokenID is the integration token that sent the batch
	// through the API (step 19); nil for every other source.
	IntegrationTokenID *int64 `gorm:"index"`
}

// ImportOrder is one order of an upload, what was found in it, and what
// became of sending it. The order itself is kept sealed (it holds
// customers' personal numbers).
type ImportOrder struct {
	ID        int64  `gorm:"primaryKey"`
	BatchID   int64  `gorm:"not null;index"`
	CompanyID int64  `gorm:"not null;index:idx_import_order_key"`
	Connector string `gorm:"size:32;not null;index:idx_import_order_key"`
	OrderKey  string `gorm:"size:200;not null;index:idx_import_order_key"`
	Digest    string `gorm:"size:64;not null;default:'';index:idx_import_order_key"`
	// Position is the order's place in its upload.
	Position int    `gorm:"not null"`
	Label    string `gorm:"size:200;not null;default:''"`
	Summary  string `gorm:"size:200;not null;default:''"`
	Lines    int    `gorm:"not null;default:0"`
	Total    int64  `gorm:"not null;default:0"`
	// Findings is the connector's findings as JSON.
	Findings      string `gorm:"size:60000;not null;default:''"`
	Errors        int    `gorm:"not null;default:0"`
	Warnings      int    `gorm:"not null;default:0"`
	Status        string `gorm:"size:16;not null;index"`
	SendAgain     bool   `gorm:"not null;default:false"`
	AnswerCode    string `gorm:"size:32;not null;default:''"`
	AnswerMessage string `gorm:"size:500;not null;default:''"`
	Target        string `gorm:"size:500;not null;default:''"`
	SentBy        *int64
	SentByName    string `gorm:"size:254;not null;default:''"`
	SentAt        *time.Time
	BodyKeyID     string `gorm:"size:32;not null;default:''"`
	BodySealed    []byte
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// BodyFormat is the sealed body's format: BodyInvoice, or "" for the
	// connector's own JSON (uploads before step 17).
	BodyFormat string `gorm:"size:16;not null;default:''"`
	// AnswerRef is what the upstream calls what it made (a booked
	// invoice's number), when it said.
	AnswerRef string `gorm:"size:100;not null;default:''"`
}

// BodyInvoice is the BodyFormat of a neutral connectors.Invoice stored as
// its JSON (without its PDF, which is an ImportDocument).
const BodyInvoice = "invoice"

// The kinds of an exchange with the upstream about an order.
const (
	AttemptSend   = "send"
	AttemptLookup = "lookup"
	// AttemptAction prefixes an action on an invoice sent and accepted
	// ("act:delete"; connectors.SentInvoiceActions): its outcome is
	// ImportAccepted, ImportRefused or ImportUnknown.
	AttemptAction = "act:"
)

// The outcomes of a look-up (a send's are the order's statuses).
const (
	LookupFound  = "found"
	LookupAbsent = "absent"
)

// ImportAttempt is one exchange with the upstream about an order: a send
// and what came of it, or a look-up of one whose answer was lost. An
// order's attempts are its history.
type ImportAttempt struct {
	ID        int64  `gorm:"primaryKey"`
	OrderID   int64  `gorm:"not null;index"`
	BatchID   int64  `gorm:"not null;index"`
	CompanyID int64  `gorm:"not null"`
	Kind      string `gorm:"size:16;not null"`
	// Outcome is the order's status after a send (accepted, refused,
	// unknown, not_sent), or LookupFound, LookupAbsent.
	Outcome   string `gorm:"size:16;not null"`
	Code      string `gorm:"size:32;not null;default:''"`
	Message   string `gorm:"size:500;not null;default:''"`
	Reference string `gorm:"size:100;not null;default:''"`
	Target    string `gorm:"size:500;not null;default:''"`
	ByID      *int64
	ByName    string    `gorm:"size:254;not null;default:''"`
	At        time.Time `gorm:"not null"`
}

// ImportDocument is the PDF of an order's invoice as the source sent it,
// sealed like the order.
type ImportDocument struct {
	OrderID     int64  `gorm:"primaryKey;autoIncrement:false"`
	FileName    string `gorm:"size:200;not null;default:''"`
	ContentType string `gorm:"size:100;not null;default:''"`
	Size        int64  `gorm:"not null;default:0"`
	SHA256      string `gorm:"size:64;not null;default:''"`
	KeyID       string `gorm:"size:32;not null;default:''"`
	Sealed      []byte
	CreatedAt   time.Time
}

// ImportContent is what is kept sealed of one order: its body (nil for an
// order with errors) and its invoice's PDF, when there is one.
type ImportContent struct {
	Body    []byte
	PDFName string
	PDF     []byte
}

// PrivateHost is a host on a private network an admin allowed one
// company's connections to reach (the customer's own server, over VPN).
type PrivateHost struct {
	CompanyID int64  `gorm:"primaryKey;autoIncrement:false"`
	Host      string `gorm:"primaryKey;size:253"`
	AddedBy   string `gorm:"size:254;not null;default:''"`
	CreatedAt time.Time
}

func orderAAD(batchID int64, pos int) []byte {
	return []byte("bilag import order " + strconv.FormatInt(batchID, 10) + "/" + strconv.Itoa(pos))
}

func documentAAD(orderID int64) []byte {
	return []byte("bilag import document " + strconv.FormatInt(orderID, 10))
}

// CreateImportBatch stores an upload and its orders; contents[i] is sealed
// into orders[i] and its PDF.
func (d *DB) CreateImportBatch(ctx context.Context, b *ImportBatch, orders []ImportOrder, contents []ImportContent) error {
	if d.keys == nil {
		return errors.New("seal import orders: no keyring configured")
	}
	return d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(b).Error; err != nil {
			return fmt.Errorf("create import batch: %w", err)
		}
		for i := range orders {
			o := &orders[i]
			o.BatchID, o.CompanyID, o.Connector, o.Position = b.ID, b.CompanyID, b.Connector, i
			if body := contents[i].Body; body != nil {
				kid, ct, err := d.keys.Seal(body, orderAAD(b.ID, i))
				if err != nil {
					return fmt.Errorf("seal import order: %w", err)
				}
				o.BodyKeyID, o.BodySealed = kid, ct
			}
			if err := tx.Create(o).Error; err != nil {
				return fmt.Errorf("create import order: %w", err)
			}
			if pdf := contents[i].PDF; pdf != nil {
				kid, ct, err := d.keys.Seal(pdf, documentAAD(o.ID))
				if err != nil {
					return fmt.Errorf("seal import document: %w", err)
				}
				sum := sha256.Sum256(pdf)
				doc := ImportDocument{OrderID: o.ID, FileName: truncate(contents[i].PDFName, 200), ContentType: "application/pdf",
					Size: int64(len(pdf)), SHA256: hex.EncodeToString(sum[:]), KeyID: kid, Sealed: ct, CreatedAt: d.now().UTC()}
				if err := tx.Create(&doc).Error; err != nil {
					return fmt.Errorf("create import document: %w", err)
				}
			}
		}
		return nil
	})
}

// ImportPDF opens the PDF kept with an order; ErrNotFound when it has none.
func (d *DB) ImportPDF(ctx context.Context, orderID int64) (*ImportDocument, []byte, error) {
	var doc ImportDocument
	if err := d.gorm.WithContext(ctx).Where("order_id = ?", orderID).First(&doc).Error; err != nil {
		return nil, nil, fmt.Errorf("import document of order %d: %w", orderID, notFound(err))
	}
	if d.keys == nil {
		return nil, nil, errors.New("open import document: no keyring configured")
	}
	b, err := d.keys.Open(doc.KeyID, doc.Sealed, documentAAD(orderID))
	if err != nil {
		return nil, nil, fmt.Errorf("open import document of order %d: %w", orderID, err)
	}
	doc.Sealed = nil
	return &doc, b, nil
}

// ImportDocumentsOf are the PDFs kept with a batch's orders, by order,
// without their contents.
func (d *DB) ImportDocumentsOf(ctx context.Context, batchID int64) (map[int64]ImportDocument, error) {
	var docs []ImportDocument
	err := d.gorm.WithContext(ctx).Omit("sealed").
		Where("order_id IN (?)", d.gorm.Model(&ImportOrder{}).Select("id").Where("batch_id = ?", batchID)).Find(&docs).Error
	if err != nil {
		return nil, fmt.Errorf("import documents of batch %d: %w", batchID, err)
	}
	out := make(map[int64]ImportDocument, len(docs))
	for _, doc := range docs {
		out[doc.OrderID] = doc
	}
	return out, nil
}

// SetImportPreflight records what a batch's pre-flight found ("": nothing).
func (d *DB) SetImportPreflight(ctx context.Context, batchID int64, findings string) error {
	err := d.gorm.WithContext(ctx).Model(&ImportBatch{}).Where("id = ?", batchID).Update("preflight", findings).Error
	if err != nil {
		return fmt.Errorf("import batch %d pre-flight: %w", batchID, err)
	}
	return nil
}

// RecordImportAttempt adds an exchange to an order's history.
func (d *DB) RecordImportAttempt(ctx context.Context, a *ImportAttempt) error {
	if err := d.gorm.WithContext(ctx).Create(d.attempt(a)).Error; err != nil {
		return fmt.Errorf("record import attempt of order %d: %w", a.OrderID, err)
	}
	return nil
}

func (d *DB) attempt(a *ImportAttempt) *ImportAttempt {
	a.Code, a.Message, a.Reference = truncate(a.Code, 32), truncate(a.Message, 500), truncate(a.Reference, 100)
	a.Target, a.ByName = truncate(a.Target, 500), truncate(a.ByName, 254)
	if a.At.IsZero() {
		a.At = d.now().UTC()
	}
	return a
}

// FinishImportSend records what came of an order being sent (a send's
// answer, or a look-up that found it): the order's status and answer, and
// the exchange in its history, at once.
func (d *DB) FinishImportSend(ctx context.Context, orderID int64, status string, a ImportAttempt) error {
	a.OrderID = orderID
	return d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var o ImportOrder
		if err := tx.Select("id", "batch_id", "company_id").Where("id = ?", orderID).First(&o).Error; err != nil {
			return fmt.Errorf("finish import order %d: %w", orderID, notFound(err))
		}
		a.BatchID, a.CompanyID = o.BatchID, o.CompanyID
		err := tx.Model(&ImportOrder{}).Where("id = ? AND status = ?", orderID, ImportSending).
			Updates(map[string]any{"status": status, "answer_code": truncate(a.Code, 32), "answer_message": truncate(a.Message, 500),
				"answer_ref": truncate(a.Reference, 100), "updated_at": d.now().UTC()}).Error
		if err != nil {
			return fmt.Errorf("finish import order %d: %w", orderID, err)
		}
		if err := tx.Create(d.attempt(&a)).Error; err != nil {
			return fmt.Errorf("record import attempt of order %d: %w", orderID, err)
		}
		return nil
	})
}

// ImportAttemptsOf is every exchange about a batch's orders, oldest first.
func (d *DB) ImportAttemptsOf(ctx context.Context, batchID int64) ([]ImportAttempt, error) {
	var as []ImportAttempt
	if err := d.gorm.WithContext(ctx).Where("batch_id = ?", batchID).Order("id").Find(&as).Error; err != nil {
		return nil, fmt.Errorf("import attempts of batch %d: %w", batchID, err)
	}
	return as, nil
}

// ImportOrderBody opens o's sealed order.
func (d *DB) ImportOrderBody(o *ImportOrder) ([]byte, error) {
	if len(o.BodySealed) == 0 || d.keys == nil {
		return nil, fmt.Errorf("import order %d has no body: %w", o.ID, ErrNotFound)
	}
	b, err := d.keys.Open(o.BodyKeyID, o.BodySealed, orderAAD(o.BatchID, o.Position))
	if err != nil {
		return nil, fmt.Errorf("open import order %d: %w", o.ID, err)
	}
	return b, nil
}

// PreviousImport is the latest order of the company's connector with the
// same key and digest that was sent, or may have been (accepted, unknown,
// being sent); nil when there is none.
func (d *DB) PreviousImport(ctx context.Context, companyID int64, connector, key, digest string, except int64) (*ImportOrder, error) {
	var o ImportOrder
	err := d.gorm.WithContext(ctx).
		Where("company_id = ? AND connector = ? AND order_key = ? AND digest = ? AND id <> ? AND status IN ?",
			companyID, connector, key, digest, except, []string{ImportAccepted, ImportUnknown, ImportSending}).
		Order("id DESC").Limit(1).Find(&o).Error
	if err != nil {
		return nil, fmt.Errorf("previous import: %w", err)
	}
	if o.ID == 0 {
		return nil, nil
	}
	return &o, nil
}

// SentImports hands each order the company's connector sent, or may have
// sent (accepted, unknown, being sent), to each, oldest first: its upload,
// the upload's source and the order as stored, with its BodyFormat. A connector reads them for
// what its upstream takes only once (Enterprise's serial numbers). The
// bodies are sealed, so they are opened here, a page at a time; each's
// error ends the walk and is returned.
func (d *DB) SentImports(ctx context.Context, companyID int64, connector string, each func(batchID int64, source, format string, body []byte) error) error {
	var bs []ImportBatch
	if err := d.gorm.WithContext(ctx).Select("id", "source").Where("company_id = ? AND connector = ?", companyID, connector).
		Find(&bs).Error; err != nil {
		return fmt.Errorf("sent imports' batches: %w", err)
	}
	sources := make(map[int64]string, len(bs))
	for _, b := range bs {
		sources[b.ID] = b.Source
	}
	var page []ImportOrder
	var failed error
	res := d.gorm.WithContext(ctx).Select("id", "batch_id", "position", "body_key_id", "body_sealed", "body_format").
		Where("company_id = ? AND connector = ? AND status IN ? AND body_sealed IS NOT NULL", companyID, connector,
			[]string{ImportAccepted, ImportUnknown, ImportSending}).
		FindInBatches(&page, 200, func(*gorm.DB, int) error {
			for i := range page {
				body, err := d.ImportOrderBody(&page[i])
				if err == nil {
					err = each(page[i].BatchID, sources[page[i].BatchID], page[i].BodyFormat, body)
				}
				if err != nil {
					failed = err
					return err
				}
			}
			return nil
		})
	if failed != nil {
		return fmt.Errorf("sent imports of company %d: %w", companyID, failed)
	}
	if res.Error != nil {
		return fmt.Errorf("sent imports of company %d: %w", companyID, res.Error)
	}
	return nil
}

// ImportBatchOf is a company's upload with its orders in upload order.
func (d *DB) ImportBatchOf(ctx context.Context, companyID, batchID int64) (*ImportBatch, []ImportOrder, error) {
	var b ImportBatch
	if err := d.gorm.WithContext(ctx).Where("id = ? AND company_id = ?", batchID, companyID).First(&b).Error; err != nil {
		return nil, nil, fmt.Errorf("import batch %d: %w", batchID, notFound(err))
	}
	var os []ImportOrder
	if err := d.gorm.WithContext(ctx).Where("batch_id = ?", b.ID).Order("position").Find(&os).Error; err != nil {
		return nil, nil, fmt.Errorf("import orders of batch %d: %w", batchID, err)
	}
	return &b, os, nil
}

// ImportHistory is the company's orders that were sent, or tried, newest
// first, and its uploads, newest first.
func (d *DB) ImportHistory(ctx context.Context, companyID int64, limit int) ([]ImportOrder, []ImportBatch, error) {
	var os []ImportOrder
	err := d.gorm.WithContext(ctx).Omit("body_sealed").
		Where("company_id = ? AND sent_at IS NOT NULL", companyID).Order("sent_at DESC, id DESC").Limit(limit).Find(&os).Error
	if err != nil {
		return nil, nil, fmt.Errorf("import history: %w", err)
	}
	var bs []ImportBatch
	if err := d.gorm.WithContext(ctx).Where("company_id = ?", companyID).Order("id DESC").Limit(limit).Find(&bs).Error; err != nil {
		return nil, nil, fmt.Errorf("import batches: %w", err)
	}
	return os, bs, nil
}

// QueueImportOrders marks which of a batch's orders a person asked to send,
// and who: those that may be sent without asking, and among the others
// (sent before, or with an unknown outcome) those in again. It returns how
// many orders of the batch are waiting to be sent.
func (d *DB) QueueImportOrders(ctx context.Context, batchID int64, again []int64, userID *int64, userName string) (int, error) {
	n := int64(0)
	by := map[string]any{"status": ImportQueued, "sent_by": userID, "sent_by_name": truncate(userName, 254), "updated_at": d.now().UTC()}
	err := d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if len(again) > 0 {
			ticked := map[string]any{"send_again": true}
			for k, v := range by {
				ticked[k] = v
			}
			if err := tx.Model(&ImportOrder{}).Where("batch_id = ? AND id IN ? AND status IN ?", batchID, again,
				[]string{ImportDuplicate, ImportUnknown}).Updates(ticked).Error; err != nil {
				return err
			}
		}
		if err := tx.Model(&ImportOrder{}).Where("batch_id = ? AND status IN ?", batchID, []string{ImportReady, ImportNotSent}).
			Updates(by).Error; err != nil {
			return err
		}
		return tx.Model(&ImportOrder{}).Where("batch_id = ? AND status = ?", batchID, ImportQueued).Count(&n).Error
	})
	if err != nil {
		return 0, fmt.Errorf("queue import orders of batch %d: %w", batchID, err)
	}
	return int(n), nil
}

// QueuedImportOrders are a batch's orders waiting to be sent, in upload order.
func (d *DB) QueuedImportOrders(ctx context.Context, batchID int64) ([]ImportOrder, error) {
	var os []ImportOrder
	if err := d.gorm.WithContext(ctx).Where("batch_id = ? AND status = ?", batchID, ImportQueued).Order("position").Find(&os).Error; err != nil {
		return nil, fmt.Errorf("queued import orders of batch %d: %w", batchID, err)
	}
	return os, nil
}

// RequeueAsDuplicate puts a queued order back as sent before: the same
// order was sent meanwhile, and nobody asked to send it again.
func (d *DB) RequeueAsDuplicate(ctx context.Context, id int64) error {
	err := d.gorm.WithContext(ctx).Model(&ImportOrder{}).Where("id = ? AND status = ?", id, ImportQueued).
		Update("status", ImportDuplicate).Error
	if err != nil {
		return fmt.Errorf("requeue import order %d: %w", id, err)
	}
	return nil
}

// ClaimImportOrder takes a queued order for sending: one conditional
// UPDATE, so two senders never both send it.
func (d *DB) ClaimImportOrder(ctx context.Context, id int64, target string) (bool, error) {
	now := d.now().UTC()
	res := d.gorm.WithContext(ctx).Model(&ImportOrder{}).Where("id = ? AND status = ?", id, ImportQueued).
		Updates(map[string]any{"status": ImportSending, "sent_at": now, "target": truncate(target, 500),
			"answer_code": "", "answer_message": "", "updated_at": now})
	if res.Error != nil {
		return false, fmt.Errorf("claim import order %d: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// FinishImportOrder records what came of sending an order.
func (d *DB) FinishImportOrder(ctx context.Context, id int64, status, code, message string) error {
	err := d.gorm.WithContext(ctx).Model(&ImportOrder{}).Where("id = ? AND status = ?", id, ImportSending).
		Updates(map[string]any{"status": status, "answer_code": truncate(code, 32), "answer_message": truncate(message, 500),
			"updated_at": d.now().UTC()}).Error
	if err != nil {
		return fmt.Errorf("finish import order %d: %w", id, err)
	}
	return nil
}

// UnknownImportSends turns a batch's orders left "sending" by a sender that
// stopped into what they are: sent, with an unknown outcome, which their
// history says. Only the holder of the batch's sending lease may call it.
func (d *DB) UnknownImportSends(ctx context.Context, batchID int64) error {
	err := d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var stale []ImportOrder
		if err := tx.Select("id", "batch_id", "company_id", "target", "sent_by", "sent_by_name").
			Where("batch_id = ? AND status = ?", batchID, ImportSending).Find(&stale).Error; err != nil {
			return err
		}
		for _, o := range stale {
			a := ImportAttempt{OrderID: o.ID, BatchID: o.BatchID, CompanyID: o.CompanyID, Kind: AttemptSend, Outcome: ImportUnknown,
				Code: "stopped", Target: o.Target, ByID: o.SentBy, ByName: o.SentByName}
			if err := tx.Create(d.attempt(&a)).Error; err != nil {
				return err
			}
		}
		return tx.Model(&ImportOrder{}).Where("batch_id = ? AND status = ?", batchID, ImportSending).
			Update("status", ImportUnknown).Error
	})
	if err != nil {
		return fmt.Errorf("unknown import sends of batch %d: %w", batchID, err)
	}
	return nil
}

// UnqueueImportOrders turns a batch's orders still waiting into not sent
// (sending stopped before them). Only the holder of the batch's sending
// lease may call it.
func (d *DB) UnqueueImportOrders(ctx context.Context, batchID int64) error {
	err := d.gorm.WithContext(ctx).Model(&ImportOrder{}).Where("batch_id = ? AND status = ?", batchID, ImportQueued).
		Update("status", ImportNotSent).Error
	if err != nil {
		return fmt.Errorf("unqueue import orders of batch %d: %w", batchID, err)
	}
	return nil
}

// PrivateHostAllowed reports whether an admin allowed host for the company.
func (d *DB) PrivateHostAllowed(ctx context.Context, companyID int64, host string) (bool, error) {
	var n int64
	err := d.gorm.WithContext(ctx).Model(&PrivateHost{}).Where("company_id = ? AND host = ?", companyID, strings.ToLower(host)).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("private hosts: %w", err)
	}
	return n > 0, nil
}

// PrivateHostsOf lists a company's allowed private hosts.
func (d *DB) PrivateHostsOf(ctx context.Context, companyID int64) ([]PrivateHost, error) {
	var hs []PrivateHost
	if err := d.gorm.WithContext(ctx).Where("company_id = ?", companyID).Order("host").Find(&hs).Error; err != nil {
		return nil, fmt.Errorf("private hosts: %w", err)
	}
	return hs, nil
}

// SetPrivateHosts replaces a company's allowed private hosts.
func (d *DB) SetPrivateHosts(ctx context.Context, companyID int64, hosts []string, by string) error {
	return d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("company_id = ?", companyID).Delete(&PrivateHost{}).Error; err != nil {
			return fmt.Errorf("clear private hosts: %w", err)
		}
		now := d.now().UTC()
		for _, h := range hosts {
			row := PrivateHost{CompanyID: companyID, Host: strings.ToLower(h), AddedBy: truncate(by, 254), CreatedAt: now}
			if err := tx.Create(&row).Error; err != nil {
				return fmt.Errorf("add private host: %w", err)
			}
		}
		return nil
	})
}

// ResealImportOrders re-encrypts every stored order, and every invoice's
// PDF, under the current key (after a key rotation, with Reseal); it
// returns how many.
func (d *DB) ResealImportOrders(ctx context.Context) (int, error) {
	if d.keys == nil {
		return 0, errors.New("reseal import orders: no keyring configured")
	}
	var os []ImportOrder
	err := d.gorm.WithContext(ctx).Select("id", "batch_id", "position", "body_key_id", "body_sealed").
		Where("body_sealed IS NOT NULL AND body_key_id <> ?", d.keys.CurrentID()).Find(&os).Error
	if err != nil {
		return 0, fmt.Errorf("list sealed import orders: %w", err)
	}
	n := 0
	for i := range os {
		o := &os[i]
		body, err := d.ImportOrderBody(o)
		if err != nil {
			return n, err
		}
		kid, ct, err := d.keys.Seal(body, orderAAD(o.BatchID, o.Position))
		if err != nil {
			return n, fmt.Errorf("reseal import order %d: %w", o.ID, err)
		}
		res := d.gorm.WithContext(ctx).Model(&ImportOrder{}).Where("id = ? AND body_key_id = ?", o.ID, o.BodyKeyID).
			Updates(map[string]any{"body_key_id": kid, "body_sealed": ct})
		if res.Error != nil {
			return n, fmt.Errorf("reseal import order %d: %w", o.ID, res.Error)
		}
		n += int(res.RowsAffected)
	}
	m, err := d.resealImportDocuments(ctx)
	return n + m, err
}

// resealImportDocuments is ResealImportOrders for the invoices' PDFs.
func (d *DB) resealImportDocuments(ctx context.Context) (int, error) {
	var docs []ImportDocument
	err := d.gorm.WithContext(ctx).Select("order_id", "key_id", "sealed").
		Where("sealed IS NOT NULL AND key_id <> ?", d.keys.CurrentID()).Find(&docs).Error
	if err != nil {
		return 0, fmt.Errorf("list sealed import documents: %w", err)
	}
	n := 0
	for _, doc := range docs {
		b, err := d.keys.Open(doc.KeyID, doc.Sealed, documentAAD(doc.OrderID))
		if err != nil {
			return n, fmt.Errorf("open import document of order %d: %w", doc.OrderID, err)
		}
		kid, ct, err := d.keys.Seal(b, documentAAD(doc.OrderID))
		if err != nil {
			return n, fmt.Errorf("reseal import document of order %d: %w", doc.OrderID, err)
		}
		res := d.gorm.WithContext(ctx).Model(&ImportDocument{}).Where("order_id = ? AND key_id = ?", doc.OrderID, doc.KeyID).
			Updates(map[string]any{"key_id": kid, "sealed": ct})
		if res.Error != nil {
			return n, fmt.Errorf("reseal import document of order %d: %w", doc.OrderID, res.Error)
		}
		n += int(res.RowsAffected)
	}
	return n, nil
}
