package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate/api/openai"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
	"github.com/llmgate/llmgate/provider"
	openaiprovider "github.com/llmgate/llmgate/provider/openai"
	"github.com/llmgate/llmgate/transport"
)

// BenchmarkStreamTTFB is what the gateway adds to a stream's time to first byte over a bare
// httputil.ReverseProxy, one caller at a time over loopback: both run in this process in front
// of the same fake OpenAI upstream (fakeupstream), the gateway with the real OpenAI provider,
// the production transport, the OpenAI surface and its middleware, limits and the SQLite audit.
// Calls alternate between the two so that both see the same machine. It reports the p50 and
// p99 of each and the added time (gateway − proxy); cmd/llmbench measures the same across
// processes.
func BenchmarkStreamTTFB(b *testing.B) {
	fake := httptest.NewServer(fakeupstream.New(fakeupstream.Options{}))
	defer fake.Close()
	u, err := url.Parse(fake.URL)
	if err != nil {
		b.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1
	proxy := httptest.NewServer(fullDuplex(rp))
	defer proxy.Close()

	env := pipelinetest.New(b, pipelinetest.Options{Providers: []*provider.Spec{openaiprovider.Spec},
		Pipeline: pipeline.Options{Transport: transport.New(transport.Options{}).Do}})
	_, key := env.User("bench")
	env.Endpoint("chat", gateway.TypeChat, "gpt-4o-mini", func(in *app.EndpointInput) {
		in.Provider = "openai"
		in.Config = map[string]app.ConfigValue{
			openaiprovider.KeyAPIKey:  {Value: fakeupstream.DefaultKey("openai")},
			openaiprovider.KeyAPIBase: {Value: fake.URL + "/v1"},
		}
	})
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	targets := []ttfbTarget{
		{url: proxy.URL + "/v1/chat/completions", key: fakeupstream.DefaultKey("openai"), model: "gpt-4o-mini"},
		{url: env.Server.URL + "/v1/chat/completions", key: key, model: "chat"},
	}
	for range 200 { // warm-up: connections, caches, heap size
		for _, t := range targets {
			t.call(b, client)
		}
	}
	var got [2][]time.Duration
	for b.Loop() {
		for i, t := range targets {
			got[i] = append(got[i], t.call(b, client))
		}
	}
	proxyP50, proxyP99 := percentiles(got[0])
	gwP50, gwP99 := percentiles(got[1])
	b.ReportMetric(float64(proxyP50.Microseconds()), "proxy-p50-µs")
	b.ReportMetric(float64(proxyP99.Microseconds()), "proxy-p99-µs")
	b.ReportMetric(float64(gwP50.Microseconds()), "gateway-p50-µs")
	b.ReportMetric(float64(gwP99.Microseconds()), "gateway-p99-µs")
	b.ReportMetric(float64((gwP50 - proxyP50).Microseconds()), "added-p50-µs")
	b.ReportMetric(float64((gwP99 - proxyP99).Microseconds()), "added-p99-µs")
}

type ttfbTarget struct{ url, key, model string }

// call streams one chat completion to its end and returns the time to its first body byte.
func (t ttfbTarget) call(b *testing.B, client *http.Client) time.Duration {
	body := fmt.Sprintf(`{"model":%q,"stream":true,"messages":[{"role":"user","content":"Say hello in a few words"}]}`, t.model)
	req, err := http.NewRequest("POST", t.url, strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+t.key)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 32<<10)
	var ttfb time.Duration
	var all bytes.Buffer
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 && all.Len() == 0 {
			ttfb = time.Since(start)
		}
		all.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	if resp.StatusCode != http.StatusOK || !bytes.HasSuffix(all.Bytes(), []byte("data: [DONE]\n\n")) {
		b.Fatalf("%s answered %d: %.300s", t.url, resp.StatusCode, all.Bytes())
	}
	return ttfb
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	slices.Sort(d)
	return d[len(d)/2], d[len(d)*99/100]
}

// fullDuplex lets the proxy's transport finish reading the request body after the answer's
// headers went out (as cmd/llmbench's bare proxy does): net/http's HTTP/1 server otherwise
// closes it, and the transport then drops the upstream connection mid-stream.
func fullDuplex(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).EnableFullDuplex(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// firstFrameSink notes when the first frame reaches it and keeps no frame (B/op is the
// gateway's own).
type firstFrameSink struct {
	recorder
	first time.Time
}

func (f *firstFrameSink) Frame([]byte) error {
	if f.first.IsZero() {
		f.first = time.Now()
	}
	return nil
}

// BenchmarkStreamFirstFrame is the gateway's own work before a stream's first byte, without
// sockets: pipeline.Serve from its call to the Sink's first Frame, through the OpenAI surface
// and provider, with an upstream answer that arrives in one read of ten events (what a fast
// upstream's first read holds; usage last, as openaicompat asks for it). It reports the median
// and p99 of that time; ns/op is the whole query, its durable audit included.
func BenchmarkStreamFirstFrame(b *testing.B) {
	event := `data: {"choices":[{"delta":{"content":"word "},"finish_reason":null,"index":0,"logprobs":null}],"created":1796363304,"id":"fake-1796363304883959308","model":"gpt-4o-mini","object":"chat.completion.chunk","usage":null}` + "\n\n"
	answer := strings.Repeat(event, 8) + `data: {"choices":[{"delta":{},"finish_reason":"stop","index":0,"logprobs":null}],"created":1796363304,"id":"fake-1796363304883959308","model":"gpt-4o-mini","object":"chat.completion.chunk","usage":null}` + "\n\n" +
		`data: {"choices":[],"created":1796363304,"id":"fake-1796363304883959308","model":"gpt-4o-mini","object":"chat.completion.chunk","usage":{"prompt_tokens":12,"completion_tokens":16,"total_tokens":28}}` + "\n\ndata: [DONE]\n\n"
	env, key := streamEnv(b, "bench", answer)
	q := pipeline.Query{Surface: openai.Surface{}, Type: gateway.TypeChat, Caller: app.Caller{APIKey: key},
		Body: body(`{"model":"chat","stream":true,"messages":[{"role":"user","content":"Say hello in a few words"}]}`)}
	var firsts []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		var out firstFrameSink
		start := time.Now()
		if res := env.Pipeline.Serve(context.Background(), q, &out); res.Outcome != gateway.OutcomeSuccess {
			b.Fatalf("result %+v, error %v", res, out.err)
		}
		firsts = append(firsts, out.first.Sub(start))
	}
	p50, p99 := percentiles(firsts)
	b.ReportMetric(float64(p50.Nanoseconds())/1000, "first-frame-p50-µs")
	b.ReportMetric(float64(p99.Nanoseconds())/1000, "first-frame-p99-µs")
}
