package gateway

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// A weighted split of 10,000 queries lands within ±2 % of the weights; fallback keeps the
// listed order.
func TestRouteOrder(t *testing.T) {
	e := &Endpoint{Routing: &Routing{Strategy: "weighted", PrimaryWeight: 1}, Targets: []Target{{Weight: 3}, {Weight: 6}}}
	counts := make([]int, 3)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10_000 {
		order := e.RouteOrder(rng.Float64())
		counts[order[0]]++
		if len(order) != 3 {
			t.Fatalf("order %v lost a route", order)
		}
	}
	for i, want := range []float64{0.1, 0.3, 0.6} {
		if got := float64(counts[i]) / 10_000; math.Abs(got-want) > 0.02 {
			t.Errorf("route %d got %.3f of the queries, want %.2f ± 0.02", i, got, want)
		}
	}
	if o := (&Endpoint{Targets: []Target{{}, {}}}).RouteOrder(0.9); !slices.Equal(o, []int{0, 1, 2}) {
		t.Fatalf("fallback order %v", o)
	}
}
