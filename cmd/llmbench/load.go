package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// callTimeout bounds one call, so a stuck request shows up as an error, not a hang.
const callTimeout = 30 * time.Second

// target is where a phase sends its chat completions.
// target is one hop under test; pid is the process whose CPU the phase charges to it.
type target struct {
	name, url, key, model string
	pid                   int
	// noDone: its streams end without "data: [DONE]" (MLflow's gateway); such a stream is
	// whole when an event gave the finish reason (finishedStream, peers.go).
	noDone bool
	// metrics is llmgate's /metrics, scraped around each phase for its audit commits.
	metrics string
}

// phase is one measured run: one target, streaming or not, at a fixed concurrency.
type phase struct {
	client      *http.Client
	target      target
	stream      bool
	concurrency int
}

// result is what a phase measured. Latency is request start to last body byte; ttfb (streams
// only) is request start to the first body byte, i.e. the first event.
type result struct {
	target      string
	stream      bool
	concurrency int
	ok, failed  int
	firstError  string
	elapsed     time.Duration
	cpu         time.Duration // CPU the target's process used during the phase
	// commits and commitEvents: the gateway's audit group commits during the phase and the
	// events they carried (target.metrics; zero for other targets).
	commits, commitEvents float64
	latency               []time.Duration
	ttfb                  []time.Duration
}

// sample is one call's outcome.
type sample struct {
	latency, ttfb time.Duration
	err           error
}

// run calls the target from p.concurrency workers until d has passed; calls started before
// the end finish and count, so the phase's elapsed time is until the last one returned.
func (p phase) run(ctx context.Context, d time.Duration) result {
	fields := map[string]any{
		"messages": []map[string]string{{"role": "user", "content": "How far is the moon from the earth in kilometres?"}},
		"stream":   p.stream,
	}
	if p.target.model != "" { // the MLflow route names the endpoint in its path
		fields["model"] = p.target.model
	}
	body, _ := json.Marshal(fields)
	cpu0, _ := treeCPU(p.target.pid)
	var commits0 commitCounts
	if p.target.metrics != "" {
		commits0, _ = scrapeCommits(p.client, p.target.metrics)
	}
	start := time.Now()
	deadline := start.Add(d)
	samples := make([][]sample, p.concurrency)
	var wg sync.WaitGroup
	for w := range p.concurrency {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				samples[w] = append(samples[w], p.call(ctx, body))
			}
		})
	}
	wg.Wait()
	r := p.summarise(samples, time.Since(start))
	if cpu1, err := treeCPU(p.target.pid); err == nil { // a Python server is a tree of processes
		r.cpu = cpu1 - cpu0
	}
	if p.target.metrics != "" {
		if c, err := scrapeCommits(p.client, p.target.metrics); err == nil {
			r.commits, r.commitEvents = c.commits-commits0.commits, c.events-commits0.events
		}
	}
	return r
}

func (p phase) summarise(samples [][]sample, elapsed time.Duration) result {
	r := result{target: p.target.name, stream: p.stream, concurrency: p.concurrency, elapsed: elapsed}
	for _, worker := range samples {
		for _, s := range worker {
			if s.err != nil {
				r.failed++
				if r.firstError == "" {
					r.firstError = s.err.Error()
				}
				continue
			}
			r.ok++
			r.latency = append(r.latency, s.latency)
			if p.stream {
				r.ttfb = append(r.ttfb, s.ttfb)
			}
		}
	}
	slices.Sort(r.latency)
	slices.Sort(r.ttfb)
	return r
}

// call makes one chat completion and checks the answer is whole: a JSON completion with a
// choice, or a stream that ends with [DONE].
func (p phase) call(ctx context.Context, body []byte) sample {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", p.target.url, bytes.NewReader(body))
	if err != nil {
		return sample{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+p.target.key)
	start := time.Now()
	resp, err := p.client.Do(req)
	if err != nil {
		return sample{err: err}
	}
	defer resp.Body.Close()
	var got bytes.Buffer
	buf := make([]byte, 32<<10)
	var ttfb time.Duration
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 && got.Len() == 0 {
			ttfb = time.Since(start)
		}
		got.Write(buf[:n])
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sample{err: err}
		}
	}
	s := sample{latency: time.Since(start), ttfb: ttfb}
	if resp.StatusCode != http.StatusOK {
		s.err = fmt.Errorf("status %d: %.200s", resp.StatusCode, got.Bytes())
	} else if !wholeAnswer(got.Bytes(), p.stream) && !(p.stream && p.target.noDone && finishedStream(got.Bytes())) {
		s.err = fmt.Errorf("incomplete answer: %.200s", got.Bytes())
	}
	return s
}

func wholeAnswer(body []byte, stream bool) bool {
	if stream {
		return bytes.HasSuffix(bytes.TrimSpace(body), []byte("data: [DONE]"))
	}
	var c struct {
		Choices []json.RawMessage `json:"choices"`
	}
	return json.Unmarshal(body, &c) == nil && len(c.Choices) > 0
}

// percentile is the nearest-rank q-quantile of sorted durations (0 when empty).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func (r result) rate() float64 { return float64(r.ok) / r.elapsed.Seconds() }

// cpuPerRequest is the target process's CPU per answered call.
func (r result) cpuPerRequest() time.Duration {
	if r.ok == 0 {
		return 0
	}
	return r.cpu / time.Duration(r.ok)
}
