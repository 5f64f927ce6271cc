package eaccounting

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"bilag/connectors"
)

// Each documented refusal is classed as one Bilag can name, with the part
// of the product a 4009 lacks told by the endpoint; what no code explains
// is an answer Bilag cannot use, never Bilag's own fault.
func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		endpoint string
		class    connectors.Class
		reason   connectors.RefusalReason
	}{
		{"4009 on a customer invoice", 403, `{"ErrorCode":4009}`, "GET /customerinvoices/{invoiceId}/pdf", connectors.ClassRefused, connectors.RefusedNoInvoicing},
		{"4009 on vouchers", 403, `{"ErrorCode":4009}`, "GET /vouchers/{fiscalyearId}/{voucherId}", connectors.ClassRefused, connectors.RefusedNoBookkeeping},
		{"4009 as 400 on attachments", 400, `{"ErrorCode":4009}`, "GET /attachments/{attachmentId}", connectors.ClassRefused, connectors.RefusedProduct},
		{"4007", 403, `{"ErrorCode":4007}`, "GET /attachments/{attachmentId}", connectors.ClassRefused, connectors.RefusedPermission},
		{"4006", 403, `{"ErrorCode":4006}`, "GET /attachments/{attachmentId}", connectors.ClassRefused, connectors.RefusedPermission},
		{"4011", 403, `{"ErrorCode":4011}`, "GET /vouchers", connectors.ClassRefused, connectors.RefusedPermission},
		{"4012", 403, `{"ErrorCode":4012}`, "GET /vouchers", connectors.ClassRefused, connectors.RefusedLicence},
		{"4004", 403, `{"ErrorCode":4004}`, "GET /vouchers", connectors.ClassRefused, connectors.RefusedInactive},
		{"4003", 403, `{"ErrorCode":4003}`, "GET /vouchers", connectors.ClassRefused, connectors.RefusedStartGuide},
		{"403 with an unknown code", 403, `{"ErrorCode":4999}`, "GET /vouchers", connectors.ClassRefused, connectors.RefusedOther},
		{"401", 401, `{"ErrorCode":4005}`, "GET /vouchers", connectors.ClassEnded, ""},
		{"429", 429, `{"ErrorCode":4010,"DeveloperErrorMessage":"Try again in 5 seconds."}`, "GET /vouchers", connectors.ClassRateLimited, ""},
		{"500", 500, `oops`, "GET /vouchers", connectors.ClassUnavailable, ""},
		{"503", 503, ``, "GET /vouchers", connectors.ClassUnavailable, ""},
		{"404", 404, `{"ErrorCode":3000}`, "GET /vouchers", connectors.ClassNotFound, ""},
		{"400 with a query error", 400, `{"ErrorCode":6000}`, "GET /vouchers", connectors.ClassBadAnswer, ""},
		{"a redirect", 302, ``, "GET /vouchers", connectors.ClassBadAnswer, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rec.WriteHeader(tt.status)
			rec.Body.WriteString(tt.body)
			err := error(newAPIError(rec.Result(), tt.endpoint, testNow))
			f := connectors.Classify(err)
			if f.Class != tt.class || f.Refused.Reason != tt.reason {
				t.Errorf("Classify(%v) = class %d reason %q, want %d %q", err, f.Class, f.Refused.Reason, tt.class, tt.reason)
			}
		})
	}
}

// A file host that refuses its own link is not a refused grant: it says
// nothing of the approver's permission.
func TestFileHostRefusalIsNoPermissionProblem(t *testing.T) {
	for _, status := range []int{http.StatusForbidden, http.StatusNotFound} {
		err := error(&FileError{Status: status})
		if errors.Is(err, connectors.ErrForbidden) || connectors.Classify(err).Class != connectors.ClassBadAnswer {
			t.Errorf("file host %d: class %d, forbidden %v; want a bad answer", status, connectors.Classify(err).Class, errors.Is(err, connectors.ErrForbidden))
		}
		if strings.Contains(err.Error(), "permission") {
			t.Errorf("file host %d says %q", status, err)
		}
	}
}

// Item 11: Visma documents a body-less 403 as "the company is not active,
// or the startup guide is not completed". It is not a permission problem,
// neither when reading nor when checking a fresh grant.
func TestEmptyForbiddenIsNotAPermissionProblem(t *testing.T) {
	rec := httptest.NewRecorder()
	rec.WriteHeader(http.StatusForbidden)
	f := connectors.Classify(newAPIError(rec.Result(), "GET /attachments/{attachmentId}", testNow))
	if f.Class != connectors.ClassRefused || f.Refused.Reason != connectors.RefusedNotReady {
		t.Errorf("empty 403: class %d reason %q, want refused, %q", f.Class, f.Refused.Reason, connectors.RefusedNotReady)
	}

	inner := checkFake(t, settings(1, 1), nil)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v2/companysettings" && strings.HasPrefix(r.URL.Path, "/v2/") {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		inner.ServeHTTP(w, r)
	})
	c, _ := newTestConnector(t, mux)
	v, err := c.Check(t.Context(), testGrant(t))
	if err != nil {
		t.Fatalf("Check() = %v", err)
	}
	if len(v.Problems) != 1 || v.Problems[0].Code != connectors.ProblemNotReady {
		t.Errorf("Check() problems = %+v, want one %q", v.Problems, connectors.ProblemNotReady)
	}
}

// hangUntilDone answers nothing until the caller gives up or done closes.
func hangUntilDone(done <-chan struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}
}

// Item 2: every call is bounded by the connector's own limits, and running
// out of them is the upstream being unavailable, not the caller giving up.
// The caller's own deadline is only a safety net, far beyond the limits.
func TestCallsAreBounded(t *testing.T) {
	caller := func(t *testing.T) context.Context {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		t.Cleanup(cancel)
		return ctx
	}
	short := func(c *Config) {
		c.ConnectTimeout, c.FirstByteTimeout, c.CallTimeout, c.TokenTimeout, c.InteractiveTimeout =
			50*time.Millisecond, 50*time.Millisecond, 100*time.Millisecond, 50*time.Millisecond, 200*time.Millisecond
	}
	t.Run("token endpoint", func(t *testing.T) {
		mux := http.NewServeMux()
		done := make(chan struct{})
		mux.HandleFunc("POST /connect/token", hangUntilDone(done))
		c, _ := newTestConnector(t, mux, short)
		t.Cleanup(func() { close(done) })
		_, err := c.Refresh(caller(t), testGrant(t))
		if connectors.Classify(err).Class != connectors.ClassUnavailable {
			t.Errorf("Refresh() against a hanging identity server = %v, want unavailable", err)
		}
	})
	t.Run("api without an answer", func(t *testing.T) {
		mux := http.NewServeMux()
		done := make(chan struct{})
		mux.HandleFunc("GET /v2/vouchers/{fy}/{id}", hangUntilDone(done))
		c, _ := newTestConnector(t, mux, short)
		t.Cleanup(func() { close(done) })
		_, err := c.Voucher(caller(t), testGrant(t), "fy/v1")
		if connectors.Classify(err).Class != connectors.ClassUnavailable {
			t.Errorf("Voucher() against a hanging API = %v, want unavailable", err)
		}
	})
	t.Run("api body that never ends", func(t *testing.T) {
		mux := http.NewServeMux()
		done := make(chan struct{})
		hang := hangUntilDone(done)
		mux.HandleFunc("GET /v2/vouchers/{fy}/{id}", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"Id":"v1",`))
			w.(http.Flusher).Flush()
			hang(w, r)
		})
		c, _ := newTestConnector(t, mux, short)
		t.Cleanup(func() { close(done) })
		_, err := c.Voucher(caller(t), testGrant(t), "fy/v1")
		if connectors.Classify(err).Class != connectors.ClassUnavailable {
			t.Errorf("Voucher() with a body that never ends = %v, want unavailable", err)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		c, _ := newTestConnector(t, http.NewServeMux())
		if c.cfg.InteractiveTimeout != 10*time.Second || c.cfg.TokenTimeout <= 0 || c.cfg.TokenTimeout >= 10*time.Second ||
			c.cfg.CallTimeout <= 0 || c.cfg.FirstByteTimeout <= 0 || c.cfg.ConnectTimeout <= 0 {
			t.Errorf("default limits = %+v, want a person to wait at most 10 s", c.cfg)
		}
	})
}

// An expired download link is asked for afresh once, inside OpenDocument:
// the file opens when the fresh link works, and is ErrBadAnswer after one
// fresh link failed too, with exactly two links asked for and tried.
func TestExpiredLinkIsFetchedAfreshOnce(t *testing.T) {
	for _, kind := range []string{KindAttachment, KindCustomerInvoice} {
		for _, failures := range []int32{1, 5} {
			t.Run(fmt.Sprintf("%s/%d failures", kind, failures), func(t *testing.T) {
				var links, downloads, left atomic.Int32
				left.Store(failures)
				mux := http.NewServeMux()
				var base string
				link := func() string { return fmt.Sprintf("%s/blob/f?sig=%d", base, links.Add(1)) }
				mux.HandleFunc("GET /v2/attachments/{id}", api(t, func(w http.ResponseWriter, r *http.Request) {
					writeJSON(w, http.StatusOK, map[string]any{"Id": r.PathValue("id"), "ContentType": "application/pdf", "TemporaryUrl": link()})
				}))
				mux.HandleFunc("GET /v2/customerinvoices/{id}/pdf", api(t, func(w http.ResponseWriter, r *http.Request) {
					writeJSON(w, http.StatusOK, map[string]any{"Url": link()})
				}))
				mux.HandleFunc("GET /blob/f", func(w http.ResponseWriter, r *http.Request) {
					downloads.Add(1)
					if left.Add(-1) >= 0 {
						w.WriteHeader(http.StatusForbidden)
						return
					}
					w.Header().Set("Content-Type", "application/pdf")
					io.WriteString(w, pdfBody)
				})
				c, srv := newTestConnector(t, mux)
				base = srv.URL
				s, err := c.OpenDocument(t.Context(), testGrant(t), connectors.Document{ID: customerID, Kind: kind})
				if failures == 1 {
					if err != nil {
						t.Fatalf("OpenDocument() after one expired link = %v, want the file", err)
					}
					body, _ := io.ReadAll(s.Body)
					s.Body.Close()
					if string(body) != pdfBody {
						t.Errorf("body = %q", body)
					}
				} else if connectors.Classify(err).Class != connectors.ClassBadAnswer || errors.Is(err, connectors.ErrForbidden) {
					t.Errorf("OpenDocument() after two expired links = %v, want a bad answer", err)
				}
				if links.Load() != 2 || downloads.Load() != 2 {
					t.Errorf("links asked for %d, downloads %d; want 2 and 2", links.Load(), downloads.Load())
				}
			})
		}
	}
}

// writeCutShort answers 200 with body as the whole answer: its
// Content-Length matches, so the transport sees nothing wrong, though the
// JSON in it ends early.
func writeCutShort(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, body)
}

// writeLost announces a longer answer than body and sends only body:
// returning short of the length makes the server drop the connection, so
// the rest of the answer is lost on the way.
func writeLost(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)+100))
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, body)
}

// Issue 25 item 3: a 200 whose JSON ends early, as long as its
// Content-Length says, is an answer Bilag cannot use (502), like any other
// undecodable body, and not a lost answer; only a body the connection cut
// short of its length is the upstream not answering (503).
func TestJSONCutShortIsABadAnswer(t *testing.T) {
	const partial = `{"Id":"v1","VoucherDate":"2026-03-01","Numb`
	tests := []struct {
		name  string
		write func(http.ResponseWriter, string)
		want  connectors.Class
	}{
		{"whole answer, JSON ends early", writeCutShort, connectors.ClassBadAnswer},
		{"whole answer, empty", func(w http.ResponseWriter, _ string) { writeCutShort(w, "") }, connectors.ClassBadAnswer},
		{"connection lost mid-body", writeLost, connectors.ClassUnavailable},
	}
	for _, tt := range tests {
		t.Run("api/"+tt.name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.HandleFunc("GET /v2/vouchers/{fy}/{id}", api(t, func(w http.ResponseWriter, r *http.Request) { tt.write(w, partial) }))
			c, _ := newTestConnector(t, mux)
			_, err := c.Voucher(t.Context(), testGrant(t), "fy/v1")
			if got := connectors.Classify(err).Class; got != tt.want {
				t.Errorf("Voucher() = %v: class %d, want %d", err, got, tt.want)
			}
			if tt.want == connectors.ClassBadAnswer && connectors.AnswerLost(err) {
				t.Errorf("Voucher() = %v counts as a lost answer", err)
			}
		})
	}
	// A refresh answer that ends early must not count as lost either: the
	// refresh token may be spent, and a second send of it may end the
	// grant.
	t.Run("token/whole answer, JSON ends early", func(t *testing.T) {
		mux := http.NewServeMux()
		mux.HandleFunc("POST /connect/token", func(w http.ResponseWriter, r *http.Request) {
			writeCutShort(w, `{"access_token":"ACCESS-TOKEN-2","token_type":"Bearer","refresh_tok`)
		})
		c, _ := newTestConnector(t, mux)
		_, err := c.Refresh(t.Context(), testGrant(t))
		if connectors.Classify(err).Class != connectors.ClassBadAnswer || connectors.AnswerLost(err) {
			t.Errorf("Refresh() = %v: class %d, lost %v; want a bad answer, not lost", err, connectors.Classify(err).Class, connectors.AnswerLost(err))
		}
	})
}
