// Package pipeline is llmgate's query path: one straight walk per request that every query
// surface (MLflow, OpenAI) shares. In order: authenticate against the snapshot, look up the
// endpoint, authorize (gateway.Permit), check the type, decode and validate, take rate limits,
// resolve credentials, translate, call the provider under the client's context and the
// endpoint's timeout, translate back (streams chunk by chunk, flushed per event), record
// tokens, and write exactly one AccessGatewayEndpoint audit event that is durable before the
// response's last byte.
//
// Surfaces own their wire shapes (how errors, answers and stream frames look) and the writing:
// the pipeline takes plain values (a context, the Query with its Caller and Body) and answers
// through a Sink, so it knows no HTTP request or response; net/http appears here only for the
// upstream side. Nothing here reads the database per request: the snapshot and the secret
// resolver's cache serve it all.
package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/breaker"
	breakermemory "github.com/llmgate/llmgate/breaker/memory"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/metrics"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/ratelimit"
	"github.com/llmgate/llmgate/respcache"
	cachememory "github.com/llmgate/llmgate/respcache/memory"
)

// DefaultMaxBodyBytes is the request body limit when none is configured
// (docs/contract/product.md: 10 MiB); httpkit.DefaultMaxBody, the admin API's, is this one.
const DefaultMaxBodyBytes = 10 << 20

// DefaultCacheBytes bounds the in-process response cache.
const DefaultCacheBytes = 64 << 20

// DefaultTimeout bounds one upstream call when the endpoint sets none; it matches MLflow's
// MLFLOW_GATEWAY_ROUTE_TIMEOUT_SECONDS.
const DefaultTimeout = gateway.DefaultTimeoutSeconds * time.Second

// Transport performs an upstream request (transport.Do): signing per req.Sign, aborting at
// once when ctx ends, returning connection failures as *gateway.Error.
type Transport func(ctx context.Context, req *provider.HTTPRequest) (*http.Response, error)

// RuleBuilder returns the call and token limit rules of an endpoint for a caller
// (ratelimit.Rules).
type RuleBuilder func(ep *gateway.Endpoint, p *gateway.Principal) (calls, tokens []gateway.LimitRule)

// Options configure a Pipeline. Transport is required; it is injected so the path can be
// tested against any upstream.
type Options struct {
	Transport Transport
	Rules     RuleBuilder // default ratelimit.Rules
	// DefaultTimeout applies when an endpoint's TimeoutSeconds is 0 (default DefaultTimeout).
	DefaultTimeout time.Duration
	// MaxBodyBytes bounds request bodies (default DefaultMaxBodyBytes); a larger one is
	// CodeTooLarge (413). The surface side reads the body within it (MaxBodyBytes()).
	MaxBodyBytes int64
	// MaxResponseBytes bounds a non-streamed upstream answer (default
	// DefaultMaxResponseBytes); a larger one is a 502.
	MaxResponseBytes int64
	// MaxInflightResponseBytes bounds the buffers of all non-streamed answers being read or
	// relayed at once (default DefaultMaxInflightResponseBytes, at least MaxResponseBytes);
	// a reader that cannot get its share in time answers 503.
	MaxInflightResponseBytes int64
	// AnswerBudgetWait bounds the wait for that share (default DefaultAnswerBudgetWait).
	AnswerBudgetWait time.Duration
	// MaxConcurrentPerUser caps each user's queries in flight (default
	// DefaultMaxConcurrentPerUser); MaxInflightRequestBytes bounds the bodies of all queries
	// being served (default DefaultMaxInflightRequestBytes, at least MaxBodyBytes). See
	// admission.go.
	MaxConcurrentPerUser    int
	MaxInflightRequestBytes int64
	// RequestBudgetWait bounds the wait for a body's share (default DefaultRequestBudgetWait).
	RequestBudgetWait time.Duration
	Metrics           *metrics.Metrics // optional
	// OnBudgetAlert, when set, receives each budget alert after it is audited (the webhook
	// sender). Budget usage itself lives in the App's ledger (app.Options.Budgets).
	OnBudgetAlert func(BudgetAlert)
	// Cache holds answers of endpoints with a cache policy (default: in process, 64 MiB).
	Cache respcache.Cache
	// Breaker keeps targets' health for endpoints with a cooldown (default: in process).
	Breaker breaker.Breaker
}

// Pipeline serves queries. Safe for concurrent use.
type Pipeline struct {
	app  *app.App
	opts Options
	log  *slog.Logger
	// answers is the process-wide budget of non-streamed answer bytes (see budget.go).
	answers  *semaphore.Weighted
	inflight atomic.Int64 // bytes of answers taken, for InflightAnswerBytes
	// admission and bodies bound what queries hold at once (see admission.go).
	admission *admission
	bodies    *semaphore.Weighted
	// scrubbers caches the credential scrubbers of recent calls (see redact.go).
	scrubbers scrubberCache
	// busy counts queries in flight per route (routes.go).
	busy busy
}

// Breaker is the pipeline's circuit breaker (for health reads).
func (p *Pipeline) Breaker() breaker.Breaker { return p.opts.Breaker }

// New builds a pipeline over a. It fails when a required dependency is missing, so a wiring
// mistake shows at startup instead of on the first request.
func New(a *app.App, o Options) (*Pipeline, error) {
	switch {
	case a == nil:
		return nil, errors.New("pipeline: an app is required")
	case o.Transport == nil:
		return nil, errors.New("pipeline: Options.Transport is required")
	}
	if o.Rules == nil {
		o.Rules = ratelimit.Rules
	}
	if o.Cache == nil {
		o.Cache = cachememory.New(DefaultCacheBytes)
	}
	if o.Breaker == nil {
		o.Breaker = breakermemory.New()
	}
	if o.DefaultTimeout <= 0 {
		o.DefaultTimeout = DefaultTimeout
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if o.MaxInflightResponseBytes <= 0 {
		o.MaxInflightResponseBytes = DefaultMaxInflightResponseBytes
	}
	if o.AnswerBudgetWait <= 0 {
		o.AnswerBudgetWait = DefaultAnswerBudgetWait
	}
	// One answer at its cap (plus the byte that detects EOF) must always fit.
	o.MaxInflightResponseBytes = max(o.MaxInflightResponseBytes, o.MaxResponseBytes+1)
	if o.MaxConcurrentPerUser <= 0 {
		o.MaxConcurrentPerUser = DefaultMaxConcurrentPerUser
	}
	if o.RequestBudgetWait <= 0 {
		o.RequestBudgetWait = DefaultRequestBudgetWait
	}
	if o.MaxInflightRequestBytes <= 0 {
		o.MaxInflightRequestBytes = DefaultMaxInflightRequestBytes
	}
	o.MaxInflightRequestBytes = max(o.MaxInflightRequestBytes, o.MaxBodyBytes)
	return &Pipeline{app: a, opts: o, log: a.Log, answers: newBudget(o.MaxInflightResponseBytes),
		admission: newAdmission(o.MaxConcurrentPerUser), bodies: newBudget(o.MaxInflightRequestBytes)}, nil
}

// MaxBodyBytes is the request body limit the surface side reads Query.Body within.
func (p *Pipeline) MaxBodyBytes() int64 { return p.opts.MaxBodyBytes }

// Surface is what a query API contributes: its name, its body validation, its status table
// and its stream framing. Writing errors and complete answers is the Sink's.
type Surface interface {
	// API is the surface's name as recorded in audit events and metrics ("mlflow", "openai").
	API() string
	// Decode validates a body for an endpoint of type t.
	Decode(t gateway.EndpointType, body []byte) (*llm.Request, *gateway.Error)
	// ErrorStatus maps an error to the surface's HTTP status.
	ErrorStatus(err *gateway.Error) int
	// AppendChunk appends the SSE frames for one chunk to dst (possibly none, e.g. a usage-only
	// chunk the caller did not ask for). includeUsage is the caller's stream_options.
	AppendChunk(dst []byte, t gateway.EndpointType, c *llm.Chunk, includeUsage bool) []byte
	// AppendStreamError appends what the surface tells a client whose stream broke after the
	// headers went out (possibly nothing).
	AppendStreamError(dst []byte, err *gateway.Error) []byte
	// AppendEnd appends the end-of-stream marker, if the surface has one.
	AppendEnd(dst []byte) []byte
}

// StreamEncoder renders one stream's frames. A Surface is one (its framing is stateless);
// a surface whose framing depends on what it already sent (Anthropic's numbered content
// blocks, the Responses API's sequence numbers) also implements StreamSurface.
type StreamEncoder interface {
	AppendChunk(dst []byte, t gateway.EndpointType, c *llm.Chunk, includeUsage bool) []byte
	AppendStreamError(dst []byte, err *gateway.Error) []byte
	AppendEnd(dst []byte) []byte
}

// StreamSurface is a Surface that needs a fresh encoder for each stream.
type StreamSurface interface {
	NewStreamEncoder(req *llm.Request) StreamEncoder
}

// streamEncoder returns the encoder for one stream of q's surface.
func (q Query) streamEncoder(req *llm.Request) StreamEncoder {
	if s, ok := q.Surface.(StreamSurface); ok {
		return s.NewStreamEncoder(req)
	}
	return q.Surface
}

// Query says which endpoint a request addresses, through which surface, from whom and with
// what body.
type Query struct {
	Surface Surface
	// Endpoint is the endpoint name from the path; empty means the body's "model" names it
	// (OpenAI-compatible routes).
	Endpoint string
	// Type, when set, is the endpoint type the route requires (e.g. /v1/chat/completions).
	Type gateway.EndpointType
	// Caller is who sent the query, as the surface read it off the request (httpkit.CallerOf),
	// or a principal the surface resolved itself (app.Caller.Principal).
	Caller app.Caller
	// Body is the request body (nil: empty).
	Body Body
	// CacheControl is the caller's cache directives as sent ("no-cache" skips the response
	// cache's lookup, "no-store" its write; see cache.go).
	CacheControl string
}

// Serve runs one query to completion under ctx (the client's: its end stops the upstream
// call): it answers through out, writes the audit event and returns what the access log needs.
func (p *Pipeline) Serve(ctx context.Context, q Query, out Sink) Result {
	if q.Body == nil {
		q.Body = noBody{}
	}
	x := &exchange{p: p, ctx: ctx, out: out, q: q, start: time.Now(), status: http.StatusOK}
	defer x.release()
	x.startTrace()
	if err := x.run(); err != nil {
		x.fail(err)
	}
	x.endTrace(x.status)
	p.opts.Metrics.ObserveRequest(x.metricEndpoint(), q.Surface.API(), x.outcome, time.Since(x.start))
	x.observeAnswer()
	res := Result{Endpoint: x.metricEndpoint(), Outcome: x.outcome, Status: x.status}
	if x.principal != nil {
		res.User = x.principal.User.UserName
	}
	return res
}
