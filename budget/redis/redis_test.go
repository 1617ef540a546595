package redis

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/llmgate/llmgate/budget"
	"github.com/llmgate/llmgate/budget/ledgertest"
	"github.com/llmgate/llmgate/internal/testenv"
)

// Every bucket key in the suite is a fresh id, so tests share one database safely.
func TestConformance(t *testing.T) {
	c := testenv.Redis(t)
	ledgertest.Run(t, func(*testing.T) budget.Ledger { return New(c) })
}

// Bucket keys do not outlive their period by more than the day kept for reading after the
// reset: every write (reserve, settle, alert mark) sets the key's expiry.
func TestBucketKeysExpireAfterTheirPeriod(t *testing.T) {
	c := testenv.Redis(t)
	ctx := context.Background()
	l := New(c)
	b := budget.Bucket{Key: "expiry-" + strconv.FormatInt(time.Now().UnixNano(), 10), LimitTokens: 100,
		Expires: time.Now().Add(time.Hour)}
	check := func(step string) {
		t.Helper()
		ttl, err := c.PTTL(ctx, l.prefix+b.Key).Result()
		if err != nil || ttl < 24*time.Hour || ttl > 25*time.Hour {
			t.Fatalf("after %s: key expires in %v (%v), want the period's end plus a day (~25h)", step, ttl, err)
		}
	}
	if i, err := l.Reserve(ctx, []budget.Bucket{b}, budget.Amount{Tokens: 10}); err != nil || i != -1 {
		t.Fatalf("reserve: %d %v", i, err)
	}
	check("reserve")
	c.Persist(ctx, l.prefix+b.Key)
	if _, err := l.Settle(ctx, []budget.Bucket{b}, budget.Amount{Tokens: 10}, budget.Amount{Tokens: 7}); err != nil {
		t.Fatal(err)
	}
	check("settle")
	c.Persist(ctx, l.prefix+b.Key)
	if _, err := l.MarkAlert(ctx, b, 50); err != nil {
		t.Fatal(err)
	}
	check("alert mark")
}
