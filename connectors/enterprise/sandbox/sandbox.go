// Package sandbox stands in for a customer's Visma Enterprise order import
// (fakturering_ws): POST {root}/secure/orderimport/order with HTTP Basic
// authentication, the seed's field rules (rules.go, read from the seed on
// their own, not from Bilag's validator), a refused repeat of a customer,
// principal, commodity and serial number, and a page listing the orders it
// accepted. It keeps everything in memory.
package sandbox

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Root is the web-service root under the sandbox's base URL, as on a real
// installation (http://host:8090/fakturering_ws).
const Root = "/fakturering_ws"

// importPath is the order import under Root.
const importPath = Root + "/secure/orderimport/order"

// The sandbox's web-service user, as the seed suggests naming it.
const (
	DefaultUser     = "ws_fakturainfo_demo"
	DefaultPassword = "demo-fakturainfo"
)

// LoseAnswerPrefix: an order whose orderId starts with it is stored, and
// then the connection is dropped before the answer, as a network fault
// after Enterprise has done its work would.
const LoseAnswerPrefix = "LOST"

// Status codes of the answer: 0 is OK, as the seed says; the others are
// the sandbox's own (the seed says only "else error").
const (
	StatusOK        = 0
	StatusInvalid   = 1
	StatusDuplicate = 2
)

// Answer is the seed's response body.
type Answer struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

// Accepted is an order the sandbox took.
type Accepted struct {
	At    time.Time
	Order Order
	// Body is the order as it was posted.
	Body json.RawMessage
}

// Sandbox is the stand-in's state and its http.Handler.
type Sandbox struct {
	base, user, password string
	log                  *slog.Logger
	now                  func() time.Time

	mu       sync.Mutex
	accepted []Accepted
	serials  map[string]bool
	posts    int
}

// Option configures a Sandbox.
type Option func(*Sandbox)

// WithBaseURL is where the sandbox is served, for the URLs it prints.
func WithBaseURL(u string) Option { return func(s *Sandbox) { s.base = strings.TrimSuffix(u, "/") } }

// WithUser sets the web-service user.
func WithUser(user, password string) Option {
	return func(s *Sandbox) { s.user, s.password = user, password }
}

// WithLogger logs every call.
func WithLogger(l *slog.Logger) Option { return func(s *Sandbox) { s.log = l } }

// WithClock tells the time of acceptance.
func WithClock(now func() time.Time) Option { return func(s *Sandbox) { s.now = now } }

// New builds a sandbox.
func New(opts ...Option) *Sandbox {
	s := &Sandbox{user: DefaultUser, password: DefaultPassword, log: slog.New(slog.DiscardHandler),
		now: time.Now, serials: map[string]bool{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// URL is the web-service root to type into Bilag's form.
func (s *Sandbox) URL() string { return s.base + Root }

// Banner is one line saying where the sandbox is and who its user is.
func (s *Sandbox) Banner() string {
	return fmt.Sprintf("Visma Enterprise sandbox on %s (web-service user %s / %s, company 1, system code WS; accepted orders at %s/orders)",
		s.URL(), s.user, s.password, s.base)
}

// Accepted is a copy of what the sandbox took, oldest first.
func (s *Sandbox) Accepted() []Accepted {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Accepted(nil), s.accepted...)
}

// Posts is how many order POSTs reached the sandbox, authorised or not.
func (s *Sandbox) Posts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.posts
}

func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.log.Info("enterprise sandbox", "method", r.Method, "path", r.URL.Path)
	switch r.URL.Path {
	case importPath:
		if r.Method == http.MethodPost {
			s.mu.Lock()
			s.posts++
			s.mu.Unlock()
		}
		if !s.authorised(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="fakturering_ws"`)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodPost {
			// What Bilag's credential check reads: reachable and authenticated.
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
			return
		}
		s.importOrder(w, r)
	case "/orders", "/":
		s.showOrders(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (s *Sandbox) authorised(r *http.Request) bool {
	u, p, ok := r.BasicAuth()
	return ok && subtle.ConstantTimeCompare([]byte(u), []byte(s.user)) == 1 &&
		subtle.ConstantTimeCompare([]byte(p), []byte(s.password)) == 1
}

func answer(w http.ResponseWriter, status int, a Answer) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(a)
}

func (s *Sandbox) importOrder(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		answer(w, http.StatusBadRequest, Answer{Status: StatusInvalid, Message: "Kunne ikke lese forespørselen"})
		return
	}
	if t := strings.TrimSpace(string(body)); !strings.HasPrefix(t, "{") {
		answer(w, http.StatusBadRequest, Answer{Status: StatusInvalid, Message: "Ugyldig JSON: én ordre ventet"})
		return
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || dec.More() {
		answer(w, http.StatusBadRequest, Answer{Status: StatusInvalid, Message: "Ugyldig JSON"})
		return
	}
	reg := Registered()
	o, problems := readOrder(m, reg)
	if len(problems) > 0 {
		answer(w, http.StatusBadRequest, Answer{Status: StatusInvalid, Message: "Ugyldig ordre: " + strings.Join(problems, "; ")})
		return
	}
	if !contains(reg.Systems, o.ExternalSystem) {
		answer(w, http.StatusBadRequest, Answer{Status: StatusInvalid, Message: "Ukjent systemkode " + o.ExternalSystem})
		return
	}
	s.mu.Lock()
	var keys []string
	for i, l := range o.OrderLines {
		k := fmt.Sprintf("%d/%s/%d/%d/%d", o.Company, o.Customer.CustomerNumber, l.PrincipalNumber, l.CommodityNumber, l.SerialNumber)
		if s.serials[k] || contains(keys, k) {
			s.mu.Unlock()
			answer(w, http.StatusBadRequest, Answer{Status: StatusDuplicate,
				Message: fmt.Sprintf("Linje %d: grunnlag med oppdragsgiver %d, vare %d og løpenummer %d finnes fra før på kunden", i+1, l.PrincipalNumber, l.CommodityNumber, l.SerialNumber)})
			return
		}
		keys = append(keys, k)
	}
	for _, k := range keys {
		s.serials[k] = true
	}
	s.accepted = append(s.accepted, Accepted{At: s.now(), Order: o, Body: body})
	s.mu.Unlock()
	if strings.HasPrefix(o.OrderID, LoseAnswerPrefix) {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	answer(w, http.StatusOK, Answer{Status: StatusOK, Message: "OK"})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ordersPage lists the orders the sandbox received; parsed on first use,
// not when the program starts.
var ordersPage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("orders").Parse(`<!doctype html>
<html lang="nb"><head><meta charset="utf-8"><title>Enterprise sandbox: mottatte ordre</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left}td.n{text-align:right}</style></head>
<body><h1>Visma Enterprise sandbox</h1>
<p>Web-service root: <code>{{.URL}}</code> · user <code>{{.User}}</code> · password <code>{{.Password}}</code> · company 1 · system codes WS, BI ·
principals 20, 30 · commodities 100, 200, 300 · VAT codes 0, 100, 150. An order whose orderId starts with <code>{{.Lost}}</code> is stored, and its answer is lost.</p>
<h2>Mottatte ordre ({{len .Orders}})</h2>
{{if .Orders}}<table><thead><tr><th>Mottatt</th><th>System</th><th>orderId</th><th>Kunde</th><th>Linjer</th><th>Sum</th></tr></thead><tbody>
{{range .Orders}}<tr><td>{{.At.UTC.Format "2006-01-02 15:04:05"}} UTC</td><td>{{.Order.ExternalSystem}}</td><td>{{.Order.OrderID}}</td>
<td>{{.Order.Customer.CustomerNumber}} {{.Order.Customer.Name}}</td><td class="n">{{len .Order.OrderLines}}</td><td class="n">{{.Order.Total}}</td></tr>
{{end}}</tbody></table>{{else}}<p>Ingen ordre ennå.</p>{{end}}
</body></html>`))
})

func (s *Sandbox) showOrders(w http.ResponseWriter, r *http.Request) {
	orders := s.Accepted()
	sort.SliceStable(orders, func(i, j int) bool { return orders[i].At.After(orders[j].At) })
	if r.URL.Query().Get("format") == "json" {
		if orders == nil {
			orders = []Accepted{}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(orders)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = ordersPage().Execute(w, map[string]any{"URL": s.URL(), "User": s.user, "Password": s.password, "Orders": orders, "Lost": LoseAnswerPrefix})
}
