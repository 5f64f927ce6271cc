// Package connectors holds the vocabulary Bilag's Visma connectors share: the
// types the server sees (Company, Voucher, Document, Grant) and small capability
// interfaces. What a connector can do is expressed by which interfaces it
// implements; the server asks with a type assertion and shows only what is there.
//
// Nothing here knows about HTTP sessions, templates or the database.
package connectors

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Connector is implemented by every connector. It is deliberately tiny: what a
// connector can do is told by the capability interfaces below.
type Connector interface {
	// Name is the connector's stable key, e.g. "eaccounting"; it is stored
	// with every connection and appears in routes.
	Name() string
}

// Grant is what an approval yields: the connector's private credential state.
// Data is opaque to everyone but its connector; the database encrypts it at
// rest and the server never looks inside.
type Grant struct {
	Data []byte
	// Expiry is when the access part of Data stops working (zero when it
	// never does). The server refreshes shortly before it.
	Expiry time.Time
	// Scopes are the permissions the grant carries, as the upstream named them.
	Scopes []string
}

// LogValue keeps a careless slog.Any from printing the credentials.
func (g Grant) LogValue() slog.Value {
	return slog.GroupValue(slog.Time("expiry", g.Expiry), slog.Any("scopes", g.Scopes))
}

// String keeps fmt from printing the credentials.
func (g Grant) String() string { return "[grant redacted]" }

// GoString keeps %#v from printing the credentials.
func (g Grant) GoString() string { return "[grant redacted]" }

// RedirectConnector grants access by sending the approver's browser to the
// upstream and back (OAuth 2.0 for eAccounting, a grant-token redirect for
// e-conomic).
type RedirectConnector interface {
	Connector
	// LoginURL is where the approver's browser goes. state is the server's
	// browser-bound value; verifier is a fresh high-entropy secret the
	// connector may use (PKCE) and gets back in HandleCallback.
	LoginURL(callbackURL, state, verifier string) (string, error)
	// HandleCallback turns the query of the upstream's redirect into a grant.
	// The server has already checked state. An upstream refusal is
	// ErrAccessDenied; a response from the wrong issuer is ErrIssuerMismatch.
	HandleCallback(ctx context.Context, callbackURL string, query url.Values, verifier string) (Grant, error)
	// FormOrigins are the origins "give permission" sends the browser to,
	// for the consent page's CSP form-action.
	FormOrigins() []string
}

// LocalizedLogin is a RedirectConnector whose upstream page speaks the
// approver's language: LoginURLIn is LoginURL with the language of Bilag's
// page ("da", "sv", "nb", "en", …), which the connector maps to the
// upstream's own locale or leaves out.
type LocalizedLogin interface {
	LoginURLIn(callbackURL, state, verifier, lang string) (string, error)
}

// Field is one input of a CredentialConnector's form.
type Field struct {
	Name   string
	Label  string
	Secret bool
	// Choices, when set, are the only values the field takes: the form
	// shows a list, never a box to type in (a host the signed requests go
	// to must not be typed).
	Choices []string
	// FromCompany fills the field with the company record's organisation
	// number, shown read-only: the approver cannot change which company
	// the keys must reach.
	FromCompany bool
	// Optional fields may be left empty.
	Optional bool
	// Multiline fields take several lines (lists of codes).
	Multiline bool
	// Checkbox fields are a box to tick (the value "yes"); one that is not
	// Optional must be ticked. Its Label is what the approver confirms.
	Checkbox bool
}

// FormError is what a CredentialConnector's Connect returns (possibly
// wrapped) when what was typed has a specific problem the approver can fix.
// The form shows the connector's text "<connector>.form.<Code>", beside
// Field when it is set, and nothing is stored.
type FormError struct {
	Field string
	Code  string
}

func (e *FormError) Error() string {
	if e.Field == "" {
		return "form: " + e.Code
	}
	return "form: " + e.Field + ": " + e.Code
}

// CredentialConnector grants access by credentials the approver pastes into
// Bilag's form (Netvisor, Visma Enterprise).
type CredentialConnector interface {
	Connector
	Fields() []Field
	Connect(ctx context.Context, values map[string]string) (Grant, error)
}

// OneAtATime is implemented by a connector whose upstream answers one
// request at a time per customer (Netvisor). Bilag fetches none of its
// documents ahead of a person: a prefetch would hold the only turn the
// person's own open needs, and a failure of it would pause the customer.
type OneAtATime interface {
	OneRequestAtATime()
}

// Checker inspects what a fresh grant reaches before Bilag stores it.
type Checker interface {
	// Check returns the company the grant belongs to and every problem that
	// would keep Bilag from reading its vouchers and documents. A transport or
	// upstream fault is an error; a problem found is not.
	Check(ctx context.Context, g Grant) (Verdict, error)
}

// Refresher renews a grant before it expires. Refresh tokens rotate, so the
// caller must persist the returned grant before using it.
type Refresher interface {
	Refresh(ctx context.Context, g Grant) (Grant, error)
}

// Revoker withdraws a grant at the upstream (RFC 7009 for OAuth).
type Revoker interface {
	Revoke(ctx context.Context, g Grant) error
}

// VoucherReader reads the bookkeeping vouchers of the grant's company.
type VoucherReader interface {
	// Vouchers reads one page of vouchers, oldest modification first.
	Vouchers(ctx context.Context, g Grant, q VoucherQuery) (VoucherPage, error)
	// Voucher re-reads one voucher, with its rows, by the Ref this
	// connector gave it.
	Voucher(ctx context.Context, g Grant, ref string) (Voucher, error)
}

// FiscalYearLister lists the company's accounting years, for the vouchers
// page's filter; an upstream without them has none.
type FiscalYearLister interface {
	FiscalYears(ctx context.Context, g Grant) ([]FiscalYear, error)
}

// DocumentReader finds and opens the documents behind a voucher.
type DocumentReader interface {
	// Documents lists the files behind a voucher, wherever the upstream keeps
	// them (on the voucher, its supplier invoice or its customer invoice).
	Documents(ctx context.Context, g Grant, v Voucher) ([]Document, error)
	// OpenDocument streams one document. The caller closes Body.
	OpenDocument(ctx context.Context, g Grant, d Document) (*DocumentStream, error)
}

// InvoiceStateReader reads, in one pass for a sync, the payment status and
// open sum of a company's customer invoices, so that listing a voucher's
// documents need not ask the upstream for them one invoice at a time.
type InvoiceStateReader interface {
	// InvoiceStates reads the invoices modified since (all, when zero).
	InvoiceStates(ctx context.Context, g Grant, since time.Time) ([]InvoiceState, error)
}

// InvoiceState is a customer invoice's payment status and open sum, for
// the document of Kind and ID that Documents lists for it.
type InvoiceState struct {
	Kind, ID string
	// Status is in the upstream's codes (Document.InvoiceStatus).
	Status string
	// OpenSum is in cents, nil when not known.
	OpenSum *int64
}

// Company is the upstream company a grant belongs to.
type Company struct {
	// ExternalID is the upstream's identifier of the company.
	ExternalID string
	Name       string
	// OrgNumber is the organisation number as the upstream gives it.
	OrgNumber string
	// Country is ISO 3166-1 alpha-2.
	Country string
	// Address is the company's address as the upstream holds it; zero
	// where the system gives none.
	Address Address
}

// Address is a postal address as an upstream gives it, field by field,
// not reformatted: Bilag shows it beside the firm's record and never
// copies it over. It stays comparable (no slices), as Company is.
type Address struct {
	// Line1 and Line2 are the street lines (both systems that give an
	// address give two).
	Line1, Line2 string
	PostalCode   string
	City         string
	// Country is as the upstream gives it: a code (eAccounting's
	// CountryCode) or a name (e-conomic's free-text country).
	Country string
}

// IsZero reports whether the upstream gave no address at all.
func (a Address) IsZero() bool { return a == Address{} }

// Trimmed is a with every field trimmed of spaces and a second line
// alone moved up to the first; zero when a holds nothing but a country
// (a system's country code alone is its setting, not an address).
func (a Address) Trimmed() Address {
	t := Address{Line1: strings.TrimSpace(a.Line1), Line2: strings.TrimSpace(a.Line2), PostalCode: strings.TrimSpace(a.PostalCode),
		City: strings.TrimSpace(a.City)}
	if t == (Address{}) {
		return t
	}
	if t.Line1 == "" {
		t.Line1, t.Line2 = t.Line2, ""
	}
	t.Country = strings.TrimSpace(a.Country)
	return t
}

// Verdict is the result of a Check.
type Verdict struct {
	Company Company
	// Approver names the upstream user who approved, when the upstream says.
	Approver string
	Problems []Problem
}

// OK reports whether nothing keeps Bilag from using the grant.
func (v Verdict) OK() bool { return len(v.Problems) == 0 }

// ProblemCode names a reason a grant cannot be used; the server turns each
// into advice for the approver in their language.
type ProblemCode string

// The problems a Check can find.
const (
	// ProblemNoBookkeeping: the company's product has no bookkeeping.
	ProblemNoBookkeeping ProblemCode = "no_bookkeeping"
	// ProblemPermission: the approving user lacks permission in an area.
	ProblemPermission ProblemCode = "permission"
	// ProblemNoCompanyAccess: the user has no access to the company at all.
	ProblemNoCompanyAccess ProblemCode = "no_company_access"
	// ProblemLicence: the user has not accepted the licence agreement.
	ProblemLicence ProblemCode = "licence"
	// ProblemStartGuide: the company's start guide is not completed.
	ProblemStartGuide ProblemCode = "start_guide"
	// ProblemInactive: the company is inactive upstream.
	ProblemInactive ProblemCode = "inactive"
	// ProblemNotReady: the company is not active or its start guide is not
	// completed; the upstream does not say which (RefusedNotReady).
	ProblemNotReady ProblemCode = "not_ready"
	// ProblemMissingScope: the grant lacks a scope Bilag asked for.
	ProblemMissingScope ProblemCode = "missing_scope"
)

// Problem is one thing a Check found wrong.
type Problem struct {
	Code ProblemCode
	// Area is the program area concerned ("vouchers", "attachments",
	// "supplier_invoices", ...), empty when it concerns the whole company.
	Area string
	// Upstream is the upstream's own error code, for the logs and support.
	Upstream string
}

// FiscalYear is one accounting year of a company.
type FiscalYear struct {
	ID        string
	StartDate time.Time
	EndDate   time.Time
}

// VoucherQuery selects a page of vouchers.
type VoucherQuery struct {
	// ModifiedSince, when set, asks only for vouchers modified after it.
	ModifiedSince time.Time
	// Cursor is "" for the first page, then the last page's Next; what it
	// holds is the connector's business.
	Cursor   string
	PageSize int
}

// VoucherPage is one page of vouchers.
type VoucherPage struct {
	Vouchers []Voucher
	// Next is the cursor of the next page, "" after the last.
	Next string
	// Total is how many vouchers the query has in all, -1 when the
	// upstream does not say.
	Total int
}

// VoucherKind is what a voucher is, in words every upstream shares: what a
// person filters by and reads.
type VoucherKind string

// The voucher kinds.
const (
	KindSupplierInvoice VoucherKind = "supplier_invoice"
	KindCustomerInvoice VoucherKind = "customer_invoice"
	KindReceipt         VoucherKind = "receipt"
	KindBank            VoucherKind = "bank"
	KindManual          VoucherKind = "manual"
	KindOther           VoucherKind = "other"
)

// Kinds lists every VoucherKind.
func Kinds() []VoucherKind {
	return []VoucherKind{KindSupplierInvoice, KindCustomerInvoice, KindReceipt, KindBank, KindManual, KindOther}
}

// Voucher is a booked voucher.
type Voucher struct {
	// Ref identifies the voucher to its connector, which takes it back in
	// Voucher; it is opaque to everyone else.
	Ref string
	// FiscalYear is the FiscalYear.ID the voucher is booked in, "" when
	// the upstream has no fiscal years.
	FiscalYear string
	// Number is the number with its series as the upstream shows it ("A123").
	Number string
	Series string
	Date   time.Time
	Text   string
	// Amount is the voucher's total debit in minor units (öre, cents).
	Amount int64
	Kind   VoucherKind
	// UpstreamType is the upstream's own name of the voucher's type, shown
	// as it is.
	UpstreamType string
	// HasDocuments: the upstream keeps files behind the voucher (on it, or
	// on the invoice it was booked from). The connector decides.
	HasDocuments bool
	// DocumentsUnknown: the upstream's list does not say whether files
	// are behind the voucher until they are fetched, so HasDocuments is a
	// guess; Bilag then never counts the voucher as missing a document.
	DocumentsUnknown bool
	ModifiedAt       time.Time
	Rows             []VoucherRow
	// Data is the connector's own, like Grant.Data: what its Documents
	// needs of the voucher. It is not kept in Bilag's index.
	Data []byte
}

// VoucherRow is one accounting row. Amounts are in minor units.
type VoucherRow struct {
	Account     string
	AccountName string
	Debit       int64
	Credit      int64
	Text        string
	// Dimensions are what the row is booked on besides its account
	// (department, project, cost centre), as its upstream gives them.
	Dimensions []Dimension
}

// Document is a file behind a voucher.
type Document struct {
	// ID identifies the document for OpenDocument; with Kind it is stable.
	ID string
	// Kind says where the upstream keeps it ("attachment", "customer_invoice").
	Kind        string
	FileName    string
	ContentType string
	// InvoiceStatus is, for a customer invoice's own document, the
	// invoice's payment status in the upstream's codes (Netvisor: open,
	// overdue, reminded, requested, collected, paid, unsent, creditloss,
	// rejected); "" when not known, as when an InvoiceStateReader gives
	// it with the sync instead.
	InvoiceStatus string
	// OpenSum is that invoice's unpaid sum in cents, nil when not known.
	OpenSum *int64
	// DueDate is when that invoice falls due, zero when not known.
	DueDate time.Time
}

// ContentTypeRecord is the ContentType of a Document that is no file but a
// record the upstream keeps beside the voucher (Netvisor: an order related
// to a sales invoice). It is never streamed or cached: the server shows it
// as a page read through a RecordReader.
const ContentTypeRecord = "application/x-bilag-record"

// RecordReader reads a Document of ContentTypeRecord: a record the
// upstream keeps beside a voucher, shown as a page.
type RecordReader interface {
	Record(ctx context.Context, g Grant, d Document) (Record, error)
}

// RecordActions is implemented by a RecordReader whose upstream lets Bilag
// act on a record (Netvisor: deliver, or bill and deliver, an order). The
// portal offers the actions to those who manage the company, asks them to
// confirm, then calls ActOnRecord once. Each action is a write into the
// client's books: never retried, by the connector or above it.
type RecordActions interface {
	RecordReader
	// RecordActions name what may be done to the record as read now, in
	// the order to offer them (none: nothing). The connector's catalogue
	// words each as "<connector>.record.act.<name>".
	RecordActions(rec Record) []string
	// ActOnRecord reads the record, takes the action once if the record
	// still allows it (else an error wrapping ErrActionInput, nothing
	// sent), and says what came of it. An answer lost is settled by
	// reading the record again: taken is Accepted and Settled; not taken
	// is ErrNotTaken; unreadable is the lost answer's error (AnswerLost).
	ActOnRecord(ctx context.Context, g Grant, d Document, action string) (RecordAnswer, error)
}

// RecordAnswer is what came of an action on a record.
type RecordAnswer struct {
	// SendAnswer is the upstream's acceptance or refusal (in words).
	SendAnswer
	// Settled: the answer was lost and reading the record showed the
	// action taken.
	Settled bool
}

// Record is an upstream record in words every upstream shares: a sales
// order related to an invoice. Amounts are in cents.
type Record struct {
	// Kind is "order" (the only one yet).
	Kind     string
	Number   string
	Date     time.Time
	Customer string
	// Status is the upstream's code (Netvisor's orders: archived,
	// undelivered, delivered, billed).
	Status string
	Lines  []RecordLine
	Total  int64
	// Currency is ISO 4217, "" for the company's own.
	Currency string
}

// RecordLine is one line of a Record.
type RecordLine struct {
	Code, Name string
	// Quantity and VatPercent are as the upstream wrote them ("2,5", "24").
	Quantity, VatPercent string
	UnitPrice, Sum       int64
}

// DocumentStream is an opened document. Body must be closed.
type DocumentStream struct {
	Body        io.ReadCloser
	ContentType string
	FileName    string
	// Size is -1 when unknown.
	Size int64
}
