// Package economic connects Bilag to Visma e-conomic (Denmark, Norway,
// Sweden): the grant-token approval (requestaccess.aspx, which hands back an
// AgreementGrantToken on the redirect URL), a read-only check of what the
// grant reaches, the booked vouchers of the agreement (ledger entries grouped
// by accounting year and voucher number) and the PDFs behind them: voucher
// attachments through the Documents API and booked sales invoices through
// the REST API.
//
// There is no OAuth: every call carries Bilag's X-AppSecretToken and the
// agreement's X-AgreementGrantToken, both secrets. Grant tokens do not
// expire, so there is no refresh; e-conomic has no revocation call either, so
// disconnecting deletes the token and the customer removes the app in
// e-conomic. Every URL is configuration, so the same client talks to
// e-conomic in production and to the sandbox package in tests and demo mode.
//
// The export (Exporter, issue 26) is a second app of Bilag's with its own
// tokens and grants: it writes a front system's invoices into the books as
// booked invoices or as journal vouchers with the invoice PDF, each write
// sent once and a lost answer settled by a look-up.
package economic

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"bilag/connectors"
)

// e-conomic's production endpoints, the defaults of Config.
const (
	DefaultGrantURL = "https://secure.e-conomic.com/secure/api1/requestaccess.aspx"
	DefaultAPIURL   = "https://restapi.e-conomic.com"
	// DefaultDocumentsAPIURL pins the Documents API version the compact
	// spec names (v4.0.1): the version is part of the path and old ones are
	// deprecated, so a new one is taken on purpose, not by accident.
	DefaultDocumentsAPIURL = "https://apis.e-conomic.com/documentsapi/v4.0.1"
)

// Fair use (e-conomic's published policy): 50,000 calls per 24 hours per
// agreement. Bilag keeps well inside it, per UTC day:
//   - DefaultDailyBudget: Bilag's own calls never pass 40,000 a day, leaving
//     a fifth for the agreement's other integrations (which count against the
//     same quota);
//   - DefaultSyncBudget: a sync (a background caller) stops once the day's
//     count reaches 25,000, so that a first sync of a large agreement (one
//     call per 1,000 entries and per 1,000 attached documents) never takes
//     what people opening documents need that day; it resumes the next day.
const (
	DefaultDailyBudget = 40000
	DefaultSyncBudget  = 25000
)

// Config of the connector.
type Config struct {
	// AppPublicToken identifies Bilag's app on the grant page; the token a
	// grant was minted for is checked against it.
	AppPublicToken string
	// AppSecretToken is sent as X-AppSecretToken on every call.
	AppSecretToken string
	// ExportAppPublicToken and ExportAppSecretToken are the export's own
	// e-conomic app (issue 26), so that a firm that only reads never asks
	// for write: its grant page and the secret sent on every export call.
	// Both or neither; without them Exporter is nil.
	ExportAppPublicToken string
	ExportAppSecretToken string
	// GrantURL is requestaccess.aspx.
	GrantURL string
	// APIURL is the REST API's base, without a trailing slash.
	APIURL string
	// DocumentsAPIURL is the Documents API's base, version included.
	DocumentsAPIURL string
	// Calls counts calls per agreement and UTC day, where every instance
	// sees the count (the database); an in-memory counter when nil.
	Calls connectors.CallCounter
	// DailyBudget and SyncBudget bound the day's calls per agreement (see
	// DefaultDailyBudget); zero means the default.
	DailyBudget int
	SyncBudget  int
	// Now tells the time; tests inject it.
	Now func() time.Time
	// Sleep waits between retries (connectors.Sleep when nil).
	Sleep connectors.Sleeper
	// Observe, when set, is told of every call: the endpoint template
	// (never the URL), the status (0 when no answer) and the time taken.
	Observe func(endpoint string, status int, d time.Duration)
	// CallTimeout bounds one call with its body (not a document, which
	// streams at the reader's pace); InteractiveTimeout one operation a
	// person waits for, retries included. Zero means 30 s and 10 s.
	CallTimeout        time.Duration
	InteractiveTimeout time.Duration
}

// String keeps fmt from printing the secret tokens.
func (c Config) String() string {
	return fmt.Sprintf("economic.Config{AppPublicToken: %q, ExportAppPublicToken: %q, APIURL: %q, AppSecretToken: [redacted], ExportAppSecretToken: [redacted]}",
		c.AppPublicToken, c.ExportAppPublicToken, c.APIURL)
}

// GoString keeps %#v from printing the secret tokens.
func (c Config) GoString() string { return c.String() }

// LogValue keeps a careless slog.Any from printing the secret tokens.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("app_public_token", c.AppPublicToken), slog.String("export_app_public_token", c.ExportAppPublicToken),
		slog.String("api_url", c.APIURL))
}

// Connector is the e-conomic connector, safe for concurrent use by every
// company. It holds configuration and a short-lived index of which vouchers
// have documents, never a company's token.
type Connector struct {
	cfg    Config
	client *http.Client
	logger *slog.Logger
	sleep  connectors.Sleeper
	calls  connectors.CallCounter

	// docs caches, per agreement and accounting year, which vouchers have
	// attached documents: one cursor walk of AttachedDocuments serves every
	// page of a sync.
	docsMu sync.Mutex
	docs   map[docsKey]docsIndex
	// yearsOf caches, per agreement, the walk of its accounting years.
	yearsOf map[int64]yearsIndex

	// export is the export app's side, nil when it is not configured;
	// exportConn its receiving connector.
	export     *Exporter
	exportConn *Export
}

var (
	_ connectors.RedirectConnector = (*Connector)(nil)
	_ connectors.Checker           = (*Connector)(nil)
	_ connectors.VoucherReader     = (*Connector)(nil)
	_ connectors.FiscalYearLister  = (*Connector)(nil)
	_ connectors.DocumentReader    = (*Connector)(nil)
)

// Open validates c, fills in the defaults and returns the connector.
func (c Config) Open(logger *slog.Logger, client *http.Client) (*Connector, error) {
	if c.AppPublicToken == "" {
		return nil, errors.New("economic: config: app public token is required")
	}
	if c.AppSecretToken == "" {
		return nil, errors.New("economic: config: app secret token is required")
	}
	if (c.ExportAppPublicToken == "") != (c.ExportAppSecretToken == "") {
		return nil, errors.New("economic: config: the export app needs both its public and its secret token")
	}
	if c.ExportAppPublicToken != "" && c.ExportAppPublicToken == c.AppPublicToken {
		return nil, errors.New("economic: config: the export app must be an app of its own, not the reading app")
	}
	c.GrantURL = orDefault(c.GrantURL, DefaultGrantURL)
	c.APIURL = strings.TrimRight(orDefault(c.APIURL, DefaultAPIURL), "/")
	c.DocumentsAPIURL = strings.TrimRight(orDefault(c.DocumentsAPIURL, DefaultDocumentsAPIURL), "/")
	for _, u := range []struct{ name, value string }{
		{"grant url", c.GrantURL}, {"api url", c.APIURL}, {"documents api url", c.DocumentsAPIURL},
	} {
		if err := checkURL(u.value); err != nil {
			return nil, fmt.Errorf("economic: config: %s: %w", u.name, err)
		}
	}
	if c.DailyBudget <= 0 {
		c.DailyBudget = DefaultDailyBudget
	}
	if c.SyncBudget <= 0 {
		c.SyncBudget = DefaultSyncBudget
	}
	if c.SyncBudget > c.DailyBudget {
		return nil, fmt.Errorf("economic: config: sync budget %d exceeds the daily budget %d", c.SyncBudget, c.DailyBudget)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = 30 * time.Second
	}
	if c.InteractiveTimeout <= 0 {
		c.InteractiveTimeout = 10 * time.Second
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if client == nil {
		client = &http.Client{Timeout: 60 * time.Second}
	}
	calls := c.Calls
	if calls == nil {
		calls = connectors.NewMemoryCalls()
	}
	conn := &Connector{
		cfg: c, client: client, logger: logger.With("connector", "economic"), sleep: c.Sleep, calls: calls,
		docs: map[docsKey]docsIndex{}, yearsOf: map[int64]yearsIndex{},
	}
	if c.ExportAppPublicToken != "" {
		conn.export = newExporter(conn)
		conn.exportConn = newExport(conn.export)
	}
	return conn, nil
}

// Name is the connector's stable key.
func (c *Connector) Name() string { return "economic" }

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	return nil
}

// interactive bounds an operation a person waits for by InteractiveTimeout.
func (c *Connector) interactive(ctx context.Context) (context.Context, context.CancelFunc) {
	if !isInteractive(ctx) {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.cfg.InteractiveTimeout)
}

// isInteractive: the caller passed no other policy than Interactive.
func isInteractive(ctx context.Context) bool {
	return connectors.BackoffOf(ctx) == connectors.Interactive()
}
