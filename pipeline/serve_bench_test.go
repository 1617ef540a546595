package pipeline_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
	"github.com/llmgate/llmgate/provider"
)

const (
	benchAnswer = `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`
	benchStream = "data: {\"id\":\"s\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"hello\"}}]}\n\n" +
		"data: {\"id\":\"s\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" world\"}}]}\n\n" +
		"data: {\"id\":\"s\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n" +
		"data: {\"id\":\"s\",\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}\n\n" +
		"data: [DONE]\n\n"
)

// memoryTransport answers every upstream call from memory, so a benchmark measures the
// gateway's own work and not a socket.
func memoryTransport(_ context.Context, req *provider.HTTPRequest) (*http.Response, error) {
	body, ct := benchAnswer, "application/json"
	if bytes.Contains(req.Body, []byte(`"stream":true`)) {
		body, ct = benchStream, "text/event-stream"
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {ct}},
		ContentLength: -1, // unknown, as net/http reports a chunked answer
		Body:          io.NopCloser(strings.NewReader(body))}, nil
}

// BenchmarkServe is the per-query cost of the query path in process: a small chat query
// through the OpenAI surface's handler (middleware included), answered from memory, with its
// access event written to the SQLite audit trail. Run with -benchmem: allocations per query
// are the figure the hot path is held to.
func BenchmarkServe(b *testing.B) {
	for _, c := range []struct {
		name string
		body string
	}{
		{"complete", `{"model":"chat","messages":[{"role":"user","content":"hi"}]}`},
		{"stream", `{"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}]}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			env := pipelinetest.New(b, pipelinetest.Options{Pipeline: pipeline.Options{Transport: memoryTransport}})
			_, key := env.User("bench")
			env.Endpoint("chat", gateway.TypeChat, "m", nil)
			h := env.Server.Config.Handler
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(c.body))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("answered %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
