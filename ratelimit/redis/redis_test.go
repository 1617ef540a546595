package redis

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/internal/testenv"
	"github.com/llmgate/llmgate/ratelimit"
	"github.com/llmgate/llmgate/ratelimit/limittest"
)

// newClient connects to the test Redis, skipping (or failing under CI) when none is set.
func newClient(t *testing.T) *goredis.Client {
	t.Helper()
	url := testenv.Require(t, "LLMGATE_TEST_REDIS_URL")
	opt, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatalf("LLMGATE_TEST_REDIS_URL: %v", err)
	}
	c := goredis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("test Redis unreachable: %v", err)
	}
	return c
}

// testPrefix namespaces one test's keys and deletes them afterwards.
func testPrefix(t *testing.T, c *goredis.Client) string {
	prefix := "llmgate:test:rl:" + rand.Text() + ":"
	t.Cleanup(func() { deleteKeys(t, c, prefix+"*") })
	return prefix
}

func deleteKeys(t *testing.T, c *goredis.Client, pattern string) {
	ctx := context.Background()
	iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		c.Del(ctx, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("cleaning up %s: %v", pattern, err)
	}
}

func TestConformance(t *testing.T) {
	limittest.Run(t, func(t *testing.T) gateway.Limiter {
		c := newClient(t)
		return New(c, WithPrefix(testPrefix(t, c)))
	})
}

// Replicas each have their own connection pool; one Redis keeps them exact together.
func TestReplicasShareLimits(t *testing.T) {
	first := newClient(t)
	prefix := testPrefix(t, first)
	replicas := []gateway.Limiter{New(first, WithPrefix(prefix)), New(newClient(t), WithPrefix(prefix)), New(newClient(t), WithPrefix(prefix))}
	for _, n := range []int64{1, 10, 100, 300} {
		key := limittest.UniqueKey(t, "calls")
		rules := []gateway.LimitRule{
			{Key: key + ":ep", Limit: 10 * n, Window: time.Minute, Need: 1, Add: 1},
			{Key: key + ":user", Limit: n, Window: time.Minute, Need: 1, Add: 1},
		}
		if got := limittest.ConcurrentTakes(t, replicas, int(3*n), rules); got != int(n) {
			t.Fatalf("N=%d: replicas admitted %d of %d, want exactly %d", n, got, 3*n, n)
		}
	}
}

func take(t *testing.T, l *Limiter, rules ...gateway.LimitRule) gateway.LimitDecision {
	t.Helper()
	d, err := l.Take(context.Background(), rules)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	return d
}

// Keys carry the prefix (DefaultPrefix unless set) and expire one window after their last
// write, so idle counters leave Redis by themselves.
func TestKeysArePrefixedAndExpire(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	key := limittest.UniqueKey(t, "expire")
	t.Cleanup(func() { c.Del(ctx, DefaultPrefix+key) })
	take(t, New(c), gateway.LimitRule{Key: key, Limit: 5, Window: 90 * time.Second, Need: 1, Add: 1})

	ttl, err := c.PTTL(ctx, DefaultPrefix+key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 80*time.Second || ttl > 90*time.Second {
		t.Fatalf("PTTL = %v, want just under the 90s window", ttl)
	}
}

// Tokens recorded in many small Records merge per slice, so a busy key stays small.
func TestRecordedEntriesStayBounded(t *testing.T) {
	c := newClient(t)
	prefix := testPrefix(t, c)
	l := New(c, WithPrefix(prefix))
	rule := gateway.LimitRule{Key: "tokens", Limit: 1 << 40, Window: time.Minute, Need: 1}
	for range 2000 {
		if err := l.Record(context.Background(), []gateway.LimitRule{rule}, 25); err != nil {
			t.Fatal(err)
		}
	}
	n, err := c.ZCard(context.Background(), prefix+rule.Key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n < 1 || n > ratelimit.SlicesPerWindow+1 {
		t.Fatalf("key holds %d entries, want 1..%d", n, ratelimit.SlicesPerWindow+1)
	}
	// All 50000 units are still counted: a budget of 50000 has nothing left.
	full := rule
	full.Limit = 2000 * 25
	if d := take(t, l, full); d.Allowed {
		t.Fatal("merged entries lost units: a spent budget still admitted")
	}
}

// After the server forgets its scripts (restart, SCRIPT FLUSH) decisions still work.
func TestScriptCacheFlushed(t *testing.T) {
	c := newClient(t)
	l := New(c, WithPrefix(testPrefix(t, c)))
	rule := gateway.LimitRule{Key: "k", Limit: 1, Window: time.Minute, Need: 1, Add: 1}
	if err := c.ScriptFlush(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	if d := take(t, l, rule); !d.Allowed {
		t.Fatalf("first Take after flush = %+v, want admitted", d)
	}
	if d := take(t, l, rule); d.Allowed {
		t.Fatal("second Take admitted over the limit of 1")
	}
}

// Data the limiter did not write gives an error, never a panic or a silent pass.
func TestMalformedEntryIsAnError(t *testing.T) {
	c := newClient(t)
	prefix := testPrefix(t, c)
	if err := c.ZAdd(context.Background(), prefix+"k", goredis.Z{Score: float64(time.Now().UnixMicro()), Member: "not-an-entry"}).Err(); err != nil {
		t.Fatal(err)
	}
	_, err := New(c, WithPrefix(prefix)).Take(context.Background(), []gateway.LimitRule{{Key: "k", Limit: 5, Window: time.Minute, Need: 1, Add: 1}})
	if gateway.ErrorCode(err) != gateway.CodeUnavailable {
		t.Fatalf("Take error = %v, want CodeUnavailable", err)
	}
}

// With Redis down, the policy answers within its timeout and fails closed by default.
func TestRedisDownFailsClosedQuickly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here any more
	c := goredis.NewClient(&goredis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })

	var reported atomic.Int32
	l := ratelimit.WithPolicy(New(c), ratelimit.Policy{OnError: func(error) { reported.Add(1) }})
	start := time.Now()
	d, err := l.Take(context.Background(), []gateway.LimitRule{{Key: "k", Limit: 5, Window: time.Minute, Need: 1, Add: 1}})
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Fatalf("decision took %v with Redis down", elapsed)
	}
	var gerr *gateway.Error
	if !errors.As(err, &gerr) || gerr.Code != gateway.CodeUnavailable || d.Allowed {
		t.Fatalf("Take = %+v, %v; want denied with CodeUnavailable", d, err)
	}
	if reported.Load() != 1 {
		t.Fatalf("OnError called %d times, want 1", reported.Load())
	}
}
