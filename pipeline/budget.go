package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/llmgate/llmgate/gateway"
)

// Non-streamed upstream answers are read whole before they are translated, so two limits
// bound the memory they take: each answer may be at most MaxResponseBytes (larger is a 502
// without reading on), and all answers being read or relayed at once may hold at most
// MaxInflightResponseBytes of buffer between them. A reader takes budget as its buffer grows
// (up front when the provider sends a Content-Length) and gives it back once the answer is
// written; a reader that cannot get budget within AnswerBudgetWait answers 503, so a burst of huge
// answers queues briefly and then sheds instead of taking the process's memory.

// Defaults for Options.
const (
	DefaultMaxResponseBytes         = 8 << 20
	DefaultMaxInflightResponseBytes = 64 << 20
)

// DefaultAnswerBudgetWait bounds how long a reader waits for answer budget before answering
// 503.
const DefaultAnswerBudgetWait = 10 * time.Second

// minGrow is the smallest step an answer buffer grows by (and takes budget for) once the
// first read did not hold it; unsized is where an answer of unknown length (chunked) starts:
// most answers are a few KiB, and a 64 KiB buffer for each was most of a query's allocation.
const (
	minGrow = 64 << 10
	unsized = 8 << 10
)

// readAnswer reads a 2xx body within the caps. release gives the budget back; it is never
// nil, and must be called once the answer is no longer referenced.
func (x *exchange) readAnswer(ctx context.Context, resp *http.Response) (raw []byte, release func(), gerr *gateway.Error) {
	limit := x.p.opts.MaxResponseBytes
	held := int64(0)
	release = func() {
		if held > 0 {
			x.p.answers.Release(held)
			x.p.inflight.Add(-held)
			held = 0
		}
	}
	if resp.ContentLength > limit {
		return nil, release, x.tooLarge()
	}
	grow := func(n int64) *gateway.Error {
		wctx, cancel := context.WithTimeout(ctx, x.p.opts.AnswerBudgetWait)
		defer cancel()
		if err := x.p.answers.Acquire(wctx, n); err != nil {
			if ctx.Err() != nil {
				return x.upstreamFailure(ctx, err)
			}
			return &gateway.Error{Code: gateway.CodeUnavailable, RetryAfter: time.Second, Err: err,
				Message: "the gateway is busy relaying other large answers; retry shortly"}
		}
		held += n
		x.p.inflight.Add(n)
		return nil
	}
	initial := int64(unsized)
	if resp.ContentLength >= 0 {
		initial = resp.ContentLength + 1 // +1 so EOF is seen without growing
	}
	if gerr := grow(initial); gerr != nil {
		return nil, release, gerr
	}
	buf := make([]byte, 0, initial)
	for {
		if len(buf) == cap(buf) {
			next := min(max(2*int64(cap(buf)), minGrow), limit+1)
			if next <= int64(cap(buf)) {
				return nil, release, x.tooLarge()
			}
			if gerr := grow(next - int64(cap(buf))); gerr != nil {
				return nil, release, gerr
			}
			// held now covers the bigger buffer (held == cap(buf) throughout); the old one is
			// garbage once copied. Releasing its size as well gave back budget never taken
			// and panicked the semaphore on the step to the cap.
			bigger := make([]byte, len(buf), next)
			copy(bigger, buf)
			buf = bigger
		}
		n, err := resp.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, release, x.tooLarge()
		}
		if errors.Is(err, io.EOF) {
			return buf, release, nil
		}
		if err != nil {
			return nil, release, x.upstreamFailure(ctx, err)
		}
	}
}

func (x *exchange) tooLarge() *gateway.Error {
	return gateway.Errorf(gateway.CodeUpstream, "the provider's answer exceeds the %s limit (--max-response-bytes)",
		sizeText(x.p.opts.MaxResponseBytes))
}

// sizeText renders a byte count the way the settings accept it.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d-byte", n)
}

// InflightAnswerBytes reports how much of the answer budget is taken now.
func (p *Pipeline) InflightAnswerBytes() int64 { return p.inflight.Load() }

// newBudget returns the process's answer budget.
func newBudget(n int64) *semaphore.Weighted { return semaphore.NewWeighted(n) }
