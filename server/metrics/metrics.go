// Package metrics is Bilag's Prometheus instrumentation: request durations
// by route, upstream calls by connector and endpoint, token refreshes,
// rate-limit waits, document cache hits and sync progress.
//
// A *Metrics owns a private registry (never the global default one), and
// every method is safe on a nil *Metrics, which is how metrics are turned
// off. Labels are route patterns and endpoint templates, never URLs: a
// consent link carries its secret in its path, and a document's temporary
// URL is a bearer secret.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the collectors and the registry they are registered in.
type Metrics struct {
	reg          *prometheus.Registry
	requests     *prometheus.HistogramVec
	upstream     *prometheus.HistogramVec
	refreshes    *prometheus.CounterVec
	rateWaits    *prometheus.HistogramVec
	cache        *prometheus.CounterVec
	syncFetched  *prometheus.GaugeVec
	syncTotal    *prometheus.GaugeVec
	syncProgress *prometheus.GaugeVec
}

// Buckets from 1 ms to about 33 s: a cached document answers in a few
// milliseconds, a 200 MB one streams for seconds.
var durationBuckets = prometheus.ExponentialBuckets(0.001, 2, 16)

// New builds the collectors in a fresh registry, with the Go runtime and
// process collectors beside them.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "bilag", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern, method and status.",
			Buckets: durationBuckets,
		}, []string{"route", "method", "status"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "bilag", Subsystem: "upstream", Name: "request_duration_seconds",
			Help:    "Time of a call to an upstream API (to the response headers), by connector, endpoint template and status (0: no answer).",
			Buckets: durationBuckets,
		}, []string{"connector", "endpoint", "status"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "bilag", Name: "token_refreshes_total",
			Help: "Grant refreshes at the upstream, by result (ok, failed).",
		}, []string{"result"}),
		rateWaits: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "bilag", Subsystem: "upstream", Name: "rate_limit_wait_seconds",
			Help:    "Time a call waited for Bilag's own rate limiter, by connector and endpoint template.",
			Buckets: durationBuckets,
		}, []string{"connector", "endpoint"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "bilag", Name: "document_cache_requests_total",
			Help: "Document opens by cache result (hit, miss).",
		}, []string{"result"}),
		syncFetched: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "bilag", Subsystem: "sync", Name: "fetched_vouchers",
			Help: "Vouchers fetched so far by the latest sync of a company.",
		}, []string{"company_id"}),
		syncTotal: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "bilag", Subsystem: "sync", Name: "total_vouchers",
			Help: "Vouchers the latest sync of a company expects to fetch.",
		}, []string{"company_id"}),
		syncProgress: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "bilag", Subsystem: "sync", Name: "progress_ratio",
			Help: "Share (0..1) of the latest sync of a company that is done.",
		}, []string{"company_id"}),
	}
	m.reg.MustRegister(m.requests, m.upstream, m.refreshes, m.rateWaits, m.cache, m.syncFetched, m.syncTotal, m.syncProgress,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Zero series, so dashboards see the families before the first event.
	m.refreshes.WithLabelValues("ok")
	m.refreshes.WithLabelValues("failed")
	m.cache.WithLabelValues("hit")
	m.cache.WithLabelValues("miss")
	return m
}

// Registry is the registry the collectors are registered in.
func (m *Metrics) Registry() *prometheus.Registry {
	if m == nil {
		return nil
	}
	return m.reg
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// ObserveRequest records an answered HTTP request. route must be the
// route pattern (echo's c.Path()), never the URL.
func (m *Metrics) ObserveRequest(route, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Observe(d.Seconds())
}

// ObserveUpstream records one upstream call; status 0 means no answer.
func (m *Metrics) ObserveUpstream(connector, endpoint string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.upstream.WithLabelValues(connector, endpoint, strconv.Itoa(status)).Observe(d.Seconds())
}

// Refresh records a grant refresh at the upstream.
func (m *Metrics) Refresh(ok bool) {
	if m == nil {
		return
	}
	if ok {
		m.refreshes.WithLabelValues("ok").Inc()
	} else {
		m.refreshes.WithLabelValues("failed").Inc()
	}
}

// RateLimitWait records a wait for Bilag's own rate limiter.
func (m *Metrics) RateLimitWait(connector, endpoint string, d time.Duration) {
	if m == nil {
		return
	}
	m.rateWaits.WithLabelValues(connector, endpoint).Observe(d.Seconds())
}

// CacheHit records a document served from the cache.
func (m *Metrics) CacheHit() {
	if m == nil {
		return
	}
	m.cache.WithLabelValues("hit").Inc()
}

// CacheMiss records a document fetched from the upstream.
func (m *Metrics) CacheMiss() {
	if m == nil {
		return
	}
	m.cache.WithLabelValues("miss").Inc()
}

// SyncProgress records how far the latest sync of a company has come.
func (m *Metrics) SyncProgress(companyID int64, fetched, total int) {
	if m == nil {
		return
	}
	id := strconv.FormatInt(companyID, 10)
	m.syncFetched.WithLabelValues(id).Set(float64(fetched))
	m.syncTotal.WithLabelValues(id).Set(float64(total))
	ratio := 1.0
	if total > 0 {
		ratio = min(1, float64(fetched)/float64(total))
	}
	m.syncProgress.WithLabelValues(id).Set(ratio)
}
