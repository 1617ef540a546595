package pipeline_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
)

// bigAnswer is a chat answer of about size bytes.
func bigAnswer(size int) string {
	return `{"id":"big","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"` +
		strings.Repeat("x", size) + `"},"finish_reason":"stop"}]}`
}

// peakHeap samples the heap in use until stop is closed and returns the largest value seen.
func peakHeap(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		var peak uint64
		var ms runtime.MemStats
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// TestConcurrentLargeAnswersKeepTheHeapBounded sends 24 concurrent requests whose upstream
// answers are 4 MiB each (under the per-answer cap): without the in-flight budget the gateway
// held all of them at once (the heap grew by ~550 MiB for 32 × 6 MiB); with a 16 MiB budget
// at most three are read at a time and the rest wait their turn.
func TestConcurrentLargeAnswersKeepTheHeapBounded(t *testing.T) {
	const answer, callers, budget = 4 << 20, 24, 16 << 20
	env := pipelinetest.New(t, pipelinetest.Options{Pipeline: pipeline.Options{
		MaxResponseBytes: 8 << 20, MaxInflightResponseBytes: budget}})
	_, key := env.User("bob")
	env.Upstream.Answer("big", bigAnswer(answer))
	env.Endpoint("big", gateway.TypeChat, "big", nil)
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	stop := make(chan struct{})
	peak := peakHeap(stop)
	var ok, busy atomic.Int32
	var wg sync.WaitGroup
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := env.Send("POST", "/endpoints/big/invocations", key, chatBody)
			defer resp.Body.Close()
			n, _ := io.Copy(io.Discard, resp.Body)
			switch {
			case resp.StatusCode == http.StatusOK && n > answer:
				ok.Add(1)
			case resp.StatusCode == http.StatusServiceUnavailable:
				busy.Add(1)
			default:
				t.Errorf("status %d, %d bytes", resp.StatusCode, n)
			}
		}()
	}
	wg.Wait()
	close(stop)
	grew := int64(<-peak) - int64(base.HeapInuse)
	t.Logf("%d callers × %d MiB answers, budget %d MiB: %d answered, %d busy (503); heap grew by %d MiB at peak",
		callers, answer>>20, budget>>20, ok.Load(), busy.Load(), grew>>20)
	if ok.Load() == 0 {
		t.Fatal("no answer got through")
	}
	if grew > 8*budget {
		t.Fatalf("heap grew by %d MiB, more than 8 × the %d MiB budget", grew>>20, budget>>20)
	}
}

// TestOversizedAnswerIs502 refuses an answer over --max-response-bytes without reading it all.
func TestOversizedAnswerIs502(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{Pipeline: pipeline.Options{MaxResponseBytes: 1 << 20}})
	_, key := env.User("ola")
	env.Upstream.Answer("huge", bigAnswer(2<<20))
	env.Upstream.Answer("fits", bigAnswer(900<<10))
	env.Endpoint("huge", gateway.TypeChat, "huge", nil)
	env.Endpoint("fits", gateway.TypeChat, "fits", nil)
	for surface, body := range map[string]any{"/endpoints/huge/invocations": chatBody,
		"/v1/chat/completions": map[string]any{"model": "huge", "messages": chatBody["messages"]}} {
		status, _, out := env.Do("POST", surface, key, body)
		if status != http.StatusBadGateway || !strings.Contains(string(out), "exceeds") {
			t.Errorf("%s: %d %.200s", surface, status, out)
		}
	}
	if status, _, out := env.Do("POST", "/endpoints/fits/invocations", key, chatBody); status != 200 {
		t.Errorf("an answer under the cap: %d %.200s", status, out)
	}
	for _, ev := range env.AccessEvents("huge") {
		if ev.Metadata["outcome"] != gateway.OutcomeUpstreamError {
			t.Errorf("audited as %v", ev.Metadata)
		}
	}
}

// TestChunkedAnswersKeepTheBudgetBalanced reads answers of unknown length (chunked, no
// Content-Length), so the buffer grows step by step: one past the cap must be a 502 and one
// under it a 200, again and again on both surfaces. Growing once released budget never taken
// and the step to the cap panicked the semaphore (500 "semaphore: released more than held",
// found by the soak).
func TestChunkedAnswersKeepTheBudgetBalanced(t *testing.T) {
	const limit = 1 << 20
	env := pipelinetest.New(t, pipelinetest.Options{Pipeline: pipeline.Options{
		MaxResponseBytes: limit, MaxInflightResponseBytes: 2 * limit}})
	_, key := env.User("chunky")
	chunked := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Model string }
		_ = json.NewDecoder(r.Body).Decode(&req)
		size := limit / 2
		if req.Model == "over" {
			size = 3 * limit
		}
		w.Header().Set("Content-Type", "application/json")
		body := bigAnswer(size)
		for len(body) > 0 { // several writes with flushes: the answer goes out chunked
			n := min(len(body), 64<<10)
			_, _ = io.WriteString(w, body[:n])
			http.NewResponseController(w).Flush()
			body = body[n:]
		}
	}))
	t.Cleanup(chunked.Close)
	for _, model := range []string{"over", "under"} {
		env.Endpoint(model, gateway.TypeChat, model, func(in *app.EndpointInput) {
			in.Config[pipelinetest.KeyAPIBase] = app.ConfigValue{Value: chunked.URL + "/v1"}
		})
	}
	for round := range 3 {
		for model, want := range map[string]int{"over": http.StatusBadGateway, "under": http.StatusOK} {
			for _, path := range []string{"/endpoints/" + model + "/invocations", "/v1/chat/completions"} {
				status, _, out := env.Do("POST", path, key, map[string]any{"model": model, "messages": chatBody["messages"]})
				if status != want {
					t.Fatalf("round %d, %s (%s): %d, want %d: %.200s", round, path, model, status, want, out)
				}
			}
		}
	}
}

// TestExhaustedAnswerBudgetIs503 holds the whole budget with one answer the upstream sends
// only half of, then asks for another: it waits AnswerBudgetWait and answers 503 with
// Retry-After; once the first answer completes, the budget is back.
func TestExhaustedAnswerBudgetIs503(t *testing.T) {

	env := pipelinetest.New(t, pipelinetest.Options{Pipeline: pipeline.Options{
		MaxResponseBytes: 1 << 20, MaxInflightResponseBytes: 1<<20 + 1, AnswerBudgetWait: 50 * time.Millisecond}})
	_, key := env.User("hal")
	env.Upstream.Answer(pipelinetest.ModelGate, bigAnswer(1<<20-200))
	env.Upstream.Answer("small", bigAnswer(10))
	env.Endpoint("held", gateway.TypeChat, pipelinetest.ModelGate, nil)
	env.Endpoint("small", gateway.TypeChat, "small", nil)
	first := make(chan int, 1)
	go func() {
		resp := env.Send("POST", "/endpoints/held/invocations", key, chatBody)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	deadline := time.Now().Add(10 * time.Second)
	for env.Pipeline.InflightAnswerBytes() < 1<<20-200 {
		if time.Now().After(deadline) {
			t.Fatalf("the held answer never took its budget (%d)", env.Pipeline.InflightAnswerBytes())
		}
		time.Sleep(time.Millisecond)
	}
	status, hdr, body := env.Do("POST", "/endpoints/small/invocations", key, chatBody)
	if status != http.StatusServiceUnavailable || hdr.Get("Retry-After") == "" {
		t.Fatalf("with the budget taken: %d %s %s", status, hdr.Get("Retry-After"), body)
	}
	env.Upstream.Release()
	if got := <-first; got != http.StatusOK {
		t.Fatalf("held answer: %d", got)
	}
	if status, _, body := env.Do("POST", "/endpoints/small/invocations", key, chatBody); status != http.StatusOK {
		t.Fatalf("after the budget came back: %d %s", status, body)
	}
	if n := env.Pipeline.InflightAnswerBytes(); n != 0 {
		t.Fatalf("%d bytes still taken", n)
	}
}
