// Package sandbox is an in-process stand-in for Visma Netvisor's XML API
// (isvapi.netvisor.fi), served as one http.Handler.
//
// It is written from Netvisor's published rules (shared/reference/
// other-connectors.md §B), not from what suits Bilag's client: every request
// must carry the documented authentication headers and an HMAC-SHA256 MAC
// over the ten documented fields, which the sandbox recomputes on its own;
// a wrong MAC is answered AUTHENTICATION_FAILED quoting the string it
// expected with the keys masked, as Netvisor does; a TransactionId seen
// before is REQUEST_NOT_UNIQUE; answers are ISO-8859-15 XML with decimal
// commas and both date formats (d.M.yyyy and format="ansi").
//
// Where Netvisor documents nothing the sandbox makes a plain choice, marked
// "inferred" in comments: how it answers overlapping requests to one
// organisation, the text of a refusal for a business id the keys do not
// reach or for a package without the API, what
// accountingledger.nv?includeattachmentsmetadata=1 returns, and the element
// that carries a purchase invoice's image.
package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Option changes how a Sandbox behaves.
type Option func(*Sandbox)

// WithPartner sets the software partner's id and key that every request must
// be signed with.
func WithPartner(id, key string) Option {
	return func(s *Sandbox) { s.partnerID, s.partnerKey = id, key }
}

// WithBaseURL is the sandbox's public base (scheme, host and any path
// prefix a proxy strips), from which it rebuilds the URL each MAC covers.
// Without it the URL is http://<Host><path>.
func WithBaseURL(u string) Option {
	return func(s *Sandbox) { s.baseURL = strings.TrimRight(u, "/") }
}

// WithLogger logs each request (resource, organisation, outcome).
func WithLogger(l *slog.Logger) Option {
	return func(s *Sandbox) {
		if l != nil {
			s.log = l
		}
	}
}

// WithNow sets the sandbox's clock.
func WithNow(now func() time.Time) Option { return func(s *Sandbox) { s.now = now } }

// WithLargeAttachment sets the size of the generated attachment of the demo
// organisation's scanned archive voucher (200 MB by default; 0 leaves the
// voucher out).
func WithLargeAttachment(size int64) Option { return func(s *Sandbox) { s.largeSize = size } }

// Default partner credentials of a sandbox built without WithPartner.
const (
	DefaultPartnerID  = "BILAG_SANDBOX_PARTNER"
	DefaultPartnerKey = "sandbox-partner-key"
)

// Sandbox is the stand-in for Netvisor. It is safe for concurrent use.
type Sandbox struct {
	partnerID, partnerKey string
	baseURL               string
	log                   *slog.Logger
	now                   func() time.Time
	largeSize             int64

	mu        sync.Mutex
	customers map[string]*Customer
	orgs      map[string]*Org
	seen      map[string]bool // TransactionIds, across all customers of the partner
	inFlight  map[string]bool // organisations with a request being answered
	calls     map[string]int
	failNext  map[string][]string
	loseNext  map[string]int
	overlaps  int
}

// New builds a sandbox holding the demo world (DemoCustomer, the two
// organisations of DemoOrgs).
func New(opts ...Option) *Sandbox {
	s := &Sandbox{
		partnerID: DefaultPartnerID, partnerKey: DefaultPartnerKey,
		log: slog.New(slog.DiscardHandler), now: time.Now, largeSize: 200 << 20,
		customers: map[string]*Customer{}, orgs: map[string]*Org{},
		seen: map[string]bool{}, inFlight: map[string]bool{}, calls: map[string]int{}, failNext: map[string][]string{}, loseNext: map[string]int{},
	}
	for _, o := range opts {
		o(s)
	}
	s.seed()
	return s
}

// Customer is a Netvisor user's API identifiers and what they reach.
type Customer struct {
	ID, Key string
	// Orgs are the business ids of the companies the user may read.
	Orgs []string
	// Denied are the resources ("salesinvoicelist.nv") an admin has not
	// allowed for the integration.
	Denied map[string]bool
	// Withdrawn: the identifiers were removed in Netvisor.
	Withdrawn bool
}

// AddCustomer registers API identifiers (replacing any with the same id).
func (s *Sandbox) AddCustomer(c Customer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.Denied == nil {
		c.Denied = map[string]bool{}
	}
	s.customers[c.ID] = &c
}

// Withdraw removes a customer's API identifiers, as deleting them in
// Netvisor (or the user losing their rights) does.
func (s *Sandbox) Withdraw(customerID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.customers[customerID]; c != nil {
		c.Withdrawn = true
	}
}

// Deny keeps a customer from a resource; Allow lets it through again.
func (s *Sandbox) Deny(customerID, resource string) { s.setDenied(customerID, resource, true) }

// Allow undoes Deny.
func (s *Sandbox) Allow(customerID, resource string) { s.setDenied(customerID, resource, false) }

func (s *Sandbox) setDenied(customerID, resource string, v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.customers[customerID]; c != nil {
		c.Denied[resource] = v
	}
}

// SetNoAPI makes an organisation's Netvisor package one without the API.
func (s *Sandbox) SetNoAPI(orgID string, v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orgs[orgID]; o != nil {
		o.NoAPI = v
	}
}

// FailNext makes the next calls of resource fail with the given error codes
// ("TECHNICAL_ERROR", "SYSTEM_MAINTANANCE", ...), one call each.
func (s *Sandbox) FailNext(resource string, codes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[resource] = append(s.failNext[resource], codes...)
}

// Calls is how many signed requests for resource were answered (any answer).
func (s *Sandbox) Calls(resource string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[resource]
}

// Overlaps is how many requests arrived while another request to the same
// organisation was being answered.
func (s *Sandbox) Overlaps() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.overlaps
}

// The headers Netvisor reads (support.netvisor.fi 77000577954).
const (
	hSender        = "X-Netvisor-Authentication-Sender"
	hCustomerID    = "X-Netvisor-Authentication-CustomerId"
	hPartnerID     = "X-Netvisor-Authentication-PartnerId"
	hTimestamp     = "X-Netvisor-Authentication-Timestamp"
	hTimestampUnix = "X-Netvisor-Authentication-TimestampUnix"
	hTransactionID = "X-Netvisor-Authentication-TransactionId"
	hMAC           = "X-Netvisor-Authentication-MAC"
	hAlgorithm     = "X-Netvisor-Authentication-MACHashCalculationAlgorithm"
	hStatusCodes   = "X-Netvisor-Authentication-UseHTTPResponseStatusCodes"
	hLanguage      = "X-Netvisor-Interface-Language"
	hOrganisation  = "X-Netvisor-Organisation-ID"
)

// request is one authenticated request.
type request struct {
	resource string
	customer *Customer
	org      *Org
	language string
	codes    bool // UseHTTPResponseStatusCodes
}

func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resource := strings.TrimPrefix(r.URL.Path, "/")
	if !strings.HasSuffix(resource, ".nv") || strings.Contains(resource, "/") {
		http.NotFound(w, r)
		return
	}
	if r.Method != methodOf(resource) {
		// Inferred: Netvisor documents each resource's method only.
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	req, code, msg := s.authenticate(r, resource)
	if code != "" {
		s.log.Info("netvisor sandbox refused", "resource", resource, "code", code)
		writeFailure(w, req.codes, code, msg)
		return
	}
	org := req.org.ID
	s.mu.Lock()
	s.calls[resource]++
	if s.inFlight[org] {
		// Inferred: Netvisor says only that overlapping requests to one
		// customer environment "cause different errors"; the sandbox
		// answers TECHNICAL_ERROR so that a client without a queue fails.
		s.overlaps++
		s.mu.Unlock()
		writeFailure(w, req.codes, "TECHNICAL_ERROR", "Overlapping request to the same customer environment (sandbox: inferred behaviour)")
		return
	}
	var injected string
	if q := s.failNext[resource]; len(q) > 0 {
		injected, s.failNext[resource] = q[0], q[1:]
	}
	lose := s.loseNext[resource] > 0
	if lose {
		s.loseNext[resource]--
	}
	s.inFlight[org] = true
	s.mu.Unlock()
	var done sync.Once
	release := func() {
		done.Do(func() {
			s.mu.Lock()
			delete(s.inFlight, org)
			s.mu.Unlock()
		})
	}
	defer release()
	if injected != "" {
		writeFailure(w, req.codes, injected, "Injected failure")
		return
	}
	s.log.Debug("netvisor sandbox", "resource", resource, "organisation", org)
	if lose {
		// The request is acted on, then the connection drops before
		// the answer: what a client sees of a lost answer.
		s.route(discard{h: http.Header{}}, r, req)
		// Done before the connection closes, so that the client's next
		// request does not find this one still in flight.
		release()
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	s.route(w, r, req)
}

// methodOf is the documented HTTP method of a resource (the seed's table):
// the imports are POSTs, everything else (deletesalesinvoice.nv too) GET.
func methodOf(resource string) string {
	switch resource {
	case "salesinvoice.nv", "updatesalesinvoicestatus.nv", "salesorderinvoicing.nv", "salesinvoicecomment.nv":
		return http.MethodPost
	}
	return http.MethodGet
}

// LoseNextAnswer makes the next request for resource be acted on and its
// answer never arrive (the connection closes).
func (s *Sandbox) LoseNextAnswer(resource string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loseNext[resource]++
}

// discard is a ResponseWriter that drops the answer.
type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}

// authenticate checks the headers and the MAC exactly as documented; a
// failure is the code and message to answer.
func (s *Sandbox) authenticate(r *http.Request, resource string) (req request, code, msg string) {
	h := r.Header
	req.resource = resource
	req.codes = h.Get(hStatusCodes) == "1"
	req.language = strings.ToUpper(h.Get(hLanguage))
	for _, name := range []string{hSender, hCustomerID, hPartnerID, hTimestamp, hTimestampUnix, hTransactionID, hMAC, hLanguage, hOrganisation} {
		if h.Get(name) == "" {
			return req, "AUTHENTICATION_FAILED", "Missing header " + name
		}
	}
	if h.Get(hAlgorithm) != "HMACSHA256" {
		return req, "AUTHENTICATION_FAILED", "MACHashCalculationAlgorithm must be HMACSHA256"
	}
	switch req.language {
	case "FI", "EN", "SE":
	default:
		return req, "INVALID_DATA", "Interface language must be FI, EN or SE"
	}
	ts, err := time.Parse("2006-01-02 15:04:05.000", h.Get(hTimestamp))
	if err != nil {
		return req, "AUTHENTICATION_FAILED", "Timestamp is not in the format YYYY-MM-DD HH:MM:SS.fff (UTC)"
	}
	if unix, err := strconv.ParseInt(h.Get(hTimestampUnix), 10, 64); err != nil || unix != ts.Unix() {
		return req, "AUTHENTICATION_FAILED", "TimestampUnix does not match Timestamp"
	}
	if d := s.now().Sub(ts); d > 10*time.Minute || d < -10*time.Minute {
		return req, "AUTHENTICATION_FAILED", "Timestamp is too far from the server time"
	}
	signed := s.signedURL(r)
	s.mu.Lock()
	c := s.customers[h.Get(hCustomerID)]
	var cust Customer
	if c != nil {
		cust = *c
	}
	s.mu.Unlock()
	customerKey := cust.Key
	parts := []string{signed, h.Get(hSender), h.Get(hCustomerID), h.Get(hTimestamp), h.Get(hLanguage), h.Get(hOrganisation),
		h.Get(hTransactionID), h.Get(hTimestampUnix)}
	if h.Get(hPartnerID) != s.partnerID || c == nil || c.Withdrawn {
		// Netvisor answers an unknown partner or user like a wrong key.
		customerKey = "\x00unknown"
	}
	want := mac(parts, customerKey, s.partnerKey)
	if !hmac.Equal([]byte(strings.ToLower(h.Get(hMAC))), []byte(want)) {
		masked := strings.Join(append(parts, "YOUR_CUSTOMER_KEY_HERE", "YOUR_PARTNER_KEY_HERE"), "&")
		return req, "AUTHENTICATION_FAILED", "Integration keys are not valid. Use the following string to calculate the MAC: " + masked
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tid := h.Get(hTransactionID)
	if s.seen[tid] {
		return req, "REQUEST_NOT_UNIQUE", "Request with this TransactionId has already been received"
	}
	s.seen[tid] = true
	orgID := h.Get(hOrganisation)
	o := s.orgs[orgID]
	reach := false
	for _, id := range cust.Orgs {
		reach = reach || id == orgID
	}
	if o == nil || !reach {
		// Inferred: the text of this refusal is not documented.
		return req, "AUTHENTICATION_FAILED", "The user has no access to the organisation " + orgID
	}
	if o.NoAPI {
		// Inferred: SERVICE_ACCESS_ERROR is documented, this text is not.
		return req, "SERVICE_ACCESS_ERROR", "The company's Netvisor package does not include the API"
	}
	if cust.Denied[resource] {
		return req, "SERVICE_ACCESS_ERROR", "No access rights to the interface resource " + resource
	}
	req.customer, req.org = &cust, o
	return req, "", ""
}

// signedURL is the URL the client must have signed: the public base with
// the request's path and query, byte for byte as they arrived.
func (s *Sandbox) signedURL(r *http.Request) string {
	base := s.baseURL
	if base == "" {
		base = "http://" + r.Host
	}
	u := base + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	return u
}

// mac is the documented HMACSHA256: key "CustomerKey&PartnerKey", message
// the fields and both keys joined by "&", Latin-1 bytes, lower-case hex.
func mac(parts []string, customerKey, partnerKey string) string {
	m := hmac.New(sha256.New, latin1(customerKey+"&"+partnerKey))
	m.Write(latin1(strings.Join(append(append([]string(nil), parts...), customerKey, partnerKey), "&")))
	return hex.EncodeToString(m.Sum(nil))
}

func latin1(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			r = '?'
		}
		b = append(b, byte(r))
	}
	return b
}

// failureStatus is the HTTP status of an error code when the client asked
// for status codes. Netvisor publishes no mapping (inferred).
func failureStatus(code string) int {
	switch code {
	case "AUTHENTICATION_FAILED":
		return http.StatusUnauthorized
	case "SERVICE_ACCESS_ERROR":
		return http.StatusForbidden
	case "REQUEST_NOT_UNIQUE":
		return http.StatusConflict
	case "SYSTEM_MAINTANANCE", "SYSTEM_MAINTENANCE":
		return http.StatusServiceUnavailable
	case "TECHNICAL_ERROR":
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// writeFailure writes the documented failure: two Status elements, FAILED
// and "CODE :: message".
func writeFailure(w http.ResponseWriter, codes bool, code, msg string) {
	status := http.StatusOK
	if codes {
		status = failureStatus(code)
	}
	x := newXMLWriter(w, status)
	x.open("Root")
	x.open("ResponseStatus")
	x.elem("Status", "FAILED")
	x.elem("Status", fmt.Sprintf("%s :: %s", code, msg))
	x.close("ResponseStatus")
	x.close("Root")
	x.flush()
}
