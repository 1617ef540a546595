// Package breakertest is the conformance suite every breaker.Breaker passes. Time-dependent
// steps use a cooldown short enough to pass by waiting on the breaker's own answer, not a sleep
// standing in for synchronisation.
package breakertest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmgate/llmgate/breaker"
	"github.com/llmgate/llmgate/gateway"
)

// Run runs the suite; open returns a breaker whose keys no other test uses.
func Run(t *testing.T, open func(t *testing.T) breaker.Breaker) {
	ctx := context.Background()
	const cool = 200 * time.Millisecond
	t.Run("OpensAfterThresholdAndProbesOnce", func(t *testing.T) {
		b := open(t)
		k := gateway.NewID()
		for i := range breaker.Threshold {
			if ok, _ := b.Allow(ctx, k, cool); !ok {
				t.Fatalf("closed target refused at failure %d", i)
			}
			b.Report(ctx, k, false, cool)
		}
		if ok, _ := b.Allow(ctx, k, cool); ok {
			t.Fatal("an open target was allowed before its cooldown")
		}
		if isOpen, _ := b.Open(ctx, k); !isOpen {
			t.Fatal("Open does not say so")
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			if ok, _ := b.Allow(ctx, k, cool); ok {
				break // the probe
			}
			if time.Now().After(deadline) {
				t.Fatal("no probe allowed after the cooldown")
			}
			time.Sleep(10 * time.Millisecond)
		}
		var allowed atomic.Int64
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if ok, _ := b.Allow(ctx, k, cool); ok {
					allowed.Add(1)
				}
			})
		}
		wg.Wait()
		if allowed.Load() != 0 {
			t.Fatalf("%d more calls allowed while the probe is out", allowed.Load())
		}
		b.Report(ctx, k, true, cool)
		if ok, _ := b.Allow(ctx, k, cool); !ok {
			t.Fatal("a successful probe did not close the target")
		}
	})
	t.Run("SuccessResetsTheCount", func(t *testing.T) {
		b := open(t)
		k := gateway.NewID()
		for range breaker.Threshold - 1 {
			b.Report(ctx, k, false, cool)
		}
		b.Report(ctx, k, true, cool)
		b.Report(ctx, k, false, cool)
		if ok, _ := b.Allow(ctx, k, cool); !ok {
			t.Fatal("failures not in a row opened the target")
		}
	})
}
