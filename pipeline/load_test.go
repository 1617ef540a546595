package pipeline_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
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

// BenchmarkSmallQueryWhileLargeOnesRun measures issue 10 finding 17's scenario: one user runs
// 32 concurrent ~9 MB queries (3 each) while another sends small ones. It reports the small
// queries' median and 95th percentile latency and the peak heap. The upstream discards what it
// gets and answers a few bytes, so the gateway's own cost is what is measured. Run with
// -benchtime 1x. budget-off lifts the request-body budget, for comparison.
func BenchmarkSmallQueryWhileLargeOnesRun(b *testing.B) {
	for _, c := range []struct {
		name   string
		budget int64
	}{{"budget-64MiB", 0}, {"budget-off", 1 << 40}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				smallUnderLoad(b, c.budget)
			}
		})
	}
}

func smallUnderLoad(b *testing.B, budget int64) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`)
	}))
	defer upstream.Close()
	env := pipelinetest.New(b, pipelinetest.Options{Pipeline: pipeline.Options{MaxInflightRequestBytes: budget}})
	_, bigKey := env.User("big")
	_, smallKey := env.User("small")
	env.Endpoint("chat", gateway.TypeChat, "m", func(in *app.EndpointInput) {
		in.Config[pipelinetest.KeyAPIBase] = app.ConfigValue{Value: upstream.URL + "/v1"}
	})
	large, _ := json.Marshal(map[string]any{"model": "chat", "messages": []map[string]string{
		{"role": "user", "content": strings.Repeat("lorem ipsum ", 9<<20/12)}}})
	post := func(key string, body []byte) int {
		req, _ := http.NewRequest("POST", env.Server.URL+"/v1/chat/completions", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > peak.Load() {
					peak.Store(m.HeapAlloc)
				}
			}
		}
	}()
	var wg sync.WaitGroup
	var statuses sync.Map
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 3; j++ {
				s := post(bigKey, large)
				n, _ := statuses.LoadOrStore(s, new(atomic.Int64))
				n.(*atomic.Int64).Add(1)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	small := []byte(`{"model":"chat","messages":[{"role":"user","content":"hi"}]}`)
	var lat []time.Duration
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
			start := time.Now()
			if s := post(smallKey, small); s != 200 {
				b.Fatalf("small query answered %d", s)
			}
			lat = append(lat, time.Since(start))
		}
	}
	close(stop)
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "small-p50-ms")
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "small-p95-ms")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	statuses.Range(func(k, v any) bool {
		b.Logf("large queries answered %v: %d", k, v.(*atomic.Int64).Load())
		return true
	})
}
