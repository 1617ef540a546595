package memory

import (
	"context"
	"testing"
	"time"

	"github.com/llmgate/llmgate/respcache"
	"github.com/llmgate/llmgate/respcache/cachetest"
)

func TestConformance(t *testing.T) {
	cachetest.Run(t, func(*testing.T) respcache.Cache { return New(1 << 20) })
}

// Entries expire with their TTL (a controlled clock, no sleeping) and the byte bound evicts
// the least recently used.
func TestExpiryAndBound(t *testing.T) {
	now := time.Unix(1000, 0)
	c := New(10).WithClock(func() time.Time { return now })
	ctx := context.Background()
	c.Set(ctx, "a", []byte("aaaa"), time.Minute)
	c.Set(ctx, "b", []byte("bbbb"), time.Minute)
	c.Get(ctx, "a") // a is now the most recent
	c.Set(ctx, "c", []byte("cccc"), time.Minute)
	if _, ok, _ := c.Get(ctx, "b"); ok {
		t.Fatal("the least recently used entry survived the bound")
	}
	if _, ok, _ := c.Get(ctx, "a"); !ok || c.Bytes() != 8 {
		t.Fatalf("a lost, or %d bytes held", c.Bytes())
	}
	now = now.Add(time.Minute)
	if _, ok, _ := c.Get(ctx, "a"); ok {
		t.Fatal("an expired entry was served")
	}
	c.Set(ctx, "big", make([]byte, 11), time.Minute)
	if _, ok, _ := c.Get(ctx, "big"); ok {
		t.Fatal("an entry over the bound was kept")
	}
}
