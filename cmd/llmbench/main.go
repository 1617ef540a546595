// Command llmbench measures what llmgate costs on the request path: it starts the fake
// upstream (no added delay), a bare httputil.ReverseProxy in front of it (proxy.go: the floor)
// and `llmgate serve` with authentication, permissions, limits and audit all on, then drives
// the same chat completion directly at the fake, through the bare proxy and through the
// gateway over loopback, and prints throughput, latency percentiles, CPU per request of each
// hop (from /proc), streaming time to first byte, the gateway's memory, and the gateway's
// ratios to the bare proxy with PASS/FAIL against the performance targets (report.go).
// `make bench` runs it.
//
// Every phase is warmed up first and runs for a bounded time at a fixed concurrency; errors
// are counted and printed, never dropped. Settings (flag, or environment):
//
//	-duration     LLMBENCH_DURATION     measured time per phase (10s)
//	-warmup       LLMBENCH_WARMUP       unmeasured time before each phase (2s)
//	-concurrency  LLMBENCH_CONCURRENCY  comma-separated concurrent callers (1,32)
//	-llmgate      LLMBENCH_LLMGATE      gateway binary (bin/llmgate)
//	-fakeupstream LLMBENCH_FAKEUPSTREAM fake upstream binary (bin/fakeupstream)
//	-runs         LLMBENCH_RUNS         repeat the measurement, report medians (runs.go; 1)
//	-llmgate-noaudit LLMBENCH_LLMGATE_NOAUDIT the gateway built with -tags llmgate_noaudit, measured
//	                                    beside the real one for the audit's share of CPU (noaudit.go)
//	-peers        LLMBENCH_PEERS        virtualenv of LiteLLM's proxy and MLflow's gateway: bench them
//	                                    too, beside llmgate (peers.go, `make bench-peers`)
//
// With -soak DURATION (LLMBENCH_SOAK) it runs the soak instead (soak.go, `make soak`): a
// mixed load of normal, faulty and oversized upstream answers from -soak-callers callers
// (32), failing if the gateway's RSS passes -soak-max-rss MiB (200).
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

type config struct {
	duration, warmup time.Duration
	concurrency      []int
	llmgate, fake    string
	// soak, when positive, runs the soak for that long instead of the benchmark.
	soak          time.Duration
	soakCallers   int
	soakMaxRSSMiB int
	// cpuprofile, when set, saves the gateway's CPU profile of its busiest unstreamed phase.
	cpuprofile string
	doc        string // -doc: the markdown report to write (doc.go)
	peers      string // -peers: virtualenv of LiteLLM's proxy and MLflow's gateway (peers.go)
	runs       int    // -runs: repeat the measurement, report medians (runs.go)
	noaudit    string // -llmgate-noaudit: the gateway built without audit appends (noaudit.go)
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "-proxy" { // the bare proxy child (proxy.go)
		if err := runProxy(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "llmbench proxy:", err)
			os.Exit(1)
		}
		return
	}
	cfg, err := parseConfig(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "llmbench:", err)
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "llmbench:", err)
		os.Exit(1)
	}
}

func parseConfig(args []string) (*config, error) {
	fs := flag.NewFlagSet("llmbench", flag.ContinueOnError)
	duration := fs.Duration("duration", envDuration("LLMBENCH_DURATION", 10*time.Second), "measured time per phase")
	warmup := fs.Duration("warmup", envDuration("LLMBENCH_WARMUP", 2*time.Second), "unmeasured time before each phase")
	conc := fs.String("concurrency", envOr("LLMBENCH_CONCURRENCY", "1,32"), "comma-separated concurrent callers")
	llmgate := fs.String("llmgate", envOr("LLMBENCH_LLMGATE", "bin/llmgate"), "gateway binary")
	fake := fs.String("fakeupstream", envOr("LLMBENCH_FAKEUPSTREAM", "bin/fakeupstream"), "fake upstream binary")
	soakFor := fs.Duration("soak", envDuration("LLMBENCH_SOAK", 0), "run the soak for this long instead of the benchmark")
	soakCallers := fs.Int("soak-callers", 32, "concurrent callers of the soak")
	soakMaxRSS := fs.Int("soak-max-rss", 200, "the soak fails if the gateway's RSS passes this many MiB")
	doc := fs.String("doc", os.Getenv("LLMBENCH_DOC"), "also write the report as this markdown file, with an SVG chart beside it (docs/benchmarks.md)")
	cpuprofile := fs.String("cpuprofile", os.Getenv("LLMBENCH_CPUPROFILE"), "save the gateway's CPU profile of the busiest unstreamed OpenAI phase to this file")
	runs := fs.Int("runs", envInt("LLMBENCH_RUNS", 1), "repeat the whole measurement this many times and report medians")
	noaudit := fs.String("llmgate-noaudit", os.Getenv("LLMBENCH_LLMGATE_NOAUDIT"), "gateway binary built with -tags llmgate_noaudit: measure the durable audit's share of CPU beside it")
	peers := fs.String("peers", os.Getenv("LLMBENCH_PEERS"), "also bench LiteLLM's proxy and MLflow's gateway from this virtualenv (scripts/bench-peers.sh)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	cfg := &config{duration: *duration, warmup: *warmup, llmgate: *llmgate, fake: *fake,
		soak: *soakFor, soakCallers: *soakCallers, soakMaxRSSMiB: *soakMaxRSS, cpuprofile: *cpuprofile, doc: *doc, peers: *peers, noaudit: *noaudit, runs: *runs}
	if cfg.runs < 1 || cfg.runs > 99 {
		return nil, fmt.Errorf("-runs must be between 1 and 99")
	}
	if cfg.soak < 0 || cfg.soakCallers < 1 || cfg.soakMaxRSSMiB < 1 {
		return nil, fmt.Errorf("-soak must not be negative, -soak-callers and -soak-max-rss must be positive")
	}
	for _, s := range strings.Split(*conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 4096 {
			return nil, fmt.Errorf("-concurrency: %q is not a number of callers between 1 and 4096", s)
		}
		cfg.concurrency = append(cfg.concurrency, n)
	}
	if cfg.duration <= 0 || cfg.warmup < 0 {
		return nil, fmt.Errorf("-duration must be positive and -warmup not negative")
	}
	return cfg, nil
}

func run(cfg *config) error {
	dir, err := os.MkdirTemp("", "llmbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fake, err := startFake(cfg.fake)
	if err != nil {
		return err
	}
	defer fake.stop()
	gw, err := startGateway(cfg.llmgate, dir, cfg.cpuprofile != "")
	if err != nil {
		return err
	}
	defer gw.stop()
	if cfg.soak > 0 {
		keys, err := gw.soakSetUp(fake.url)
		if err != nil {
			return err
		}
		return soak(cfg, gw, keys)
	}
	key, err := gw.setUp(fake.url)
	if err != nil {
		return err
	}

	maxConc := 0
	for _, c := range cfg.concurrency {
		maxConc = max(maxConc, c)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * maxConc, DisableCompression: true}}
	proxy, err := startProxy(fake.url)
	if err != nil {
		return err
	}
	defer proxy.stop()
	targets := []target{
		{name: "direct", url: fake.url + "/v1/chat/completions", key: fakeKey, model: upstreamModel, pid: fake.cmd.Process.Pid},
		{name: "proxy", url: proxy.url + "/v1/chat/completions", key: fakeKey, model: upstreamModel, pid: proxy.cmd.Process.Pid},
		{name: "gateway", url: gw.url + "/v1/chat/completions", key: key, model: endpointName, pid: gw.cmd.Process.Pid, metrics: gw.url + "/metrics"},
		{name: "gateway-mlflow", url: gw.url + "/endpoints/" + endpointName + "/invocations", key: key, pid: gw.cmd.Process.Pid, metrics: gw.url + "/metrics"},
	}
	noAudit, noAuditTargets, err := startNoAudit(cfg.noaudit, dir, fake.url)
	if err != nil {
		return err
	}
	if noAudit != nil {
		defer noAudit.stop()
	}
	targets = append(targets, noAuditTargets...)
	peers, err := startPeers(cfg.peers, fake.url, dir)
	if err != nil {
		return err
	}
	defer peers.stop()
	targets = append(targets, peers.targets()...)
	fmt.Printf("llmbench: %v per phase after %v warm-up, concurrency %v, loopback, fake upstream without delay\n\n", cfg.duration, cfg.warmup, cfg.concurrency)
	// Measured in the gateways' own directory, before any load, so nothing else competes.
	floor, err := measureSync(dir)
	if err != nil {
		return fmt.Errorf("measuring the disk's fsync: %w", err)
	}
	var runs [][]result
	for i := range cfg.runs {
		if cfg.runs > 1 {
			fmt.Printf("run %d of %d\n", i+1, cfg.runs)
		}
		rows, err := measure(cfg, client, targets, gw, maxConc)
		if err != nil {
			return err
		}
		runs = append(runs, rows)
	}
	sum := summarize(runs)
	sum.sync = floor
	rows := sum.rows
	mem, err := gw.readMemory()
	if err != nil {
		return err
	}
	printReport(os.Stdout, sum, mem, gw.errorLogs.Load())
	peerReport := peers.report(rows, proxy.cmd.Process.Pid, gw.cmd.Process.Pid)
	peerReport.print(os.Stdout)
	if cfg.doc != "" {
		if err := writeDoc(cfg.doc, cfg, sum, mem); err != nil {
			return err
		}
		return peerReport.appendDoc(cfg.doc)
	}
	return nil
}

// measure runs every phase once: each target unstreamed and streamed at each concurrency,
// the targets of one mode and concurrency interleaved (interleave.go). With -cpuprofile the
// gateway's busiest unstreamed phase runs once more, unmeasured, under the profiler.
func measure(cfg *config, client *http.Client, targets []target, gw *gateway, maxConc int) ([]result, error) {
	var rows []result
	for _, c := range cfg.concurrency {
		for _, stream := range []bool{false, true} {
			var phases []phase
			for _, tg := range targets {
				if stream && (tg.model == "" || tg.name == noAuditTarget) {
					continue // MLflow streams end without [DONE]; its surface is measured unstreamed
				}
				phases = append(phases, phase{client: client, target: tg, stream: stream, concurrency: c})
			}
			rows = append(rows, interleave(context.Background(), phases, cfg.warmup, cfg.duration, sliceFor)...)
			if cfg.cpuprofile != "" && !stream && c == maxConc {
				if err := profileGateway(cfg, gw, phases); err != nil {
					return nil, err
				}
			}
		}
	}
	if slices.Contains(cfg.concurrency, 1) {
		paired, err := measurePaired(cfg, client, targets)
		if err != nil {
			return nil, err
		}
		rows = append(rows, paired...)
	}
	return rows, nil
}

// profileGateway saves the gateway's CPU profile over one more run of its phase.
func profileGateway(cfg *config, gw *gateway, phases []phase) error {
	for _, ph := range phases {
		if ph.target.name != "gateway" {
			continue
		}
		profiled := make(chan error, 1)
		go func() { profiled <- gw.saveProfile(cfg.cpuprofile, cfg.duration) }()
		ph.run(context.Background(), cfg.duration)
		if err := <-profiled; err != nil {
			return err
		}
		fmt.Printf("gateway CPU profile of gateway c=%d saved to %s (go tool pprof -top %s)\n", ph.concurrency, cfg.cpuprofile, cfg.cpuprofile)
	}
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}
