package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// The floor's round is measured for real on the test's disk: it takes time and CPU, and leaves
// nothing behind in the directory.
func TestMeasureSyncTimesRealRounds(t *testing.T) {
	dir := t.TempDir()
	c, err := measureSync(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.samples != syncSamples || c.cpu <= 0 || c.wall <= 0 {
		t.Fatalf("got %+v, want %d rounds with CPU and wall time", c, syncSamples)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("left %d files behind", len(left))
	}
}

// At 10 events per commit a 100 µs round is 10 µs per request; over a no-audit gateway at
// 90 µs that is a tenth of the audited request's CPU.
func TestSyncLinesDeriveThePerRequestFloor(t *testing.T) {
	rows := []result{
		{target: "gateway", concurrency: targetConcurrency, ok: 1000, cpu: 150 * time.Millisecond, commits: 100, commitEvents: 1000},
		{target: noAuditTarget, concurrency: targetConcurrency, ok: 1000, cpu: 90 * time.Millisecond},
		{target: "gateway", stream: true, concurrency: targetConcurrency, ok: 1000, commits: 500, commitEvents: 1000},
	}
	lines := syncLines(rows, syncCost{cpu: 100 * time.Microsecond, wall: 180 * time.Microsecond, samples: 500})
	got := strings.Join(lines, "\n")
	for _, want := range []string{"16 KiB write and fsync costs 100µs of CPU (180µs wall), mean of 500",
		"at 10.0 events per commit", "that alone is 10µs of CPU per request", "gateway-noaudit's 90µs", "at least 10%"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if lines := syncLines(rows[1:2], syncCost{cpu: time.Microsecond, samples: 1}); len(lines) != 1 {
		t.Errorf("without a gateway phase only the round is stated, got %q", lines)
	}
	if lines := syncLines(rows, syncCost{}); lines != nil {
		t.Errorf("without a measurement nothing is stated, got %q", lines)
	}
}
