package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/llmgate/llmgate/api/openai"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline"
)

// countingSink counts the content frames a stream writes without keeping them.
type countingSink struct {
	recorder
	words int
}

func (c *countingSink) Frame(p []byte) error {
	c.words += bytes.Count(p, []byte(`"content":"word`))
	return nil
}

// BenchmarkStreamPerChunk is what the gateway spends on each chunk of a long stream, the figure
// a real model's answer (hundreds of chunks, each arriving in its own read) multiplies: the
// OpenAI surface and provider, one upstream read per event. Each iteration serves a stream of
// short and one of short+200 content chunks; ns-per-chunk is the difference over 200.
func BenchmarkStreamPerChunk(b *testing.B) {
	event := func(i int) string {
		return fmt.Sprintf(`data: {"choices":[{"delta":{"content":"word%d "},"finish_reason":null,"index":0,"logprobs":null}],"created":1796363304,"id":"fake-1796363304883959308","model":"gpt-4o-mini","object":"chat.completion.chunk","usage":null}`, i) + "\n\n"
	}
	stream := func(n int) []string {
		reads := make([]string, 0, n+2)
		for i := range n {
			reads = append(reads, event(i))
		}
		return append(reads, `data: {"choices":[{"delta":{},"finish_reason":"stop","index":0,"logprobs":null}],"created":1796363304,"id":"fake-1796363304883959308","model":"gpt-4o-mini","object":"chat.completion.chunk","usage":null}`+"\n\n",
			`data: {"choices":[],"created":1796363304,"id":"fake-1796363304883959308","model":"gpt-4o-mini","object":"chat.completion.chunk","usage":{"prompt_tokens":12,"completion_tokens":16,"total_tokens":28}}`+"\n\ndata: [DONE]\n\n")
	}
	const short, extra = 10, 200
	shortEnv, shortKey := streamEnv(b, "short", stream(short)...)
	longEnv, longKey := streamEnv(b, "long", stream(short+extra)...)
	serve := func(env interface {
		Serve(context.Context, pipeline.Query, pipeline.Sink) pipeline.Result
	}, key string) time.Duration {
		q := pipeline.Query{Surface: openai.Surface{}, Type: gateway.TypeChat, Caller: app.Caller{APIKey: key},
			Body: body(`{"model":"chat","stream":true,"messages":[{"role":"user","content":"Say hello"}]}`)}
		var out countingSink
		start := time.Now()
		if res := env.Serve(context.Background(), q, &out); res.Outcome != gateway.OutcomeSuccess {
			b.Fatalf("result %+v, error %v", res, out.err)
		}
		if out.words < short {
			b.Fatalf("%d content frames", out.words)
		}
		return time.Since(start)
	}
	var shortSum, longSum time.Duration
	b.ReportAllocs()
	for b.Loop() {
		shortSum += serve(shortEnv.Pipeline, shortKey)
		longSum += serve(longEnv.Pipeline, longKey)
	}
	b.ReportMetric(float64(longSum-shortSum)/float64(extra*b.N), "ns-per-chunk")
}
