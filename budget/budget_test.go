package budget

import (
	"slices"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

func TestCrossedAndBuckets(t *testing.T) {
	b := Bucket{LimitTokens: 100, LimitCostMicros: 1_000_000}
	cases := []struct {
		before, after Amount
		want          []int
	}{
		{Amount{Tokens: 10}, Amount{Tokens: 49}, nil},
		{Amount{Tokens: 49}, Amount{Tokens: 50}, []int{50}},
		{Amount{Tokens: 40}, Amount{Tokens: 100}, []int{50, 80, 100}},
		{Amount{CostMicros: 700_000}, Amount{CostMicros: 850_000}, []int{80}},
		{Amount{Tokens: 80}, Amount{Tokens: 90}, nil}, // 80 was crossed before
	}
	for _, c := range cases {
		if got := Crossed(b, Settled{c.before, c.after}); !slices.Equal(got, c.want) {
			t.Errorf("%+v → %+v: %v, want %v", c.before, c.after, got, c.want)
		}
	}
	limit := 2.5
	now := time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC) // a Thursday
	bk := Buckets([]*gateway.Budget{{ID: "b1", Period: "week", LimitCost: &limit}}, now)[0]
	if bk.LimitCostMicros != 2_500_000 || bk.LimitTokens != 0 || !bk.Expires.Equal(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)) ||
		bk.Key != "b1:1795996800" { // the period starts Monday 2026-11-30
		t.Fatalf("bucket %+v", bk)
	}
}
