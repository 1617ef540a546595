package ratelimit

import (
	"context"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// DefaultTimeout bounds one limiter decision when Policy.Timeout is zero: long enough for a
// healthy Redis round trip, short enough that a dead one does not stall every request.
const DefaultTimeout = 250 * time.Millisecond

// Policy decides what a request sees when the limiter backend fails or is slow.
type Policy struct {
	// FailOpen admits requests while the limiter is failing; the default denies them with
	// CodeUnavailable, so limits are never silently lifted.
	FailOpen bool
	// Timeout bounds each Take and Record; zero means DefaultTimeout.
	Timeout time.Duration
	// OnError, when set, is told about every limiter failure (for logs and metrics). The
	// error may carry a backend address but never a credential.
	OnError func(error)
}

// WithPolicy wraps l so a decision never outlasts p.Timeout and a backend failure is handled
// by p instead of reaching the caller as an arbitrary error. Invalid rules are a caller bug,
// not an outage, so their CodeInvalid error passes through unchanged whatever the policy.
func WithPolicy(l gateway.Limiter, p Policy) gateway.Limiter {
	if p.Timeout <= 0 {
		p.Timeout = DefaultTimeout
	}
	return &policyLimiter{inner: l, policy: p}
}

type policyLimiter struct {
	inner  gateway.Limiter
	policy Policy
}

func (l *policyLimiter) Take(ctx context.Context, rules []gateway.LimitRule) (gateway.LimitDecision, error) {
	d, err := withDeadline(ctx, l.policy.Timeout, func(ctx context.Context) (gateway.LimitDecision, error) {
		return l.inner.Take(ctx, rules)
	})
	if err == nil {
		return d, nil
	}
	if err := l.fail(ctx, err); err != nil {
		return gateway.LimitDecision{Denied: -1}, err
	}
	return gateway.LimitDecision{Allowed: true, Denied: -1}, nil
}

func (l *policyLimiter) Record(ctx context.Context, rules []gateway.LimitRule, n int64) error {
	_, err := withDeadline(ctx, l.policy.Timeout, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, l.inner.Record(ctx, rules, n)
	})
	if err == nil {
		return nil
	}
	return l.fail(ctx, err)
}

// fail applies the policy to a limiter error: nil means "admit anyway". A caller that gave
// up (client gone) is not a limiter outage, so it is neither reported nor failed open.
func (l *policyLimiter) fail(ctx context.Context, err error) error {
	if gateway.ErrorCode(err) == gateway.CodeInvalid {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if l.policy.OnError != nil {
		l.policy.OnError(err)
	}
	if l.policy.FailOpen {
		return nil
	}
	return gateway.Wrap(gateway.CodeUnavailable, err, "rate limiter unavailable")
}

// withDeadline runs call under a timeout but returns when the timeout ends even if call
// ignores its context, so a backend that hangs can never hang the request.
func withDeadline[T any](ctx context.Context, timeout time.Duration, call func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type result struct {
		val T
		err error
	}
	done := make(chan result, 1) // buffered: a late call must not block forever on send
	go func() {
		v, err := call(ctx)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.val, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
