package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate/internal/procstat"
)

func TestTreeIsTheRootAndEveryDescendant(t *testing.T) {
	stats := map[int]procstat.Stat{
		1:  {PPID: 0},
		10: {PPID: 1},  // the Python server's CLI
		11: {PPID: 10}, // uvicorn's supervisor
		12: {PPID: 11}, // a worker
		13: {PPID: 11}, // another worker
		20: {PPID: 1},  // an unrelated process
	}
	got := tree(10, stats)
	slices.Sort(got)
	if !slices.Equal(got, []int{10, 11, 12, 13}) {
		t.Fatalf("tree(10) = %v, want 10 and its descendants 11, 12, 13", got)
	}
	if got := tree(20, stats); !slices.Equal(got, []int{20}) {
		t.Fatalf("tree of a childless process = %v, want itself", got)
	}
}

func TestTreeCPUOfThisProcessIsItsOwnCPU(t *testing.T) {
	got, err := treeCPU(os.Getpid())
	if err != nil || got < 0 {
		t.Fatalf("treeCPU(self) = %v, %v", got, err)
	}
	if _, err := treeCPU(1 << 30); err == nil {
		t.Fatal("treeCPU of a process that does not exist gave no error")
	}
}

func peerRows() []result {
	row := func(name string, stream bool, ok int, cpu time.Duration) result {
		return result{target: name, stream: stream, concurrency: 32, ok: ok, elapsed: time.Second, cpu: cpu,
			latency: []time.Duration{time.Millisecond}}
	}
	return []result{
		row("proxy", false, 4000, 600*time.Millisecond),         // 150 µs per request
		row("gateway", false, 2000, 600*time.Millisecond),       // 300 µs
		row("litellm", false, 100, 300*time.Millisecond),        // 3000 µs
		row("mlflow-gateway", false, 500, 600*time.Millisecond), // 1200 µs
		row("litellm", true, 80, 400*time.Millisecond),          // no streamed gateway or proxy phase
	}
}

func TestRatioRowsCompareEachPhaseWithTheGatewayAndTheProxyOfTheSameModeAndConcurrency(t *testing.T) {
	got := map[string]ratioRow{}
	for _, r := range ratioRows(peerRows()) {
		got[r.target+"/"+mode(r.stream)] = r
	}
	near := func(a, b float64) bool { return a > b-0.001 && a < b+0.001 }
	for _, tc := range []struct {
		key                      string
		rateG, cpuG, rateP, cpuP float64
	}{
		{"gateway/chat", 1, 1, 0.5, 2},
		{"proxy/chat", 2, 0.5, 1, 1},
		{"litellm/chat", 0.05, 10, 0.025, 20},
		{"mlflow-gateway/chat", 0.25, 4, 0.125, 8},
		{"litellm/stream", 0, 0, 0, 0},
	} {
		r := got[tc.key]
		if !near(r.rateVsGateway, tc.rateG) || !near(r.cpuVsGateway, tc.cpuG) || !near(r.rateVsProxy, tc.rateP) || !near(r.cpuVsProxy, tc.cpuP) {
			t.Errorf("%s: vs gateway %.3f/%.3f, vs proxy %.3f/%.3f; want %.3f/%.3f and %.3f/%.3f", tc.key,
				r.rateVsGateway, r.cpuVsGateway, r.rateVsProxy, r.cpuVsProxy, tc.rateG, tc.cpuG, tc.rateP, tc.cpuP)
		}
	}
}

func TestPeerReportGoesInTheDocumentOnlyWhenPeersRan(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "benchmarks.md")
	cfg := &config{duration: time.Second, concurrency: []int{32}}
	if err := writeDoc(path, cfg, summarize([][]result{peerRows()[:2]}), memory{}); err != nil {
		t.Fatal(err)
	}
	var none *peerReport // no -peers
	if err := none.appendDoc(path); err != nil {
		t.Fatal(err)
	}
	if md, _ := os.ReadFile(path); strings.Contains(string(md), "Peers") {
		t.Fatalf("a run without peers wrote a Peers section:\n%s", md)
	}

	r := &peerReport{titles: []string{"LiteLLM proxy 1.110.2 (litellm)"}, rows: peerRows(), memory: []systemMemory{
		{name: "proxy", mem: treeMemory{procs: 1, rssKiB: 10 << 10}},
		{name: "gateway", mem: treeMemory{procs: 1, rssKiB: 50 << 10}},
		{name: "litellm", mem: treeMemory{procs: 2, rssKiB: 400 << 10, peakKiB: 410 << 10, pss: 380 << 10}},
	}}
	if err := writeDoc(path, cfg, summarize([][]result{peerRows()}), memory{}); err != nil {
		t.Fatal(err)
	}
	if err := r.appendDoc(path); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(path)
	doc := string(md)
	for _, want := range []string{"## Peers", "LiteLLM proxy 1.110.2", "20.00×", "400.0 MiB", "8.00×", "40.00×"} {
		if !strings.Contains(doc, want) {
			t.Errorf("Peers section lacks %q:\n%s", want, doc)
		}
	}
	if strings.Index(doc, "## Peers") < strings.Index(doc, "targets:") {
		t.Error("the Peers section comes before llmgate's own report")
	}
	svg, _ := os.ReadFile(filepath.Join(dir, "benchmarks.svg"))
	if !strings.Contains(string(svg), ">litellm<") || !strings.Contains(string(svg), ">mlflow-gateway<") {
		t.Errorf("the chart has no bars for the peers:\n%s", svg)
	}
}

func TestAPeerThatNeverComesUpIsNamedWithItsLogTail(t *testing.T) {
	venv := t.TempDir()
	os.MkdirAll(filepath.Join(venv, "bin"), 0o755)
	script := "#!/bin/sh\necho starting\necho 'ImportError: no module named fastapi' >&2\nexit 3\n"
	if err := os.WriteFile(filepath.Join(venv, "bin", "litellm"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	set := &peerSet{}
	defer set.stop()
	p := &peer{name: "litellm", title: "LiteLLM proxy 9.9", command: "litellm", health: "http://" + freeLoopbackAddr() + "/health"}
	err := set.launch(p, t.TempDir(), venv)
	if err == nil {
		t.Fatal("a peer that exited was taken as ready")
	}
	for _, want := range []string{"LiteLLM proxy 9.9", "exited before it was ready", "ImportError: no module named fastapi"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestWaitReadyGivesUpAfterItsTimeoutWithTheLastAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	err := waitReady(srv.URL, 600*time.Millisecond, make(chan struct{}))
	if err == nil || !strings.Contains(err.Error(), "not ready") || !strings.Contains(err.Error(), "503") {
		t.Fatalf("waitReady on a server that stays 503 = %v", err)
	}
	ready := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer ready.Close()
	if err := waitReady(ready.URL, 5*time.Second, make(chan struct{})); err != nil {
		t.Fatalf("waitReady on a ready server: %v", err)
	}
}

func TestPeerReportPrintsNothingWithoutPeers(t *testing.T) {
	var b bytes.Buffer
	var none *peerReport
	none.print(&b)
	var set *peerSet
	if b.Len() != 0 || set.targets() != nil || set.report(nil, 1, 2) != nil {
		t.Fatalf("without peers: printed %q", b.String())
	}
	set.stop() // no panic
}

func TestFinishedStreamNeedsTheFinishReasonAndAWholeLastEvent(t *testing.T) {
	chunk := func(content, finish string) string {
		f := "null"
		if finish != "" {
			f = `"` + finish + `"`
		}
		return `data: {"object":"chat.completion.chunk","choices":[{"index":0,"finish_reason":` + f + `,"delta":{"content":"` + content + `"}}]}` + "\n\n"
	}
	usage := `data: {"object":"chat.completion.chunk","choices":[],"usage":{"total_tokens":5}}` + "\n\n"
	for _, tc := range []struct {
		name string
		body string
		want bool
	}{
		{"MLflow's whole stream", chunk("echo:", "") + chunk(" hi", "") + chunk("", "stop") + usage, true},
		{"cut before the finish", chunk("echo:", "") + chunk(" hi", ""), false},
		{"cut inside an event", chunk("echo:", "") + chunk("", "stop") + usage[:30], false},
		{"an error event", `data: {"error":{"message":"upstream failed"}}` + "\n\n", false},
		{"empty", "", false},
	} {
		if got := finishedStream([]byte(tc.body)); got != tc.want {
			t.Errorf("%s: finishedStream = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestPeerWorkersAreTheDefaultUnlessTheEnvironmentSaysOtherwise(t *testing.T) {
	t.Setenv("LLMBENCH_PEER_WORKERS", "")
	if n, err := workers(2); n != 2 || err != nil {
		t.Fatalf("default: %d, %v", n, err)
	}
	t.Setenv("LLMBENCH_PEER_WORKERS", "4")
	if n, err := workers(1); n != 4 || err != nil {
		t.Fatalf("LLMBENCH_PEER_WORKERS=4: %d, %v", n, err)
	}
	for _, bad := range []string{"0", "-1", "two", "65"} {
		t.Setenv("LLMBENCH_PEER_WORKERS", bad)
		if _, err := workers(1); err == nil {
			t.Errorf("LLMBENCH_PEER_WORKERS=%q accepted", bad)
		}
	}
	if plural(1, "worker") != "1 worker" || plural(2, "worker") != "2 workers" {
		t.Error("worker counts are not named in English")
	}
}
