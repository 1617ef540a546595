package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestInterleaveTakesTurnsAndAddsUpSlices: two targets served in turns, so the order in which
// their calls arrive switches every slice, and each row counts all of its slices' calls.
func TestInterleaveTakesTurnsAndAddsUpSlices(t *testing.T) {
	var mu sync.Mutex
	var order []string
	counts := map[string]int{}
	serve := func(name string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			mu.Lock()
			if len(order) == 0 || order[len(order)-1] != name {
				order = append(order, name)
			}
			counts[name]++
			mu.Unlock()
			w.Write([]byte(`{"id":"c1","choices":[{"index":0,"message":{"role":"assistant","content":"hi"}}]}`))
		}))
	}
	a, b := serve("a"), serve("b")
	defer a.Close()
	defer b.Close()
	client := &http.Client{}
	phases := []phase{
		{client: client, target: target{name: "a", url: a.URL, model: "m"}, concurrency: 2},
		{client: client, target: target{name: "b", url: b.URL, model: "m"}, concurrency: 2},
	}
	rows := interleave(context.Background(), phases, 10*time.Millisecond, 150*time.Millisecond, 50*time.Millisecond)

	// warm-up a, b, then three rounds of a, b: the arrivals switch target at least 7 times.
	if switches := len(order) - 1; switches < 7 {
		t.Fatalf("arrivals switched target %d times (%v), want the turns of 3 rounds after warm-up", switches, order)
	}
	for i, name := range []string{"a", "b"} {
		r := rows[i]
		if r.target != name || r.failed != 0 || r.ok == 0 || len(r.latency) != r.ok {
			t.Fatalf("row %d = %s ok=%d failed=%d latencies=%d (%s)", i, r.target, r.ok, r.failed, len(r.latency), r.firstError)
		}
		if r.elapsed < 150*time.Millisecond {
			t.Errorf("%s: elapsed %v, want the three slices' 150ms at least", name, r.elapsed)
		}
		for j := 1; j < len(r.latency); j++ {
			if r.latency[j] < r.latency[j-1] {
				t.Fatalf("%s: latencies not sorted for percentiles", name)
			}
		}
	}
	// Warm-up calls are not counted: every counted call is in a row.
	if total := rows[0].ok + rows[1].ok; total >= counts["a"]+counts["b"] {
		t.Errorf("rows count %d calls, servers saw %d: warm-up calls were counted", total, counts["a"]+counts["b"])
	}
}

func TestParseCommitsReadsTheHistogramsSumAndCount(t *testing.T) {
	text := "# HELP llmgate_audit_commit_events Events per durable audit group commit.\n" +
		"# TYPE llmgate_audit_commit_events histogram\n" +
		"llmgate_audit_commit_events_bucket{le=\"1\"} 2\n" +
		"llmgate_audit_commit_events_sum 130\n" +
		"llmgate_audit_commit_events_count 10\n" +
		"llmgate_audit_commit_duration_seconds_sum 0.01\n"
	c, err := parseCommits(strings.NewReader(text))
	if err != nil || c.events != 130 || c.commits != 10 {
		t.Fatalf("parseCommits = %+v, %v; want 130 events in 10 commits", c, err)
	}
	rows := []result{{target: "gateway", concurrency: 32, elapsed: 2 * time.Second, commits: 10, commitEvents: 130}, {target: "proxy"}}
	if lines := commitsLines(rows); len(lines) != 1 || !strings.Contains(lines[0], "13.0 events per audit commit (10 commits, 5/s)") {
		t.Fatalf("commitsLines = %q", lines)
	}
}
