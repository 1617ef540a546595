// Package ledgertest is the conformance suite every budget.Ledger passes.
package ledgertest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmgate/llmgate/budget"
	"github.com/llmgate/llmgate/gateway"
)

// Run runs the suite; open returns an empty ledger (or one whose keys no other test uses).
func Run(t *testing.T, open func(t *testing.T) budget.Ledger) {
	ctx := context.Background()
	bucket := func(tokens, costMicros int64) budget.Bucket {
		return budget.Bucket{Key: gateway.NewID(), LimitTokens: tokens, LimitCostMicros: costMicros, Expires: time.Now().Add(time.Hour)}
	}
	t.Run("ReserveSettleRefuse", func(t *testing.T) {
		l := open(t)
		b := bucket(100, 0)
		if i, err := l.Reserve(ctx, []budget.Bucket{b}, budget.Amount{Tokens: 60}); err != nil || i != -1 {
			t.Fatalf("first reserve: %d %v", i, err)
		}
		if i, _ := l.Reserve(ctx, []budget.Bucket{b}, budget.Amount{Tokens: 50}); i != 0 {
			t.Fatalf("60 reserved + 50 over a limit of 100 was admitted (%d)", i)
		}
		s, err := l.Settle(ctx, []budget.Bucket{b}, budget.Amount{Tokens: 60}, budget.Amount{Tokens: 30})
		if err != nil || len(s) != 1 || s[0].Before.Tokens != 0 || s[0].After.Tokens != 30 {
			t.Fatalf("settle: %+v %v", s, err)
		}
		if i, _ := l.Reserve(ctx, []budget.Bucket{b}, budget.Amount{Tokens: 50}); i != -1 {
			t.Fatal("after settling at 30 a reserve of 50 should fit in 100")
		}
		committed, reserved, err := l.Used(ctx, b.Key)
		if err != nil || committed.Tokens != 30 || reserved.Tokens != 50 {
			t.Fatalf("used: %+v %+v %v", committed, reserved, err)
		}
	})
	t.Run("AllOrNothingAcrossBuckets", func(t *testing.T) {
		l := open(t)
		roomy, tight := bucket(0, 1_000_000), bucket(10, 0)
		if i, _ := l.Reserve(ctx, []budget.Bucket{roomy, tight}, budget.Amount{Tokens: 11, CostMicros: 5}); i != 1 {
			t.Fatalf("refused bucket %d, want 1 (the tight one)", i)
		}
		if c, r, _ := l.Used(ctx, roomy.Key); c != (budget.Amount{}) || r != (budget.Amount{}) {
			t.Fatalf("a refused reservation changed another bucket: %+v %+v", c, r)
		}
	})
	t.Run("EachAlertOnce", func(t *testing.T) {
		l := open(t)
		b := bucket(10, 0)
		var firsts atomic.Int64
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if first, err := l.MarkAlert(ctx, b, 80); err == nil && first {
					firsts.Add(1)
				}
			})
		}
		wg.Wait()
		if firsts.Load() != 1 {
			t.Fatalf("80 %% alert marked first %d times, want once", firsts.Load())
		}
		if first, _ := l.MarkAlert(ctx, b, 100); !first {
			t.Fatal("another threshold is its own alert")
		}
	})
	t.Run("ConcurrentReservationsNeverPassTheLimit", func(t *testing.T) {
		l := open(t)
		b := bucket(0, 100_000) // 0.1 of the currency, in units of 1,000 micros
		var admitted atomic.Int64
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				for range 20 {
					if i, err := l.Reserve(ctx, []budget.Bucket{b}, budget.Amount{CostMicros: 1000}); err == nil && i == -1 {
						admitted.Add(1)
						l.Settle(ctx, []budget.Bucket{b}, budget.Amount{CostMicros: 1000}, budget.Amount{CostMicros: 1000})
					}
				}
			})
		}
		wg.Wait()
		if admitted.Load() != 100 {
			t.Fatalf("admitted %d of 320, want exactly the limit's 100", admitted.Load())
		}
	})
}
