package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/llmgate/llmgate/budget"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/redact"
	"go.opentelemetry.io/otel/trace"
)

// Outcomes used only for metrics: these requests are not attributable to an endpoint and
// user, so they produce no audit event.
const (
	outcomeUnauthenticated = "unauthenticated"
	outcomeNotFound        = "not_found"
)

// codeClientGone marks the client leaving; nobody is left to read a response, so no surface
// ever renders it. 499 is the status proxies conventionally log for it.
const (
	codeClientGone   gateway.Code = "client_cancelled"
	statusClientGone              = 499
)

// exchange is the state of one request as it walks the path.
type exchange struct {
	p *Pipeline
	// ctx is the client's: it ends when the client leaves (and carries the query's span).
	ctx   context.Context
	out   Sink
	q     Query
	start time.Time

	principal    *gateway.Principal
	ep           *gateway.Endpoint
	spec         *provider.Spec
	body         []byte
	req          *llm.Request
	usage        llm.Usage
	tokenRules   []gateway.LimitRule // charged with the answer's tokens before it is audited
	outcome      string
	responseText []byte // only when the endpoint logs payloads
	// scrub removes the call's credentials from what the upstream sent (nil: none).
	scrub *redact.Scrubber
	// credentials are the values scrub removes: the config's and any minted while sending.
	credentials []string
	// calledUpstream: a request went to the provider, so tokens it did not report are unknown.
	// includeUsage is the caller's stream_options.include_usage; cacheStore see cacheKey. (The
	// flags sit together so they share a word.)
	calledUpstream bool
	includeUsage   bool
	cacheStore     bool
	// auditExpected: the audit writer was told this query's event is on its way (audit.go).
	auditExpected bool
	// firstByte is the time from arrival to the answer's first byte (0 until one is written).
	firstByte time.Duration
	// sentText and sentBytes are the streamed text, for an estimate of unreported usage
	// (estimate.go).
	sentText  strings.Builder
	sentBytes int64
	// span is the query's trace span (nil when tracing is off); status the answer's HTTP
	// status and responseModel the model the provider says answered (trace.go).
	span          trace.Span
	status        int
	responseModel string
	// upstreamStatus is the last attempt's HTTP status (0: no answer); attempts every
	// attempt of the query (retry.go).
	upstreamStatus int
	attempts       []attempt
	// cacheKey, cacheState (hit|miss|bypass) and cacheStore are the response cache's view of
	// the query (cache.go).
	cacheKey   string
	cacheState string
	// routesTried are the targets a query with several tried, with how each ended (routes.go).
	routesTried []string
	// budgets, buckets and reservation are what the query reserved (budgets.go); buckets is
	// nil once settled.
	budgets     []*gateway.Budget
	buckets     []budget.Bucket
	reservation budget.Amount
	// admitted is the user whose admission slot the query holds (nil: none), bodyShare the
	// bytes of the request budget it holds; release gives both back (admission.go). Fields,
	// not closures, so holding them costs no allocation.
	admitted  *gateway.User
	bodyShare int64
}

// run walks the path; an error return means nothing has been written yet unless the stream
// already started (then stream handled it).
func (x *exchange) run() *gateway.Error {
	_, endAuth := x.child(x.ctx, "authenticate", trace.SpanKindInternal)
	err := x.authenticate()
	endAuth()
	if err != nil {
		return err
	}
	if err := x.admit(); err != nil {
		return err
	}
	if x.q.Endpoint != "" {
		if err := x.resolveEndpoint(x.q.Endpoint); err != nil {
			return err
		}
	}
	if err := x.readBody(); err != nil {
		return err
	}
	if x.q.Endpoint == "" {
		name, err := llm.ModelName(x.body)
		if err != nil {
			return err
		}
		if err := x.resolveEndpoint(name); err != nil {
			return err
		}
	}
	if err := x.validate(); err != nil {
		return err
	}
	if err := x.limit(); err != nil {
		return err
	}
	return x.callUpstream()
}

// limit takes the rate limits and reserves the budgets.
func (x *exchange) limit() *gateway.Error {
	_, end := x.child(x.ctx, "limits and budgets", trace.SpanKindInternal)
	defer end()
	rules, err := x.takeLimits()
	if err != nil {
		return err
	}
	x.tokenRules = rules
	return x.reserveBudgets()
}

func (x *exchange) authenticate() *gateway.Error {
	if p := x.q.Caller.Principal; p != nil {
		x.principal = p
		return nil
	}
	p, err := x.p.app.AuthenticateFresh(x.ctx, x.q.Caller.APIKey)
	if err != nil {
		x.outcome = outcomeUnauthenticated
		return gateway.AsError(err)
	}
	x.principal = p
	return nil
}

// resolveEndpoint finds the endpoint in the snapshot and checks permission. From here on the
// request is attributable, so every failure is audited.
func (x *exchange) resolveEndpoint(name string) *gateway.Error {
	ep := x.p.app.Snapshot().Endpoint(name)
	if (ep == nil || !gateway.Permit(x.principal, ep)) && x.p.app.RefreshOnMiss(x.ctx) {
		// A change committed on another replica just now: judge by the newer state, in which
		// the key itself may have been revoked, the way the caller authenticated (a key or an
		// identity provider's JWT). A principal the surface resolved stands (it has no key to
		// re-read; the surface resolved it from the current snapshot).
		if x.q.Caller.Principal == nil {
			p, err := x.p.app.AuthenticateFresh(x.ctx, x.q.Caller.APIKey)
			if err != nil {
				x.outcome = outcomeUnauthenticated
				return gateway.AsError(err)
			}
			x.principal = p
		}
		ep = x.p.app.Snapshot().Endpoint(name)
	}
	if ep == nil {
		x.outcome = outcomeNotFound
		return gateway.Errorf(gateway.CodeNotFound, "The endpoint '%s' is not present or active on the server. Please verify the endpoint name.", name)
	}
	x.ep = ep
	if !gateway.Permit(x.principal, ep) {
		return gateway.Errorf(gateway.CodeForbidden, "You do not have permission to query endpoint '%s'.", name)
	}
	return nil
}

func (x *exchange) readBody() *gateway.Error {
	if err := x.reserveBody(); err != nil {
		return err
	}
	body, err := x.q.Body.Read()
	if err != nil {
		return gateway.AsError(err)
	}
	x.body = body
	return nil
}

// validate checks the endpoint's type and provider and decodes the body.
func (x *exchange) validate() *gateway.Error {
	ep := x.ep
	if x.q.Type != "" && ep.Type != x.q.Type {
		return gateway.Errorf(gateway.CodeInvalid, "Endpoint '%s' is not a %s endpoint.", ep.Name, typeNoun(x.q.Type))
	}
	req, err := x.q.Surface.Decode(ep.Type, x.body)
	if err != nil {
		return err
	}
	x.req = req
	if params := req.Params(); params != nil && params.StreamOptions != nil {
		x.includeUsage = params.StreamOptions.IncludeUsage
	}
	spec := x.p.app.Providers.Lookup(ep.Provider)
	switch {
	case spec == nil:
		return gateway.Errorf(gateway.CodeInvalid, "provider %q of endpoint '%s' is not supported", ep.Provider, ep.Name)
	case spec.Retired != "" || spec.Translator == nil:
		return gateway.Errorf(gateway.CodeInvalid, "provider %q cannot be queried: %s", spec.Name, spec.Retired)
	case !spec.Supports(ep.Type):
		return gateway.Errorf(gateway.CodeInvalid, "provider %q does not serve %s endpoints", spec.Name, ep.Type)
	case req.Stream() && !spec.CanStream(ep.Type):
		return gateway.Errorf(gateway.CodeInvalid, "provider %q cannot stream %s responses", spec.Name, ep.Type)
	}
	x.spec = spec
	return nil
}

func typeNoun(t gateway.EndpointType) string {
	switch t {
	case gateway.TypeChat:
		return "chat"
	case gateway.TypeCompletions:
		return "completions"
	}
	return "embeddings"
}

// takeLimits admits the call against every call rule and checks that token budget is left;
// it returns the token rules, which are charged once usage is known.
func (x *exchange) takeLimits() ([]gateway.LimitRule, *gateway.Error) {
	calls, tokens := x.p.opts.Rules(x.ep, x.principal)
	rules := append(calls[:len(calls):len(calls)], tokens...)
	if len(rules) == 0 {
		return nil, nil
	}
	d, err := x.p.app.Limiter.Take(x.ctx, rules)
	if err != nil {
		return nil, gateway.AsError(err)
	}
	if d.Allowed {
		return tokens, nil
	}
	rule := rules[max(d.Denied, 0)]
	msg := fmt.Sprintf("Rate limit exceeded: %d per %s", rule.Limit, windowText(rule.Window))
	if d.Denied >= len(calls) {
		msg = fmt.Sprintf("Rate limit exceeded: %d tokens per %s", rule.Limit, windowText(rule.Window))
	}
	return nil, &gateway.Error{Code: gateway.CodeRateLimited, Message: msg, RetryAfter: d.RetryAfter}
}

// windowText renders a window the way MLflow's limits library does ("1 minute").
func windowText(w time.Duration) string {
	if w == time.Minute {
		return "1 minute"
	}
	return w.String()
}

// config merges the endpoint's plain config with its resolved credentials.
func (x *exchange) config() (map[string]string, *gateway.Error) {
	cfg := make(map[string]string, len(x.ep.Config)+len(x.ep.Secrets))
	for k, v := range x.ep.Config {
		cfg[k] = v
	}
	for k, ref := range x.ep.Secrets {
		v, err := x.p.app.Secrets.Resolve(x.ctx, ref.Ref)
		if err != nil {
			x.p.log.Error("resolving endpoint credential", "endpoint", x.ep.Name, "configKey", k,
				"error", gateway.ErrorMessage(err))
			return nil, gateway.Wrap(gateway.CodeUnavailable, err, "the endpoint's credentials could not be resolved")
		}
		cfg[k] = v
	}
	return cfg, nil
}

// callUpstream translates, sends and answers.
func (x *exchange) callUpstream() *gateway.Error {
	if done, err := x.cacheLookup(); done {
		return err
	}
	if len(x.ep.Targets) > 0 || cooldown(x.ep) > 0 {
		return x.callRoutes()
	}
	return x.callRoute()
}

// callRoute calls the provider of x.ep (the endpoint, or the target callRoutes is trying).
func (x *exchange) callRoute() *gateway.Error {
	cfg, gerr := x.config()
	if gerr != nil {
		return gerr
	}
	x.buildScrubber(cfg)
	call := &provider.Call{Type: x.ep.Type, Model: x.ep.Model, Config: cfg, Req: x.req}
	timeout := x.p.opts.DefaultTimeout
	if x.ep.TimeoutSeconds > 0 {
		timeout = time.Duration(x.ep.TimeoutSeconds) * time.Second
	}
	ctx, cancel := context.WithTimeout(x.ctx, timeout)
	defer cancel()
	if sp, ok := x.spec.Translator.(provider.Splitter); ok && !x.req.Stream() {
		if parts := sp.Split(call); len(parts) > 1 {
			return x.callSplit(ctx, sp, call, parts)
		}
	}
	if !x.req.Stream() {
		x.expectAudit()
	}
	sent := time.Now()
	resp, gerr := x.sendWithRetries(ctx, call)
	if gerr != nil {
		return gerr
	}
	defer resp.Body.Close()
	defer func() { x.p.opts.Metrics.ObserveUpstream(x.ep.Name, x.q.Surface.API(), time.Since(sent)) }()
	if x.req.Stream() {
		return x.stream(ctx, cancel, call, resp.Body)
	}
	answer, release, gerr := x.translate(ctx, call, resp)
	defer release() // once the answer is written
	if gerr != nil {
		return gerr
	}
	return x.complete(answer)
}

// maxErrorBody bounds what is read of a non-2xx answer: error envelopes are small, and only
// their message is used.
const maxErrorBody = 64 << 10

// send performs one upstream call and returns its 2xx response; any other status is
// translated into the provider's error.
func (x *exchange) send(ctx context.Context, call *provider.Call) (*http.Response, *gateway.Error) {
	hreq, err := x.spec.Translator.Request(call)
	if err != nil {
		return nil, gateway.AsError(err)
	}
	sent := time.Now()
	x.calledUpstream = true
	ctx, endSpan := x.child(ctx, "upstream "+x.ep.Provider, trace.SpanKindClient)
	defer endSpan()
	x.injectTrace(ctx, hreq.Header)
	resp, err := x.p.opts.Transport(ctx, hreq)
	if len(hreq.Minted) > 0 {
		x.addMinted(hreq.Minted)
	}
	if err != nil {
		return nil, x.upstreamFailure(ctx, err)
	}
	if resp.StatusCode/100 != 2 {
		x.upstreamStatus = resp.StatusCode
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		x.p.opts.Metrics.ObserveUpstream(x.ep.Name, x.q.Surface.API(), time.Since(sent))
		return nil, x.spec.Translator.Error(call, resp.StatusCode, resp.Header, body)
	}
	return resp, nil
}

// callSplit serves a request the provider needs several calls for (e.g. Bedrock Titan
// embeddings, one input per call): the parts go out one after another and are merged in order.
func (x *exchange) callSplit(ctx context.Context, sp provider.Splitter, call *provider.Call, parts []*provider.Call) *gateway.Error {
	sent := time.Now()
	answers := make([]*llm.Response, 0, len(parts))
	for _, part := range parts {
		resp, gerr := x.send(ctx, part)
		if gerr != nil {
			return gerr
		}
		answer, release, gerr := x.translate(ctx, part, resp)
		defer release()
		resp.Body.Close()
		if gerr != nil {
			return gerr
		}
		answers = append(answers, answer)
	}
	x.p.opts.Metrics.ObserveUpstream(x.ep.Name, x.q.Surface.API(), time.Since(sent))
	merged, err := sp.Merge(call, answers)
	if err != nil {
		return gateway.Wrap(gateway.CodeUpstream, err, "could not combine the provider's answers")
	}
	return x.complete(merged)
}

// upstreamFailure classifies a failed send or read: the client leaving wins over everything,
// then our deadline, then whatever transport said.
func (x *exchange) upstreamFailure(ctx context.Context, err error) *gateway.Error {
	switch {
	case x.ctx.Err() != nil:
		return &gateway.Error{Code: codeClientGone, Message: "client closed the request", Err: err}
	case ctx.Err() != nil:
		return &gateway.Error{Code: gateway.CodeTimeout, Message: "the provider did not answer in time", Err: err}
	}
	var ge *gateway.Error
	if e := gateway.AsError(err); e.Code != gateway.CodeInternal {
		ge = e
	} else {
		ge = gateway.Wrap(gateway.CodeUpstream, err, "could not reach the provider")
	}
	return ge
}

// translate reads a complete 2xx body and turns it into the canonical answer.
// The answer's budget (see readAnswer) is held until release is called.
func (x *exchange) translate(ctx context.Context, call *provider.Call, hresp *http.Response) (*llm.Response, func(), *gateway.Error) {
	raw, release, gerr := x.readAnswer(ctx, hresp)
	if gerr != nil {
		return nil, release, gerr
	}
	resp, err := x.spec.Translator.Response(call, raw)
	if err != nil {
		if e := gateway.AsError(err); e.Code != gateway.CodeInternal {
			return nil, release, e
		}
		return nil, release, gateway.Wrap(gateway.CodeUpstream, err, "malformed upstream response")
	}
	x.scrubResponse(resp)
	return resp, release, nil
}

// complete answers a non-streamed request: usage, audit, then the body.
func (x *exchange) complete(resp *llm.Response) *gateway.Error {
	if err := resp.Check(x.req); err != nil {
		return gateway.Wrap(gateway.CodeUpstream, err, "malformed upstream response: "+err.Error())
	}
	fillEnvelope(resp, x.ep.Model)
	x.usage = resp.Usage()
	x.responseModel = resp.Model()
	if x.cacheState == "hit" {
		x.usage = llm.Usage{} // no upstream call: calledUpstream is false, so audited as 0
	}
	if x.ep.LogPayloads {
		x.responseText, _ = json.Marshal(responseBody(resp))
	}
	if err := x.audit(gateway.OutcomeSuccess, http.StatusOK, nil); err != nil {
		return err
	}
	x.firstByte = time.Since(x.start)
	x.out.Answer(resp)
	x.cacheAnswer(resp)
	return nil
}

// fillEnvelope sets the fields every client requires but some providers never send
// (Gemini, Cohere, TGI and MLflow serving have no creation time or model echo).
func fillEnvelope(r *llm.Response, model string) {
	now := time.Now().Unix()
	switch {
	case r.Chat != nil:
		if r.Chat.ID == "" {
			r.Chat.ID = "chatcmpl-" + gateway.NewID()
		}
		if r.Chat.Created == 0 {
			r.Chat.Created = now
		}
		if r.Chat.Model == "" {
			r.Chat.Model = model
		}
		if r.Chat.Object == "" {
			r.Chat.Object = "chat.completion"
		}
	case r.Completion != nil:
		if r.Completion.ID == "" {
			r.Completion.ID = "cmpl-" + gateway.NewID()
		}
		if r.Completion.Created == 0 {
			r.Completion.Created = now
		}
		if r.Completion.Model == "" {
			r.Completion.Model = model
		}
		if r.Completion.Object == "" {
			r.Completion.Object = "text_completion"
		}
	case r.Embeddings != nil:
		if r.Embeddings.Model == "" {
			r.Embeddings.Model = model
		}
		if r.Embeddings.Object == "" {
			r.Embeddings.Object = "list"
		}
	}
}

// responseBody is the one JSON object a complete answer is rendered as, on every surface.
func responseBody(r *llm.Response) any {
	switch {
	case r.Chat != nil:
		return r.Chat
	case r.Completion != nil:
		return r.Completion
	}
	return r.Embeddings
}

// chargeTokens records the answer's tokens against the token limits, before the answer
// completes so the caller's next request already sees them. The client may be gone, but the
// tokens were spent, so this runs on a context detached from it.
func (x *exchange) chargeTokens() {
	total := tokenCount(x.usage)
	rules := x.tokenRules
	if len(rules) == 0 || total <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(x.ctx), 2*time.Second)
	defer cancel()
	if err := x.p.app.Limiter.Record(ctx, rules, total); err != nil {
		x.p.log.Warn("recording token usage", "endpoint", x.ep.Name, "error", gateway.ErrorMessage(err))
	}
}

func tokenCount(u llm.Usage) int64 {
	if u.TotalTokens != nil {
		return *u.TotalTokens
	}
	return deref(u.PromptTokens) + deref(u.CompletionTokens)
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// fail answers an error that happened before any response byte: audit first (when the
// request reached an endpoint), then the surface's envelope.
func (x *exchange) fail(err *gateway.Error) {
	err = x.scrubError(err)
	status := statusClientGone
	if err.Code != codeClientGone {
		status = x.q.Surface.ErrorStatus(err)
	}
	defer func() { x.status = status }()
	if x.ep == nil {
		if x.outcome == "" {
			x.outcome = outcomeOf(err.Code)
		}
	} else {
		x.logFailure(err, status)
		outcome := outcomeOf(err.Code)
		if errors.Is(err.Err, errOverBudget) {
			outcome = gateway.OutcomeOverBudget
		}
		if aerr := x.audit(outcome, status, err); aerr != nil {
			err, status = aerr, x.q.Surface.ErrorStatus(aerr)
		}
	}
	if err.Code != codeClientGone {
		x.out.Error(status, err)
	}
}

// logFailure logs why an upstream call failed (the caller's answer only says that it did):
// the kind of network failure, or the provider's status and message, credentials scrubbed.
func (x *exchange) logFailure(err *gateway.Error, status int) {
	switch outcomeOf(err.Code) {
	case gateway.OutcomeUpstreamError, gateway.OutcomeTimeout:
	default:
		return
	}
	cause := ""
	if err.Err != nil {
		cause = err.Err.Error()
	}
	x.p.log.Warn("upstream call failed", "requestId", x.q.Caller.RequestID, "endpoint", x.ep.Name,
		"provider", x.ep.Provider, "user", x.principal.User.UserName, "status", status, "error", err.Message, "cause", cause)
}

// outcomeOf classifies a failure for the audit trail.
func outcomeOf(c gateway.Code) string {
	switch c {
	case gateway.CodeForbidden:
		return gateway.OutcomeDenied
	case gateway.CodeRateLimited:
		return gateway.OutcomeRateLimited
	case gateway.CodeInvalid, gateway.CodeUnprocessable, gateway.CodeTooLarge:
		return gateway.OutcomeBadRequest
	case gateway.CodeTimeout:
		return gateway.OutcomeTimeout
	case codeClientGone:
		return gateway.OutcomeClientCancelled
	}
	return gateway.OutcomeUpstreamError
}

// metricEndpoint labels metrics with the endpoint name only once it is known to exist, so
// made-up names cannot grow the series without bound.
func (x *exchange) metricEndpoint() string {
	if x.ep == nil {
		return ""
	}
	return x.ep.Name
}

// payloadLimit bounds logged request and response text per event.
const payloadLimit = 64 << 10

func truncate(b []byte) string {
	if len(b) > payloadLimit {
		b = b[:payloadLimit]
	}
	return string(bytes.ToValidUTF8(b, nil))
}
