package main

import (
	"strings"
	"testing"
	"time"
)

func TestTTFBIsJudgedOnThePairedRowsWhenMeasured(t *testing.T) {
	ms := func(v float64) []time.Duration { return []time.Duration{time.Duration(v * float64(time.Millisecond))} }
	rows := []result{
		{target: "proxy", stream: true, concurrency: 1, ok: 1, ttfb: ms(0.50)},
		{target: "gateway", stream: true, concurrency: 1, ok: 1, ttfb: ms(0.90)}, // a load spike between phases
	}
	if v := verdicts(rows); len(v) != 2 || !strings.HasPrefix(v[0], "FAIL  gateway added streaming TTFB p50 at 1 caller: 0.40ms") {
		t.Fatalf("unpaired verdicts %q; want the phases compared", v)
	}
	rows = append(rows,
		result{target: pairedProxy, stream: true, concurrency: 1, ok: 1, ttfb: ms(0.50)},
		result{target: pairedGateway, stream: true, concurrency: 1, ok: 1, ttfb: ms(0.58)})
	v := verdicts(rows)
	if len(v) != 2 || !strings.HasPrefix(v[0], "PASS  gateway added streaming TTFB p50 at 1 caller, calls alternating with the proxy's: 0.08ms") {
		t.Fatalf("paired verdicts %q; want only the paired comparison", v)
	}
}
