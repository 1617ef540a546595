package ratelimit_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/ratelimit"
	"github.com/llmgate/llmgate/ratelimit/memory"
)

var errBackend = errors.New("dial tcp 10.0.0.7:6379: connection refused")

// brokenLimiter fails every call, like a backend that is down.
type brokenLimiter struct{}

func (brokenLimiter) Take(context.Context, []gateway.LimitRule) (gateway.LimitDecision, error) {
	return gateway.LimitDecision{}, errBackend
}
func (brokenLimiter) Record(context.Context, []gateway.LimitRule, int64) error { return errBackend }

// stuckLimiter ignores its context and never answers until the test ends, like a backend
// behind a black-holed connection.
type stuckLimiter struct{ release chan struct{} }

func (s stuckLimiter) Take(context.Context, []gateway.LimitRule) (gateway.LimitDecision, error) {
	<-s.release
	return gateway.LimitDecision{Allowed: true}, nil
}
func (s stuckLimiter) Record(context.Context, []gateway.LimitRule, int64) error {
	<-s.release
	return nil
}

func newStuck(t *testing.T) stuckLimiter {
	s := stuckLimiter{release: make(chan struct{})}
	t.Cleanup(func() { close(s.release) })
	return s
}

var rule = []gateway.LimitRule{{Key: "calls:ep:1", Limit: 1, Window: time.Minute, Need: 1, Add: 1}}

func TestPolicyOnFailure(t *testing.T) {
	tests := []struct {
		name      string
		failOpen  bool
		inner     func(t *testing.T) gateway.Limiter
		wantCause error
	}{
		{"closed, backend down", false, func(*testing.T) gateway.Limiter { return brokenLimiter{} }, errBackend},
		{"open, backend down", true, func(*testing.T) gateway.Limiter { return brokenLimiter{} }, errBackend},
		{"closed, backend hangs", false, func(t *testing.T) gateway.Limiter { return newStuck(t) }, context.DeadlineExceeded},
		{"open, backend hangs", true, func(t *testing.T) gateway.Limiter { return newStuck(t) }, context.DeadlineExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var reported atomic.Int32
			l := ratelimit.WithPolicy(tc.inner(t), ratelimit.Policy{
				FailOpen: tc.failOpen,
				Timeout:  50 * time.Millisecond,
				OnError: func(err error) {
					if !errors.Is(err, tc.wantCause) {
						t.Errorf("OnError(%v), want cause %v", err, tc.wantCause)
					}
					reported.Add(1)
				},
			})
			start := time.Now()
			d, takeErr := l.Take(context.Background(), rule)
			recordErr := l.Record(context.Background(), rule, 10)
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Fatalf("decisions took %v despite a 50ms timeout", elapsed)
			}
			if reported.Load() != 2 {
				t.Fatalf("OnError called %d times, want 2", reported.Load())
			}
			if tc.failOpen {
				if takeErr != nil || recordErr != nil || !d.Allowed || d.Denied != -1 {
					t.Fatalf("fail open: Take = %+v, %v; Record = %v; want admitted, no errors", d, takeErr, recordErr)
				}
				return
			}
			for _, err := range []error{takeErr, recordErr} {
				if gateway.ErrorCode(err) != gateway.CodeUnavailable || !errors.Is(err, tc.wantCause) {
					t.Fatalf("fail closed: error %v, want CodeUnavailable wrapping %v", err, tc.wantCause)
				}
			}
			if gateway.ErrorMessage(takeErr) != "rate limiter unavailable" {
				t.Fatalf("caller-visible message %q leaks backend detail", gateway.ErrorMessage(takeErr))
			}
			if d.Allowed {
				t.Fatal("fail closed admitted the request")
			}
		})
	}
}

func TestPolicyDefaultTimeout(t *testing.T) {
	l := ratelimit.WithPolicy(newStuck(t), ratelimit.Policy{})
	start := time.Now()
	_, err := l.Take(context.Background(), rule)
	elapsed := time.Since(start)
	if gateway.ErrorCode(err) != gateway.CodeUnavailable {
		t.Fatalf("error %v, want CodeUnavailable (fail closed by default)", err)
	}
	if elapsed < ratelimit.DefaultTimeout || elapsed > 2*time.Second {
		t.Fatalf("gave up after %v, want about %v", elapsed, ratelimit.DefaultTimeout)
	}
}

// A healthy limiter's decisions pass through untouched, denials included.
func TestPolicyPassesDecisions(t *testing.T) {
	l := ratelimit.WithPolicy(memory.New(), ratelimit.Policy{OnError: func(err error) { t.Errorf("OnError(%v)", err) }})
	if d, err := l.Take(context.Background(), rule); err != nil || !d.Allowed {
		t.Fatalf("first Take = %+v, %v; want admitted", d, err)
	}
	d, err := l.Take(context.Background(), rule)
	if err != nil || d.Allowed || d.Denied != 0 || d.RetryAfter != time.Minute {
		t.Fatalf("second Take = %+v, %v; want denied by rule 0 for 1m", d, err)
	}
}

// Invalid rules are a caller bug: failing open on them would silently lift limits.
func TestPolicyKeepsInvalidRuleErrors(t *testing.T) {
	l := ratelimit.WithPolicy(memory.New(), ratelimit.Policy{FailOpen: true, OnError: func(err error) { t.Errorf("OnError(%v)", err) }})
	bad := []gateway.LimitRule{{Key: "k", Limit: 0, Window: time.Minute, Need: 1, Add: 1}}
	if d, err := l.Take(context.Background(), bad); gateway.ErrorCode(err) != gateway.CodeInvalid || d.Allowed {
		t.Fatalf("Take = %+v, %v; want CodeInvalid, not admitted", d, err)
	}
}

// A caller that gave up is not a limiter outage.
func TestPolicyCallerCancelled(t *testing.T) {
	l := ratelimit.WithPolicy(newStuck(t), ratelimit.Policy{FailOpen: true, OnError: func(err error) { t.Errorf("OnError(%v)", err) }})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if d, err := l.Take(ctx, rule); !errors.Is(err, context.Canceled) || d.Allowed {
		t.Fatalf("Take = %+v, %v; want context.Canceled, not admitted", d, err)
	}
}
