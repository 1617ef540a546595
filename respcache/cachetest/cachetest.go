// Package cachetest is the conformance suite every respcache.Cache passes.
package cachetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/respcache"
)

// Run runs the suite; open returns a cache whose keys no other test uses.
func Run(t *testing.T, open func(t *testing.T) respcache.Cache) {
	ctx := context.Background()
	t.Run("SetGetMiss", func(t *testing.T) {
		c := open(t)
		k := gateway.NewID()
		if _, ok, err := c.Get(ctx, k); ok || err != nil {
			t.Fatalf("empty cache hit: %v", err)
		}
		if err := c.Set(ctx, k, []byte(`{"a":1}`), time.Minute); err != nil {
			t.Fatal(err)
		}
		if v, ok, err := c.Get(ctx, k); !ok || err != nil || !bytes.Equal(v, []byte(`{"a":1}`)) {
			t.Fatalf("get after set: %q %v %v", v, ok, err)
		}
		if _, ok, _ := c.Get(ctx, gateway.NewID()); ok {
			t.Fatal("another key hit")
		}
	})
	t.Run("Overwrite", func(t *testing.T) {
		c := open(t)
		k := gateway.NewID()
		c.Set(ctx, k, []byte("one"), time.Minute)
		c.Set(ctx, k, []byte("two"), time.Minute)
		if v, _, _ := c.Get(ctx, k); string(v) != "two" {
			t.Fatalf("got %q", v)
		}
	})
}
