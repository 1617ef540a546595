package httpkit_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/api/mlflow"
	"github.com/llmgate/llmgate/api/openai"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
)

// query answers one request through ServeQuery in surface s's shapes, in process.
func query(env *pipelinetest.Env, s httpkit.QuerySurface, q pipeline.Query, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	q.Caller = httpkit.CallerOf(req)
	httpkit.ServeQuery(rec, req, env.Pipeline, s, q)
	return rec
}

func post(key, body string, header ...string) *http.Request {
	req := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

// TestServeQueryReadsTheBodyWithinThePipelinesLimit: a body over MaxBodyBytes is a 413 in the
// surface's envelope, whether its length was declared or not, and never reaches the provider.
func TestServeQueryReadsTheBodyWithinThePipelinesLimit(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{Pipeline: pipeline.Options{MaxBodyBytes: 1024}})
	_, key := env.User("ada")
	env.Endpoint("chat", gateway.TypeChat, "fake-model", nil)
	big := `{"model":"chat","messages":[{"role":"user","content":"` + strings.Repeat("x", 2048) + `"}]}`
	for _, declared := range []bool{true, false} {
		req := post(key, big)
		if !declared {
			req.ContentLength = -1
		}
		rec := query(env, openai.Surface{}, pipeline.Query{Type: gateway.TypeChat}, req)
		if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), `"error"`) {
			t.Errorf("declared %v: %d %s", declared, rec.Code, rec.Body)
		}
	}
	if n := len(env.Upstream.Requests()); n != 0 {
		t.Fatalf("%d oversized bodies reached the provider", n)
	}
}

// TestServeQueryStreamsAnEventStreamFlushedWithTheReceiptAsTrailer: a stream goes out as
// text/event-stream that proxies must not buffer or cache, flushed, and declares the receipt
// trailer, which holds the receipt once the stream ends.
func TestServeQueryStreamsAnEventStreamFlushedWithTheReceiptAsTrailer(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("ada")
	env.Endpoint("chat", gateway.TypeChat, "fake-model", nil)
	rec := query(env, openai.Surface{}, pipeline.Query{Type: gateway.TypeChat},
		post(key, `{"model":"chat","stream":true,"messages":[{"role":"user","content":"one two"}]}`))
	h := rec.Result().Header
	if rec.Code != 200 || h.Get("Content-Type") != "text/event-stream" || h.Get("Cache-Control") != "no-cache" ||
		h.Get("X-Accel-Buffering") != "no" || h.Get("Trailer") != httpkit.ReceiptHeader || !rec.Flushed {
		t.Fatalf("%d %v flushed=%v", rec.Code, h, rec.Flushed)
	}
	if !strings.HasSuffix(rec.Body.String(), "data: [DONE]\n\n") || !strings.HasPrefix(rec.Header().Get(httpkit.ReceiptHeader), "seq=") {
		t.Fatalf("body %q, receipt %q", rec.Body, rec.Header().Get(httpkit.ReceiptHeader))
	}
}

// TestServeQueryAbortsABrokenStreamOnASurfaceWithoutErrorFrames: MLflow has no error frame,
// so a stream that breaks after its first chunk ends with http.ErrAbortHandler (the client
// reads a broken response, not a complete one), once the query was audited.
func TestServeQueryAbortsABrokenStreamOnASurfaceWithoutErrorFrames(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("ada")
	env.Endpoint("cut", gateway.TypeCompletions, pipelinetest.ModelCut, nil)
	req := post(key, `{"prompt":"x y","stream":true}`)
	rec := httptest.NewRecorder()
	func() {
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler", v)
			}
		}()
		httpkit.ServeQuery(rec, req, env.Pipeline, mlflow.Surface{}, pipeline.Query{Endpoint: "cut", Caller: httpkit.CallerOf(req)})
	}()
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "text_completion_chunk") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if evs := env.AccessEvents("cut"); len(evs) != 1 || evs[0].Metadata["outcome"] != gateway.OutcomeUpstreamError {
		t.Fatalf("access events %+v", evs)
	}
}

// TestServeQueryPassesTheCallersCacheDirectives: Cache-Control no-cache skips the response
// cache's lookup and no-store its write, in any letter case.
func TestServeQueryPassesTheCallersCacheDirectives(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("ada")
	env.Endpoint("chat", gateway.TypeChat, "fake-model", func(in *app.EndpointInput) {
		in.Cache = &gateway.CachePolicy{TTLSeconds: 60}
	})
	ask := func(prompt string, header ...string) string {
		t.Helper()
		rec := query(env, openai.Surface{}, pipeline.Query{Type: gateway.TypeChat},
			post(key, `{"model":"chat","messages":[{"role":"user","content":"`+prompt+`"}]}`, header...))
		if rec.Code != 200 {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		evs := env.AccessEvents("chat")
		return evs[len(evs)-1].Metadata["cache"]
	}
	for _, c := range []struct {
		prompt, cacheControl, want string
	}{
		{"one", "", "miss"},
		{"one", "", "hit"},
		{"one", "No-Cache", "bypass"},
		{"two", "no-store", "miss"},
		{"two", "", "miss"}, // the answer before was not stored
		{"two", "", "hit"},
	} {
		var header []string
		if c.cacheControl != "" {
			header = []string{"Cache-Control", c.cacheControl}
		}
		if got := ask(c.prompt, header...); got != c.want {
			t.Errorf("%q with Cache-Control %q: cache %q, want %q", c.prompt, c.cacheControl, got, c.want)
		}
	}
}
