package memory

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/ratelimit"
	"github.com/llmgate/llmgate/ratelimit/limittest"
)

func TestConformance(t *testing.T) {
	limittest.Run(t, func(*testing.T) gateway.Limiter { return New() })
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func calls(key string, limit int64) gateway.LimitRule {
	return gateway.LimitRule{Key: key, Limit: limit, Window: time.Minute, Need: 1, Add: 1}
}

func takeAt(t *testing.T, l *Limiter, rules ...gateway.LimitRule) gateway.LimitDecision {
	t.Helper()
	d, err := l.Take(context.Background(), rules)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	return d
}

// The trailing window slides with time: there is no boundary at which a fresh fixed window
// would admit a second full burst, and RetryAfter names the moment the oldest entry leaves.
func TestSlidingWindowWithFakeClock(t *testing.T) {
	clock := newFakeClock()
	l := New(WithClock(clock.Now))
	rule := calls("k", 2)

	takeAt(t, l, rule) // t=0
	clock.Advance(30 * time.Second)
	takeAt(t, l, rule) // t=30s
	if d := takeAt(t, l, rule); d.Allowed || d.RetryAfter != 30*time.Second {
		t.Fatalf("at 30s: %+v, want denied with RetryAfter 30s", d)
	}
	clock.Advance(30*time.Second - time.Millisecond)
	if d := takeAt(t, l, rule); d.Allowed || d.RetryAfter != time.Second {
		t.Fatalf("1ms before the first entry expires: %+v, want denied, RetryAfter 1s", d)
	}
	clock.Advance(time.Millisecond) // t=60s: the t=0 entry has left the window
	if d := takeAt(t, l, rule); !d.Allowed {
		t.Fatalf("at 60s: %+v, want admitted", d)
	}
	if d := takeAt(t, l, rule); d.Allowed || d.RetryAfter != 30*time.Second {
		t.Fatalf("at 60s after refill: %+v, want denied until the t=30s entry expires", d)
	}
}

func TestNoFixedWindowBoundaryDoubling(t *testing.T) {
	clock := newFakeClock()
	l := New(WithClock(clock.Now))
	rule := calls("burst", 10)
	clock.Advance(59 * time.Second)
	for range 10 {
		takeAt(t, l, rule)
	}
	clock.Advance(2 * time.Second) // a fixed per-minute window would have reset here
	if d := takeAt(t, l, rule); d.Allowed {
		t.Fatal("a second burst was admitted 2s after the first")
	}
}

func TestRetryAfterRoundsUp(t *testing.T) {
	clock := newFakeClock()
	l := New(WithClock(clock.Now))
	rule := calls("round", 1)
	takeAt(t, l, rule)
	clock.Advance(58*time.Second + 200*time.Millisecond) // 1.8s left
	if d := takeAt(t, l, rule); d.RetryAfter != 2*time.Second {
		t.Fatalf("RetryAfter = %v, want 1.8s rounded up to 2s", d.RetryAfter)
	}
}

// Random traffic against a limiter that merges entries: no trailing window ever holds more
// than the limit, and the limit is actually reached (the limiter is not trivially strict).
func TestMergedEntriesNeverExceedLimit(t *testing.T) {
	const limit = 20
	clock := newFakeClock()
	l := New(WithClock(clock.Now))
	rule := calls("random", limit)
	rng := rand.New(rand.NewPCG(1, 2))
	var admitted []time.Time
	reachedLimit := false
	for range 20000 {
		clock.Advance(time.Duration(rng.IntN(400)) * time.Millisecond)
		if !takeAt(t, l, rule).Allowed {
			continue
		}
		now := clock.Now()
		admitted = append(admitted, now)
		inWindow := 0
		for _, at := range admitted {
			if now.Sub(at) < time.Minute {
				inWindow++
			}
		}
		if inWindow > limit {
			t.Fatalf("%d admitted within one trailing minute, limit %d", inWindow, limit)
		}
		reachedLimit = reachedLimit || inWindow == limit
	}
	if !reachedLimit {
		t.Fatal("the limit was never reached: the limiter is stricter than it should be")
	}
}

// Recording on a busy key merges into slices, so its log stays short however many calls.
func TestLogStaysBounded(t *testing.T) {
	clock := newFakeClock()
	l := New(WithClock(clock.Now))
	rule := gateway.LimitRule{Key: "tokens", Limit: 1 << 40, Window: time.Minute, Need: 1}
	for range 100000 {
		clock.Advance(3 * time.Millisecond)
		if err := l.Record(context.Background(), []gateway.LimitRule{rule}, 17); err != nil {
			t.Fatal(err)
		}
	}
	sh := &l.shards[l.shardIndex(rule.Key)]
	lg := sh.logs[rule.Key]
	if n := len(lg.entries); n > ratelimit.SlicesPerWindow+1 {
		t.Fatalf("log holds %d entries, want at most %d", n, ratelimit.SlicesPerWindow+1)
	}
	// 300s of records: only the last minute (±one slice) still counts.
	perMinute := int64(time.Minute/(3*time.Millisecond)) * 17
	if lg.used < perMinute-perMinute/ratelimit.SlicesPerWindow || lg.used > perMinute+perMinute/ratelimit.SlicesPerWindow {
		t.Fatalf("used = %d, want about %d", lg.used, perMinute)
	}
}

// Keys whose entries all expired are dropped the next time their shard is used.
func TestExpiredKeysAreSwept(t *testing.T) {
	clock := newFakeClock()
	l := New(WithClock(clock.Now))
	for i := range 1000 {
		takeAt(t, l, calls(fmt.Sprint("old-", i), 5))
	}
	if n := l.keyCount(); n != 1000 {
		t.Fatalf("%d keys before expiry, want 1000", n)
	}
	clock.Advance(time.Minute + sweepInterval)
	touched := map[int]bool{}
	fresh := 0
	for len(touched) < shardCount {
		key := fmt.Sprint("new-", fresh)
		takeAt(t, l, calls(key, 5))
		touched[l.shardIndex(key)] = true
		fresh++
	}
	if n := l.keyCount(); n != fresh {
		t.Fatalf("%d keys after sweeping, want only the %d fresh ones", n, fresh)
	}
}

func (l *Limiter) keyCount() int {
	n := 0
	for i := range l.shards {
		l.shards[i].mu.Lock()
		n += len(l.shards[i].logs)
		l.shards[i].mu.Unlock()
	}
	return n
}

func TestCancelledContext(t *testing.T) {
	l := New()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Take(ctx, []gateway.LimitRule{calls("c", 1)}); err == nil {
		t.Fatal("Take with a cancelled context succeeded")
	}
	if d := takeAt(t, l, calls("c", 1)); !d.Allowed {
		t.Fatal("the cancelled Take recorded a unit")
	}
}
