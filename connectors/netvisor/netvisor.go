// Package netvisor connects Bilag to Visma Netvisor (Finland) through its
// XML API: API identifiers the customer creates in Netvisor and pastes into
// Bilag's key form, every request signed with them and Bilag's own partner
// keys (HMAC-SHA256), one request at a time per organisation across every
// Bilag instance, and the vouchers of accountingledger.nv with the files
// behind them: the voucher's attachments, a purchase invoice's image and a
// sales invoice's PDF, all of which arrive base64 inside XML and are
// streamed, never held in memory.
//
// The facts come from shared/reference/other-connectors.md §B; where
// Netvisor documents nothing the choice is marked "inferred" and the
// sandbox package follows it.
package netvisor

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"bilag/connectors"
)

// DefaultHosts are the hosts the form offers when configuration names none:
// isvapi for both test and production keys, integration as the older
// production address.
func DefaultHosts() []string { return []string{"isvapi.netvisor.fi", "integration.netvisor.fi"} }

// Config of the connector.
type Config struct {
	// PartnerID and PartnerKey are Bilag's own, issued by Netvisor's
	// partner support; Sender names the integration in every request.
	PartnerID, PartnerKey, Sender string
	// Hosts are what the form's host list offers: a host name
	// ("isvapi.netvisor.fi", reached over https) or a base URL (the
	// sandbox's "http://127.0.0.1:8090/netvisor"). The approver picks one,
	// never types it, so signed requests cannot be aimed elsewhere.
	Hosts []string
	// Leases queue the requests to one organisation across instances
	// (NewMemoryLeases when nil: one process only).
	Leases connectors.Leaser
	// Stash keeps the attachments an open passes on its way to the one
	// asked for (nil: they are read past and dropped).
	Stash Stash
	// StashDir is where an opened file larger than 256 KiB is read to its
	// end before it is served, so that the organisation's queue is given
	// back at upstream speed, not at the reader's (default os.TempDir()).
	// The file is unlinked as soon as it is open.
	StashDir string
	// Now tells the time; NewTransactionID makes a request's unique id.
	Now              func() time.Time
	NewTransactionID func() string
	// Sleep waits between retries and between looks at a busy queue.
	Sleep connectors.Sleeper
	// CallTimeout bounds a request up to the end of its status; Netvisor
	// asks clients to wait at least 120 s, the default.
	CallTimeout time.Duration
	// QueuePoll is how often a request waiting for its organisation's
	// lease held by another instance looks again (default 250 ms).
	QueuePoll time.Duration
	// Pause is how long an organisation is left alone after a request
	// failed through all its retries (default 5 min).
	Pause time.Duration
	// QueueWait bounds how long a person's request waits for its
	// organisation's queue (another person's large file may hold it for
	// minutes); a sync waits as long as it takes. Default 20 s.
	QueueWait time.Duration
	// HistoryYears is how many calendar years a first sync reads, the
	// current one included (default 7: Finnish bookkeeping is kept six
	// years after the year's end).
	HistoryYears int
	// Observe, when set, is told of every request: the resource, the HTTP
	// status (0 without an answer) and the time to the answer's headers.
	Observe func(endpoint string, status int, d time.Duration)
}

// String keeps fmt from printing the partner key.
func (c Config) String() string {
	return fmt.Sprintf("netvisor.Config{PartnerID: %q, Sender: %q, Hosts: %q, PartnerKey: [redacted]}", c.PartnerID, c.Sender, c.Hosts)
}

// GoString keeps %#v from printing the partner key.
func (c Config) GoString() string { return c.String() }

// LogValue keeps a careless slog.Any from printing the partner key.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("partner_id", c.PartnerID), slog.Any("hosts", c.Hosts))
}

// Connector is the Netvisor connector, safe for concurrent use by every
// company. It holds configuration and the queues, never a customer's keys.
type Connector struct {
	cfg    Config
	client *http.Client
	log    *slog.Logger
	// holder names this instance's lease holds; seq numbers them.
	holder string
	mu     sync.Mutex
	seq    uint64
	queues map[string]chan struct{}
	paused map[string]time.Time
	// limits bound what is read of an answer whole.
	limits limits
}

var (
	_ connectors.CredentialConnector = (*Connector)(nil)
	_ connectors.Checker             = (*Connector)(nil)
	_ connectors.VoucherReader       = (*Connector)(nil)
	_ connectors.DocumentReader      = (*Connector)(nil)
)

// Open validates c, fills in the defaults and returns the connector.
func (c Config) Open(logger *slog.Logger, client *http.Client) (*Connector, error) {
	switch {
	case c.PartnerID == "":
		return nil, errors.New("netvisor: config: partner id is required")
	case c.PartnerKey == "":
		return nil, errors.New("netvisor: config: partner key is required")
	case c.Sender == "":
		return nil, errors.New("netvisor: config: sender is required")
	}
	if len(c.Hosts) == 0 {
		c.Hosts = DefaultHosts()
	}
	c.Hosts = slices.Clone(c.Hosts)
	for _, h := range c.Hosts {
		if _, err := baseURL(h); err != nil {
			return nil, fmt.Errorf("netvisor: config: host %q: %w", h, err)
		}
	}
	if c.Leases == nil {
		c.Leases = connectors.NewMemoryLeases()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.NewTransactionID == nil {
		c.NewTransactionID = newTransactionID
	}
	if c.Sleep == nil {
		c.Sleep = connectors.Sleep
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = 120 * time.Second
	}
	if c.QueuePoll <= 0 {
		c.QueuePoll = 250 * time.Millisecond
	}
	if c.Pause <= 0 {
		c.Pause = 5 * time.Minute
	}
	if c.QueueWait <= 0 {
		c.QueueWait = 20 * time.Second
	}
	if c.StashDir == "" {
		c.StashDir = os.TempDir()
	}
	if c.HistoryYears <= 0 {
		c.HistoryYears = 7
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if client == nil {
		client = &http.Client{}
	}
	// The connector bounds each call itself: a client-wide timeout would
	// cut a 200 MB attachment streaming to a slow browser.
	cl := *client
	cl.Timeout = 0
	// A redirect would carry the signed headers to another URL than the
	// one signed; Netvisor documents none.
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Connector{
		cfg: c, client: &cl, log: logger.With("connector", "netvisor"),
		holder: newTransactionID()[:12], queues: map[string]chan struct{}{}, paused: map[string]time.Time{},
		limits: defaultLimits(),
	}, nil
}

// Name is the connector's stable key.
func (c *Connector) Name() string { return "netvisor" }

// OneRequestAtATime: Netvisor answers one request at a time per
// organisation, so Bilag fetches no document ahead of a person.
func (c *Connector) OneRequestAtATime() {}

// Hosts are the hosts the form offers.
func (c *Connector) Hosts() []string { return slices.Clone(c.cfg.Hosts) }

// baseURL is where a configured host's resources live, without a trailing
// slash.
func baseURL(host string) (string, error) {
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	u, err := url.Parse(strings.TrimRight(host, "/"))
	if err != nil {
		return "", err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return "", errors.New("not a host name or an absolute http(s) base URL")
	}
	return u.String(), nil
}

func newTransactionID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand does not fail
	return hex.EncodeToString(b)
}

// credentials are a grant's data: the customer's API identifiers, the
// organisation they were validated against and the host chosen.
type credentials struct {
	CustomerID  string `json:"c"`
	CustomerKey string `json:"k"`
	OrgID       string `json:"o"`
	Host        string `json:"h"`
}

// String keeps fmt from printing the customer key.
func (c credentials) String() string { return "netvisor credentials " + c.CustomerID + "@" + c.OrgID }

func readGrant(g connectors.Grant) (credentials, error) {
	var cr credentials
	if err := json.Unmarshal(g.Data, &cr); err != nil || cr.CustomerID == "" || cr.CustomerKey == "" || cr.OrgID == "" || cr.Host == "" {
		// Not a grant this connector made: only a new approval helps.
		return credentials{}, fmt.Errorf("grant data: %w", connectors.ErrGrantRevoked)
	}
	return cr, nil
}

func (cr credentials) grant() connectors.Grant {
	data, _ := json.Marshal(cr) // strings always marshal
	return connectors.Grant{Data: data}
}
