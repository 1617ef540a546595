package main

import (
	"strings"
	"testing"
	"time"
)

func TestSummarizeGivesEachTargetItsMedianRun(t *testing.T) {
	run := func(proxyCPU, gatewayCPU time.Duration, gatewayOK int) []result {
		return []result{
			{target: "proxy", concurrency: targetConcurrency, ok: 1000, elapsed: time.Second, cpu: 1000 * proxyCPU},
			{target: "gateway", concurrency: targetConcurrency, ok: gatewayOK, elapsed: time.Second, cpu: time.Duration(gatewayOK) * gatewayCPU},
		}
	}
	// CPU ratios 1.2, 2.0, 1.25 → median 1.25 (PASS); throughput ratios 0.9, 0.5, 0.6 → median 0.6 (FAIL).
	sum := summarize([][]result{
		run(100*time.Microsecond, 120*time.Microsecond, 900),
		run(100*time.Microsecond, 200*time.Microsecond, 500),
		run(100*time.Microsecond, 125*time.Microsecond, 600),
	})
	if sum.runs != 3 || len(sum.verdicts) != 2 {
		t.Fatalf("summary %+v; want 3 runs and 2 verdicts", sum)
	}
	if v := sum.verdicts[0]; !strings.HasPrefix(v, "PASS  gateway CPU per request at 32 callers: 125µs vs proxy 100µs = 1.25×") ||
		!strings.HasSuffix(v, "[median of 3 runs: 1.20×, 2.00×, 1.25×]") {
		t.Fatalf("CPU verdict %q; want the median run's 1.25× with every run's value", v)
	}
	if v := sum.verdicts[1]; !strings.HasPrefix(v, "FAIL  gateway throughput at 32 callers: 600 vs proxy 1000 req/s = 0.60×") {
		t.Fatalf("throughput verdict %q; want the median run's 0.60×", v)
	}
	if r := sum.rows[1]; r.ok != 600 {
		t.Fatalf("gateway row from the run with %d answers; want the median-throughput run (600)", r.ok)
	}
}
