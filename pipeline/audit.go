package pipeline

import (
	"slices"
	"strconv"
	"strings"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/metrics"
	"github.com/llmgate/llmgate/pricing"
	"go.opentelemetry.io/otel/trace"
)

// audit charges the tokens used, then writes the request's one access event and waits until it is durable. Callers invoke
// it before the response's last byte, so a caller that got an answer always has its event.
// A failure to record is returned as an error the caller answers with instead: llmgate does
// not serve what it cannot account for.
func (x *exchange) audit(outcome string, status int, failure *gateway.Error) *gateway.Error {
	estimated := x.estimateUsage()
	x.chargeTokens()
	x.outcome = outcome
	md := x.metadata(outcome, status)
	if estimated {
		md["usageEstimated"] = "true"
	}
	cost := x.cost()
	x.settleBudgets(cost)
	md["cost"], md["currency"] = x.costText(cost), gateway.Currency
	if len(x.routesTried) > 0 {
		md["routes"] = x.routesText()
	}
	if x.cacheState != "" {
		md["cache"] = x.cacheState
	}
	if len(x.attempts) > 1 {
		md["upstreamAttempts"], md["attempts"] = strconv.Itoa(len(x.attempts)), x.attemptsText()
	}
	if failure != nil {
		md["error"] = failure.Message
		if failure.Err != nil { // the cause: DNS, refused, TLS, timeout, the provider's status and message
			md["errorCause"] = truncateString(failure.Err.Error(), 1000)
		}
	}
	if x.ep.LogPayloads {
		md["requestPayload"] = truncate(x.body)
		if len(x.responseText) > 0 {
			md["responsePayload"] = truncate(x.responseText)
		}
	}
	ev := &gateway.AuditEvent{
		ID: gateway.NewID(), Kind: gateway.KindAccessEndpoint, Timestamp: gateway.Now(),
		PerformedBy: x.principal.User.ID, EndpointID: x.ep.ID, EndpointType: string(x.ep.Type), Metadata: md,
	}
	_, endSpan := x.child(x.ctx, "audit write", trace.SpanKindInternal)
	x.auditArrived()
	err := x.p.app.Audit.Write(ev)
	endSpan()
	if err != nil {
		x.p.log.Error("writing access audit event", "requestId", md["requestId"], "error", err)
		return gateway.Wrap(gateway.CodeUnavailable, err, "the audit trail is unavailable; the request was not served")
	}
	x.out.Receipt(Receipt(ev))
	return nil
}

// expectAudit tells the audit writer this query's event is on its way (the query is going
// upstream), so a group commit being formed may wait briefly for it rather than commit
// without it and pay a whole commit for it alone (audit.Writer.Expect).
func (x *exchange) expectAudit() {
	if !x.auditExpected {
		x.auditExpected = true
		x.p.app.Audit.Expect()
	}
}

// auditArrived withdraws the announcement: the event is being written, or never will be.
func (x *exchange) auditArrived() {
	if x.auditExpected {
		x.auditExpected = false
		x.p.app.Audit.Arrived()
	}
}

// Receipt is a committed event's place in the chain, so a caller can later prove its call was
// recorded (and unaltered) by asking for that seq and checking its hash. HTTP surfaces send it
// as httpkit.ReceiptHeader.
func Receipt(ev *gateway.AuditEvent) string {
	return "seq=" + strconv.FormatInt(ev.Seq, 10) + "; hash=" + ev.Hash
}

// metadata holds every field docs/contract/product.md requires of an access event.
func (x *exchange) metadata(outcome string, status int) map[string]string {
	ep, u := x.ep, x.principal.User
	stream := x.req != nil && x.req.Stream()
	requestID := x.q.Caller.RequestID
	if requestID == "" {
		requestID = gateway.NewRequestID()
	}
	return map[string]string{
		"accessedByUsername": u.UserName,
		"accessedByUserId":   u.ID,
		"apiKeyId":           x.principal.KeyID,
		"endpointName":       ep.Name,
		"endpointId":         ep.ID,
		"endpointType":       string(ep.Type),
		"modelProvider":      ep.Provider,
		"modelName":          ep.Model,
		"outcome":            outcome,
		"httpStatus":         strconv.Itoa(status),
		"latencyMs":          strconv.FormatInt(timeSinceMs(x), 10),
		"promptTokens":       x.tokenText(x.usage.PromptTokens),
		"completionTokens":   x.tokenText(x.usage.CompletionTokens),
		"totalTokens":        x.tokenText(totalTokens(x.usage)),
		"stream":             strconv.FormatBool(stream),
		"requestId":          requestID,
		"clientIp":           x.q.Caller.ClientIP,
		"userAgent":          x.q.Caller.UserAgent,
		"api":                x.q.Surface.API(),
		"organizationIds":    orgIDs(x.principal),
	}
}

func timeSinceMs(x *exchange) int64 { return gateway.Now().Sub(x.start).Milliseconds() }

func truncateString(s string, n int) string {
	if len(s) > n {
		s = s[:n] + "…"
	}
	return strings.ToValidUTF8(s, "")
}

// tokenText is a token count for the access event: the count, "0" when the query never reached
// the provider (nothing was spent), and "" when the provider was called but reported nothing —
// unknown, never a made-up 0 (docs/contract/domino-aigateway.md §6.1).
func (x *exchange) tokenText(n *int64) string {
	switch {
	case n != nil:
		return strconv.FormatInt(*n, 10)
	case !x.calledUpstream:
		return "0"
	}
	return ""
}

// totalTokens is the reported total, or prompt plus completion when both are known.
func totalTokens(u llm.Usage) *int64 {
	if u.TotalTokens != nil || u.PromptTokens == nil || u.CompletionTokens == nil {
		return u.TotalTokens
	}
	t := *u.PromptTokens + *u.CompletionTokens
	return &t
}

// orgIDs are the caller's organizations as usage attributes the request to them: sorted ids,
// comma-separated ("" for none).
func orgIDs(p *gateway.Principal) string {
	if p == nil || len(p.OrgIDs) == 0 {
		return ""
	}
	ids := slices.Clone(p.OrgIDs)
	slices.Sort(ids)
	return strings.Join(ids, ",")
}

// observeAnswer adds the query's tokens and time to first byte to the metrics (queries that
// reached an endpoint only).
func (x *exchange) observeAnswer() {
	if x.ep == nil {
		return
	}
	x.p.opts.Metrics.ObserveAnswer(metrics.Answer{Endpoint: x.ep.Name, Surface: x.q.Surface.API(), Provider: x.ep.Provider,
		Model: x.ep.Model, Outcome: x.outcome, PromptTokens: deref(x.usage.PromptTokens),
		CompletionTokens: deref(x.usage.CompletionTokens), FirstByte: x.firstByte})
}

// costText is the query's cost for the access event (package pricing): "0" when it never
// reached the provider, "" when unknown (no price for the model, or usage not reported).
func (x *exchange) costText(c *float64) string {
	switch {
	case !x.calledUpstream:
		return "0"
	case c == nil:
		return ""
	}
	return strconv.FormatFloat(*c, 'f', -1, 64)
}

// cost is the query's cost, nil when unknown.
func (x *exchange) cost() *float64 {
	if !x.calledUpstream {
		return nil
	}
	return pricing.Default().Cost(x.ep, x.usage)
}
