// Package limittest is the conformance suite every gateway.Limiter passes, so the in-process
// and the Redis limiter are interchangeable: exact under concurrency, atomic across rules,
// and honest about when a denied caller may retry.
package limittest

import (
	"context"
	"crypto/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// Run runs the suite. newLimiter is called once per subtest; limiters may share a backend,
// since every subtest uses keys no other run uses.
func Run(t *testing.T, newLimiter func(t *testing.T) gateway.Limiter) {
	tests := []struct {
		name string
		fn   func(t *testing.T, l gateway.Limiter)
	}{
		{"ExactUnderConcurrency", testExactUnderConcurrency},
		{"MultiRuleAtomicity", testMultiRuleAtomicity},
		{"ConcurrentMultiRuleAtomicity", testConcurrentMultiRuleAtomicity},
		{"RepeatedKeyInOneTake", testRepeatedKeyInOneTake},
		{"TokenNeedAddAndRecord", testTokenNeedAddAndRecord},
		{"RetryAfter", testRetryAfter},
		{"IndependentKeys", testIndependentKeys},
		{"NoRules", testNoRules},
		{"InvalidRules", testInvalidRules},
		{"WindowExpiry", testWindowExpiry},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newLimiter(t))
		})
	}
}

// UniqueKey returns a key no other test run uses, so suites may share one Redis.
func UniqueKey(t *testing.T, name string) string {
	return "test:" + t.Name() + ":" + rand.Text() + ":" + name
}

// callRule is a calls-per-window rule: every request needs and takes one unit.
func callRule(key string, limit int64, window time.Duration) gateway.LimitRule {
	return gateway.LimitRule{Key: key, Limit: limit, Window: window, Need: 1, Add: 1}
}

// ConcurrentTakes runs n Takes of the same rules at once, spread round-robin over limiters
// and released together so they truly race, and returns how many were admitted.
func ConcurrentTakes(t *testing.T, limiters []gateway.Limiter, n int, rules []gateway.LimitRule) int {
	t.Helper()
	admitted, err := concurrentTakes(limiters, n, rules)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	return admitted
}

// concurrentTakes is ConcurrentTakes for callers off the test goroutine, where t.Fatal is
// not allowed.
func concurrentTakes(limiters []gateway.Limiter, n int, rules []gateway.LimitRule) (int, error) {
	var (
		admitted atomic.Int64
		failure  atomic.Pointer[error]
		start    = make(chan struct{})
		wg       sync.WaitGroup
	)
	for i := range n {
		l := limiters[i%len(limiters)]
		wg.Go(func() {
			<-start
			d, err := l.Take(context.Background(), rules)
			switch {
			case err != nil:
				failure.CompareAndSwap(nil, &err)
			case d.Allowed:
				admitted.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if err := failure.Load(); err != nil {
		return 0, *err
	}
	return int(admitted.Load()), nil
}

func take(t *testing.T, l gateway.Limiter, rules ...gateway.LimitRule) gateway.LimitDecision {
	t.Helper()
	d, err := l.Take(context.Background(), rules)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	return d
}

func record(t *testing.T, l gateway.Limiter, n int64, rules ...gateway.LimitRule) {
	t.Helper()
	if err := l.Record(context.Background(), rules, n); err != nil {
		t.Fatalf("Record: %v", err)
	}
}

// mustAdmit takes n times and fails unless each is admitted.
func mustAdmit(t *testing.T, l gateway.Limiter, n int, rules ...gateway.LimitRule) {
	t.Helper()
	for i := range n {
		if d := take(t, l, rules...); !d.Allowed || d.Denied != -1 {
			t.Fatalf("take %d of %d: got %+v, want admitted with Denied -1", i+1, n, d)
		}
	}
}

// mustDeny takes once and fails unless rule index denied is the one that refused.
func mustDeny(t *testing.T, l gateway.Limiter, denied int, rules ...gateway.LimitRule) gateway.LimitDecision {
	t.Helper()
	d := take(t, l, rules...)
	if d.Allowed || d.Denied != denied {
		t.Fatalf("got %+v, want denied by rule %d", d, denied)
	}
	if d.RetryAfter < time.Second || d.RetryAfter%time.Second != 0 {
		t.Fatalf("RetryAfter = %v, want whole seconds >= 1s", d.RetryAfter)
	}
	return d
}
