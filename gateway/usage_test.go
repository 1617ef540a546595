package gateway

import "testing"

// Percentiles come from the bucket bounds: the q-quantile's bucket's upper bound, -1 beyond
// the last bound, none without data.
func TestLatencyPercentile(t *testing.T) {
	var c UsageCounts
	if _, ok := c.LatencyPercentile(0.5); ok {
		t.Fatal("a percentile of nothing")
	}
	for _, ms := range []int64{5, 20, 30, 40, 90, 400, 400, 900, 3000, 70000} {
		c.Latency[LatencyBucket(ms)]++
	}
	for q, want := range map[float64]int64{0.1: 25, 0.2: 25, 0.5: 100, 0.7: 500, 0.9: 5000, 0.99: -1, 1: -1} {
		if got, ok := c.LatencyPercentile(q); !ok || got != want {
			t.Errorf("p%v = %d, want %d", q*100, got, want)
		}
	}
	if LatencyBucket(25) != 0 || LatencyBucket(26) != 1 || LatencyBucket(60000) != 10 || LatencyBucket(60001) != 11 {
		t.Fatal("bucket bounds are inclusive upper bounds")
	}
}
