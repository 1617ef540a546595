package pipeline

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
)

// Retries (gateway.Routing): a failed upstream call whose class the endpoint lists in
// retryOn — the provider's 429, its 5xx, a timeout, a connection failure — is tried again, up
// to maxAttempts in all, after an exponential backoff with jitter (or the provider's
// Retry-After when longer), all within the endpoint's timeout. A stream is only retried before
// its first byte reaches the client: send returns before anything is written. The caller's own
// 4xx are never retried. Every attempt is recorded in the access event (upstreamAttempts,
// attempts). Cost per query without retries: none beyond one slice append.

// retryBase is the first backoff; it doubles with each retry.
const retryBase = 100 * time.Millisecond

// attempt is one upstream call of a query.
type attempt struct {
	status   int // the provider's HTTP status, 0 when no answer came
	class    string
	duration time.Duration
}

// sendWithRetries sends call, retrying as the endpoint's routing allows.
func (x *exchange) sendWithRetries(ctx context.Context, call *provider.Call) (*http.Response, *gateway.Error) {
	attempts := x.ep.Routing.Attempts()
	for i := 0; ; i++ {
		started := time.Now()
		x.upstreamStatus = 0
		resp, gerr := x.send(ctx, call)
		a := attempt{status: x.upstreamStatus, duration: time.Since(started)}
		if gerr == nil {
			a.status = resp.StatusCode
			x.attempts = append(x.attempts, a)
			return resp, nil
		}
		a.class = failureClass(gerr, a.status)
		x.attempts = append(x.attempts, a)
		if i+1 >= attempts || !x.ep.Routing.Retries(a.class) || x.ctx.Err() != nil {
			return nil, gerr
		}
		wait := retryBase << i
		wait += time.Duration(rand.Int64N(int64(wait)/2 + 1))
		wait = max(wait, gerr.RetryAfter)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= wait {
			return nil, gerr // no time left for another attempt
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, x.upstreamFailure(ctx, ctx.Err())
		case <-t.C:
		}
	}
}

// failureClass is the retry class of a failed attempt ("" when it is not retryable).
func failureClass(err *gateway.Error, status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "429"
	case status >= 500:
		return "5xx"
	case status != 0:
		return "" // the provider refused the request itself: the caller's fault
	case err.Code == gateway.CodeTimeout:
		return "timeout"
	case err.Code == gateway.CodeUpstream:
		return "connect"
	}
	return ""
}

// attemptsText renders the attempts for the access event: "429:12ms,503:3ms,200:41ms".
func (x *exchange) attemptsText() string {
	var b strings.Builder
	for i, a := range x.attempts {
		if i > 0 {
			b.WriteByte(',')
		}
		if a.status != 0 {
			b.WriteString(strconv.Itoa(a.status))
		} else {
			b.WriteString(a.class)
		}
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(a.duration.Milliseconds(), 10))
		b.WriteString("ms")
	}
	return b.String()
}
