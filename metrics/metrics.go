// Package metrics exposes llmgate's Prometheus metrics for the query path: requests, request
// and upstream latency, and tokens, labelled by endpoint, surface (mlflow|openai) and outcome.
//
// There is deliberately no per-user label: user names would make series unbounded and put
// identities into a system with weaker access control than the audit trail. Endpoint names are
// bounded by what admins create; requests that never resolved an endpoint are labelled "".
// Endpoint names are only recorded when the operator protects /metrics (its own listener or a
// token, Options.EndpointNames): otherwise anyone who can reach the port would learn the
// names of endpoints they may not list, with their traffic and token counts, so every series
// carries endpoint="".
package metrics

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics owns a private registry so tests and several servers in one process never collide
// on the global default registry. A nil *Metrics is valid and records nothing.
type Metrics struct {
	names       bool // record endpoint names (Options.EndpointNames)
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	upstream    *prometheus.HistogramVec
	tokens      *prometheus.CounterVec
	ttfb        *prometheus.HistogramVec
	limiter     prometheus.Counter
	undelivered prometheus.Counter
	commitSize  prometheus.Histogram
	commitTime  prometheus.Histogram
}

// latencyBuckets span fast cached answers to long generations (seconds).
var latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}

// Options shape what the metrics reveal.
type Options struct {
	// EndpointNames labels series with the endpoint's name; when false every series has
	// endpoint="" (the totals stay exact, the names stay private).
	EndpointNames bool
}

// New builds metrics that label series by endpoint name, for a /metrics that is protected
// or not served to callers at all (tests).
func New() *Metrics { return NewWithOptions(Options{EndpointNames: true}) }

// NewWithOptions builds the metrics with Go runtime and process collectors registered.
func NewWithOptions(o Options) *Metrics {
	m := &Metrics{
		names: o.EndpointNames,
		reg:   prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "llmgate_requests_total", Help: "Endpoint queries by endpoint, surface and outcome.",
		}, []string{"endpoint", "surface", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "llmgate_request_duration_seconds", Help: "Time from request arrival to the audited answer.",
			Buckets: latencyBuckets,
		}, []string{"endpoint", "surface", "outcome"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "llmgate_upstream_duration_seconds", Help: "Time the provider took to answer (to the end of the body or stream).",
			Buckets: latencyBuckets,
		}, []string{"endpoint", "surface"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "llmgate_tokens_total", Help: "Tokens reported by providers, by kind (prompt|completion), endpoint, surface, provider, model and outcome.",
		}, []string{"endpoint", "surface", "provider", "model", "outcome", "kind"}),
		ttfb: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "llmgate_time_to_first_byte_seconds", Help: "Time from request arrival to the first byte of the answer (a stream's first event), by endpoint, provider, model and outcome.",
			Buckets: latencyBuckets,
		}, []string{"endpoint", "provider", "model", "outcome"}),
		undelivered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "llmgate_budget_alerts_undelivered_total", Help: "Budget alerts whose webhook delivery failed for good (attempts exhausted, queue full or no signing secret); each is also audited as BudgetAlertUndelivered.",
		}),
		limiter: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "llmgate_limiter_errors_total", Help: "Rate-limit decisions the limiter backend (Redis) could not make; the fail-open/closed policy decided instead.",
		}),
		commitSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "llmgate_audit_commit_events", Help: "Events per durable audit group commit (one transaction and one fsync each).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10),
		}),
		commitTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "llmgate_audit_commit_duration_seconds", Help: "Time of a durable audit group commit, retries included.",
			Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1},
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.upstream, m.tokens, m.ttfb, m.limiter, m.undelivered, m.commitSize, m.commitTime,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// LimiterError counts one decision the limiter backend failed to make.
func (m *Metrics) LimiterError() {
	if m != nil {
		m.limiter.Inc()
	}
}

// ObserveAuditCommit records one durable audit group commit: its events and its time.
func (m *Metrics) ObserveAuditCommit(events int, took time.Duration) {
	if m != nil {
		m.commitSize.Observe(float64(events))
		m.commitTime.Observe(took.Seconds())
	}
}

// BudgetAlertUndelivered counts one budget alert whose webhook delivery failed for good.
func (m *Metrics) BudgetAlertUndelivered() {
	if m != nil {
		m.undelivered.Inc()
	}
}

// Registry returns the registry, for callers that add their own collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format (mount at /metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// label is the endpoint label value to record.
func (m *Metrics) label(endpoint string) string {
	if m.names {
		return endpoint
	}
	return ""
}

// RequireToken serves h only to requests carrying "Authorization: Bearer <token>"; others get
// 401. The comparison is constant-time over hashes, so timing reveals nothing of the token.
func RequireToken(token string, h http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="llmgate metrics"`)
			http.Error(w, "a bearer token (--metrics-token) is required for /metrics", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// ObserveRequest counts one finished query and its total latency.
func (m *Metrics) ObserveRequest(endpoint, surface, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	endpoint = m.label(endpoint)
	m.requests.WithLabelValues(endpoint, surface, outcome).Inc()
	m.latency.WithLabelValues(endpoint, surface, outcome).Observe(d.Seconds())
}

// ObserveUpstream records how long the provider took.
func (m *Metrics) ObserveUpstream(endpoint, surface string, d time.Duration) {
	if m == nil {
		return
	}
	endpoint = m.label(endpoint)
	m.upstream.WithLabelValues(endpoint, surface).Observe(d.Seconds())
}

// Answer is one finished query's usage for the metrics.
type Answer struct {
	Endpoint, Surface, Provider, Model, Outcome string
	PromptTokens, CompletionTokens              int64
	// FirstByte is the time from arrival to the answer's first byte (0: no answer was sent).
	FirstByte time.Duration
}

// ObserveAnswer adds an answer's tokens and its time to first byte.
func (m *Metrics) ObserveAnswer(a Answer) {
	if m == nil {
		return
	}
	endpoint := m.label(a.Endpoint)
	if a.PromptTokens > 0 {
		m.tokens.WithLabelValues(endpoint, a.Surface, a.Provider, a.Model, a.Outcome, "prompt").Add(float64(a.PromptTokens))
	}
	if a.CompletionTokens > 0 {
		m.tokens.WithLabelValues(endpoint, a.Surface, a.Provider, a.Model, a.Outcome, "completion").Add(float64(a.CompletionTokens))
	}
	if a.FirstByte > 0 {
		m.ttfb.WithLabelValues(endpoint, a.Provider, a.Model, a.Outcome).Observe(a.FirstByte.Seconds())
	}
}
