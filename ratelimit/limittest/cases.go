package limittest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// limits are the sizes the concurrency cases run at: the smallest possible, typical, and
// large enough that thousands of Takes race.
var limits = []int64{1, 7, 50, 400}

func testExactUnderConcurrency(t *testing.T, l gateway.Limiter) {
	for _, n := range limits {
		t.Run(fmt.Sprint("N=", n), func(t *testing.T) {
			rule := callRule(UniqueKey(t, "calls"), n, time.Minute)
			if got := ConcurrentTakes(t, []gateway.Limiter{l}, int(3*n), []gateway.LimitRule{rule}); got != int(n) {
				t.Fatalf("admitted %d of %d concurrent Takes, want exactly %d", got, 3*n, n)
			}
			mustDeny(t, l, 0, rule)
		})
	}
}

// A denial by a later rule must leave no trace in the earlier ones.
func testMultiRuleAtomicity(t *testing.T, l gateway.Limiter) {
	wide := callRule(UniqueKey(t, "wide"), 10, time.Minute)
	narrow := callRule(UniqueKey(t, "narrow"), 2, time.Minute)
	mustAdmit(t, l, 2, wide, narrow)
	for range 5 {
		mustDeny(t, l, 1, wide, narrow)
	}
	// Only the two admitted Takes counted in wide: eight remain.
	mustAdmit(t, l, 8, wide)
	mustDeny(t, l, 0, wide, narrow)
}

func testConcurrentMultiRuleAtomicity(t *testing.T, l gateway.Limiter) {
	for _, n := range limits {
		t.Run(fmt.Sprint("N=", n), func(t *testing.T) {
			wide := callRule(UniqueKey(t, "wide"), 10*n, time.Minute)
			narrow := callRule(UniqueKey(t, "narrow"), n, time.Minute)
			rules := []gateway.LimitRule{wide, narrow}
			if got := ConcurrentTakes(t, []gateway.Limiter{l}, int(3*n), rules); got != int(n) {
				t.Fatalf("admitted %d, want exactly %d", got, n)
			}
			// wide recorded exactly the n admitted Takes, none of the 2n denied ones.
			if got := ConcurrentTakes(t, []gateway.Limiter{l}, int(10*n), []gateway.LimitRule{wide}); got != int(9*n) {
				t.Fatalf("wide admitted %d afterwards, want %d", got, 9*n)
			}
		})
	}
}

// Two rules naming the same key in one Take count the Take's own units against each other.
func testRepeatedKeyInOneTake(t *testing.T, l gateway.Limiter) {
	key := UniqueKey(t, "shared")
	a, b := callRule(key, 3, time.Minute), callRule(key, 3, time.Minute)
	mustAdmit(t, l, 1, a, b) // 2 units used
	mustDeny(t, l, 1, a, b)  // a alone fits (3rd unit), a+b would be 4
	mustAdmit(t, l, 1, a)
	mustDeny(t, l, 0, a, b)
}

// Token rules only ask whether budget is left (Need 1, Add 0); usage arrives with Record,
// which never checks the limit.
func testTokenNeedAddAndRecord(t *testing.T, l gateway.Limiter) {
	budget := gateway.LimitRule{Key: UniqueKey(t, "tokens"), Limit: 1000, Window: time.Minute, Need: 1, Add: 0}
	mustAdmit(t, l, 50, budget) // pre-checks consume nothing
	record(t, l, 600, budget)
	mustAdmit(t, l, 1, budget)
	record(t, l, 399, budget) // 999 used: one token left
	mustAdmit(t, l, 1, budget)
	bigger := budget
	bigger.Need = 2
	mustDeny(t, l, 0, bigger)
	record(t, l, 500, budget) // over the limit: Record still records
	mustDeny(t, l, 0, budget)

	// A zero Record changes nothing.
	fresh := budget
	fresh.Key = UniqueKey(t, "tokens-fresh")
	fresh.Limit = 1
	record(t, l, 0, fresh)
	mustAdmit(t, l, 1, fresh)
}

// RetryAfter is the wait until the oldest entries expire: with everything just taken, that is
// (nearly) the whole window, rounded up to whole seconds and never beyond the window.
func testRetryAfter(t *testing.T, l gateway.Limiter) {
	for _, window := range []time.Duration{time.Minute, 10 * time.Minute, 90 * time.Second} {
		t.Run(window.String(), func(t *testing.T) {
			rule := callRule(UniqueKey(t, "retry"), 3, window)
			mustAdmit(t, l, 3, rule)
			d := mustDeny(t, l, 0, rule)
			if d.RetryAfter > window || d.RetryAfter < window-5*time.Second {
				t.Fatalf("RetryAfter = %v, want within 5s below the %v window", d.RetryAfter, window)
			}
		})
	}
	t.Run("NeedBeyondLimit", func(t *testing.T) {
		rule := gateway.LimitRule{Key: UniqueKey(t, "huge"), Limit: 5, Window: time.Minute, Need: 6, Add: 1}
		d := mustDeny(t, l, 0, rule)
		if d.RetryAfter > time.Minute {
			t.Fatalf("RetryAfter = %v, want at most the window", d.RetryAfter)
		}
	})
}

func testIndependentKeys(t *testing.T, l gateway.Limiter) {
	a := callRule(UniqueKey(t, "a"), 5, time.Minute)
	b := callRule(UniqueKey(t, "b"), 5, time.Minute)
	mustAdmit(t, l, 5, a)
	mustDeny(t, l, 0, a)
	mustAdmit(t, l, 5, b)
	mustDeny(t, l, 0, b)

	// Racing on many keys at once still gives each key exactly its limit.
	const keys, n = 8, 20
	type result struct {
		admitted int
		err      error
	}
	results := make(chan result, keys)
	for i := range keys {
		rule := callRule(UniqueKey(t, fmt.Sprint("k", i)), n, time.Minute)
		go func() {
			got, err := concurrentTakes([]gateway.Limiter{l}, 3*n, []gateway.LimitRule{rule})
			results <- result{got, err}
		}()
	}
	for range keys {
		r := <-results
		if r.err != nil {
			t.Fatalf("Take: %v", r.err)
		}
		if r.admitted != n {
			t.Fatalf("a key admitted %d, want %d", r.admitted, n)
		}
	}
}

func testNoRules(t *testing.T, l gateway.Limiter) {
	mustAdmit(t, l, 3)
	record(t, l, 10)
}

func testInvalidRules(t *testing.T, l gateway.Limiter) {
	ok := callRule(UniqueKey(t, "ok"), 1, time.Minute)
	bad := map[string]gateway.LimitRule{
		"empty key":     callRule("", 1, time.Minute),
		"zero limit":    callRule(UniqueKey(t, "z"), 0, time.Minute),
		"zero window":   callRule(UniqueKey(t, "w"), 1, 0),
		"negative need": {Key: UniqueKey(t, "n"), Limit: 1, Window: time.Minute, Need: -1, Add: 1},
		"negative add":  {Key: UniqueKey(t, "a"), Limit: 1, Window: time.Minute, Need: 1, Add: -1},
	}
	for name, rule := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := l.Take(context.Background(), []gateway.LimitRule{ok, rule})
			if gateway.ErrorCode(err) != gateway.CodeInvalid {
				t.Fatalf("Take error = %v, want CodeInvalid", err)
			}
			if err := l.Record(context.Background(), []gateway.LimitRule{ok, rule}, 1); gateway.ErrorCode(err) != gateway.CodeInvalid {
				t.Fatalf("Record error = %v, want CodeInvalid", err)
			}
		})
	}
	if err := l.Record(context.Background(), []gateway.LimitRule{ok}, -1); gateway.ErrorCode(err) != gateway.CodeInvalid {
		t.Fatalf("Record(-1) error = %v, want CodeInvalid", err)
	}
	// The invalid calls recorded nothing in the valid rule.
	mustAdmit(t, l, 1, ok)
}

// After a window has passed since the limit filled, the key admits again. Real time is used
// so the suite needs no access to the limiter's clock; a short window keeps that fast.
func testWindowExpiry(t *testing.T, l gateway.Limiter) {
	const window = time.Second
	rule := callRule(UniqueKey(t, "expiry"), 2, window)
	filled := time.Now()
	mustAdmit(t, l, 2, rule)
	mustDeny(t, l, 0, rule)
	admittedAt := pollUntilAdmitted(t, l, rule, 5*window)
	if waited := admittedAt.Sub(filled); waited < window*9/10 {
		t.Fatalf("admitted again after %v, before the %v window passed", waited, window)
	}
	pollUntilAdmitted(t, l, rule, 5*window) // the second unit expires (nearly) at once
	mustDeny(t, l, 0, rule)
}

// pollUntilAdmitted retries a Take on a ticker until it is admitted or the deadline passes.
func pollUntilAdmitted(t *testing.T, l gateway.Limiter, rule gateway.LimitRule, within time.Duration) time.Time {
	t.Helper()
	deadline := time.After(within)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-deadline:
			t.Fatalf("not admitted again within %v", within)
		case <-tick.C:
			if d := take(t, l, rule); d.Allowed {
				return time.Now()
			}
		}
	}
}
