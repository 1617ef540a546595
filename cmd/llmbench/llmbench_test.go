package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		out := make([]time.Duration, len(n))
		for i, v := range n {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one", ms(7), 0.99, 7 * time.Millisecond},
		{"median of four", ms(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{"p50 of 1..100", ms(hundred...), 0.5, 50 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 0.99, 99 * time.Millisecond},
		{"p100", ms(1, 2, 3), 1, 3 * time.Millisecond},
	} {
		if got := percentile(tc.sorted, tc.q); got != tc.want {
			t.Errorf("%s: percentile = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestWholeAnswer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		body   string
		stream bool
		want   bool
	}{
		{"completion", `{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"echo: hi"},"finish_reason":"stop"}]}`, false, true},
		{"no choices", `{"id":"c1","choices":[]}`, false, false},
		{"error envelope", `{"error":{"message":"rate limited","type":"requests"}}`, false, false},
		{"truncated JSON", `{"id":"c1","choices":[{"index":0`, false, false},
		{"stream to the end", "data: {\"choices\":[{\"delta\":{\"content\":\"echo\"}}]}\n\ndata: [DONE]\n\n", true, true},
		{"stream cut off", "data: {\"choices\":[{\"delta\":{\"content\":\"echo\"}}]}\n\n", true, false},
	} {
		if got := wholeAnswer([]byte(tc.body), tc.stream); got != tc.want {
			t.Errorf("%s: wholeAnswer = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestParseConfig(t *testing.T) {
	t.Setenv("LLMBENCH_CONCURRENCY", "8, 32")
	t.Setenv("LLMBENCH_DURATION", "3s")
	cfg, err := parseConfig(nil)
	if err != nil || len(cfg.concurrency) != 2 || cfg.concurrency[1] != 32 || cfg.duration != 3*time.Second {
		t.Fatalf("from the environment: %+v, %v", cfg, err)
	}
	cfg, err = parseConfig([]string{"-concurrency", "4", "-duration", "1s"})
	if err != nil || len(cfg.concurrency) != 1 || cfg.concurrency[0] != 4 || cfg.duration != time.Second {
		t.Fatalf("flags over the environment: %+v, %v", cfg, err)
	}
	for _, bad := range [][]string{{"-concurrency", "0"}, {"-concurrency", "x"}, {"-concurrency", "16,"}, {"-duration", "0s"}} {
		if _, err := parseConfig(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// The bench writes its own report document and chart: the tables it printed, the method and
// the machine, and one throughput and one CPU bar per system at the highest concurrency.
func TestWriteDocFromTheRunsNumbers(t *testing.T) {
	dir := t.TempDir()
	rows := []result{
		{target: "proxy", concurrency: 32, ok: 1000, elapsed: time.Second, cpu: 150 * time.Millisecond, latency: []time.Duration{time.Millisecond}},
		{target: "gateway", concurrency: 32, ok: 800, elapsed: time.Second, cpu: 200 * time.Millisecond, latency: []time.Duration{2 * time.Millisecond}},
		{target: "gateway", concurrency: 32, stream: true, ok: 10, elapsed: time.Second, latency: []time.Duration{time.Millisecond}},
	}
	path := filepath.Join(dir, "benchmarks.md")
	if err := writeDoc(path, &config{duration: time.Second, concurrency: []int{32}}, summarize([][]result{rows}), memory{}); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(path)
	svg, _ := os.ReadFile(filepath.Join(dir, "benchmarks.svg"))
	if !strings.Contains(string(md), "![throughput and CPU per request](benchmarks.svg)") || !strings.Contains(string(md), "targets:") {
		t.Fatalf("document:\n%s", md)
	}
	if strings.Count(string(svg), "<rect") != 4 || !strings.Contains(string(svg), ">1000<") || !strings.Contains(string(svg), ">250<") {
		t.Fatalf("chart (2 unstreamed systems × 2 bars, proxy 1000 req/s, gateway 250 µs/req):\n%s", svg)
	}
}
