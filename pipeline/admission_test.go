package pipeline_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
)

// openStream starts a stream on a fake-gate endpoint and reads its first frame, so the query
// is surely in flight (the upstream holds the rest until Release).
func openStream(t *testing.T, env *pipelinetest.Env, key string, body map[string]any) *http.Response {
	t.Helper()
	resp := env.Send("POST", "/endpoints/gate/invocations", key, body)
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("stream: %d %s", resp.StatusCode, b)
	}
	if readFrame(t, bufio.NewReader(resp.Body)) == "" {
		t.Fatal("no first frame")
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

var streamBody = map[string]any{"messages": []map[string]string{{"role": "user", "content": "a b"}}, "stream": true}

// Issue 10 finding 17: no per-user cap on concurrent requests. Over the cap a user gets a 429
// with Retry-After in each surface's envelope, while other users are served.
func TestConcurrentRequestsPerUserAreCapped(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{Pipeline: pipeline.Options{MaxConcurrentPerUser: 2}})
	_, heavy := env.User("heavy")
	_, other := env.User("other")
	env.Endpoint("gate", gateway.TypeChat, pipelinetest.ModelGate, nil)
	env.Endpoint("chat", gateway.TypeChat, "m", nil)
	held := []*http.Response{openStream(t, env, heavy, streamBody), openStream(t, env, heavy, streamBody)}

	status, h, body := env.Do("POST", "/endpoints/chat/invocations", heavy, chatBody)
	var mlflowErr struct{ Error, Detail string }
	if status != 429 || h.Get("Retry-After") != "1" || json.Unmarshal(body, &mlflowErr) != nil || !strings.Contains(mlflowErr.Error, "at most 2 at a time") {
		t.Fatalf("MLflow surface over the cap: %d %q %s", status, h.Get("Retry-After"), body)
	}
	status, h, body = env.Do("POST", "/v1/chat/completions", heavy, map[string]any{"model": "chat", "messages": chatBody["messages"]})
	var oaErr struct {
		Error struct{ Type, Message string }
	}
	if status != 429 || h.Get("Retry-After") != "1" || json.Unmarshal(body, &oaErr) != nil || oaErr.Error.Type != "rate_limit_error" {
		t.Fatalf("OpenAI surface over the cap: %d %q %s", status, h.Get("Retry-After"), body)
	}
	if status, _, body := env.Do("POST", "/endpoints/chat/invocations", other, chatBody); status != 200 {
		t.Fatalf("another user refused while heavy is at its cap: %d %s", status, body)
	}

	env.Upstream.Release()
	for _, r := range held {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	// The slots are given back when the streams end (after their last byte, so poll briefly).
	deadline := time.Now().Add(5 * time.Second)
	for {
		status, _, body := env.Do("POST", "/endpoints/chat/invocations", heavy, chatBody)
		if status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slots not given back after the streams ended: %d %s", status, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Large bodies share a process-wide budget: beyond it a large query waits for one to finish,
// while a small query is never held up.
func TestLargeBodiesWaitForBudgetWhileSmallOnesPass(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{Pipeline: pipeline.Options{MaxBodyBytes: 1 << 20, MaxInflightRequestBytes: 1 << 20}})
	_, key := env.User("big")
	env.Endpoint("gate", gateway.TypeChat, pipelinetest.ModelGate, nil)
	env.Endpoint("chat", gateway.TypeChat, "m", nil)
	big := func(stream bool) map[string]any {
		return map[string]any{"stream": stream, "messages": []map[string]string{
			{"role": "system", "content": strings.Repeat("x", 600<<10)}, {"role": "user", "content": "a b"}}}
	}
	first := openStream(t, env, key, big(true)) // holds 600 KiB of the 1 MiB budget until it ends

	done := make(chan int, 1)
	go func() {
		resp := env.Send("POST", "/endpoints/chat/invocations", key, big(false))
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	start := time.Now()
	if status, _, body := env.Do("POST", "/endpoints/chat/invocations", key, chatBody); status != 200 || time.Since(start) > 2*time.Second {
		t.Fatalf("small query while the budget is taken: %d after %s: %s", status, time.Since(start), body)
	}
	select {
	case s := <-done:
		t.Fatalf("a second large body was served (%d) while the budget was taken", s)
	case <-time.After(300 * time.Millisecond):
	}
	env.Upstream.Release()
	io.Copy(io.Discard, first.Body)
	first.Body.Close()
	select {
	case s := <-done:
		if s != 200 {
			t.Fatalf("the waiting large query answered %d", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting large query was not served after the budget freed")
	}
}

// A large query that cannot get its share of the body budget in time is a 503 with
// Retry-After, not an unbounded wait.
func TestLargeBodyWithoutBudgetIs503(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{Pipeline: pipeline.Options{MaxBodyBytes: 1 << 20,
		MaxInflightRequestBytes: 1 << 20, RequestBudgetWait: 50 * time.Millisecond}})
	_, key := env.User("big")
	env.Endpoint("gate", gateway.TypeChat, pipelinetest.ModelGate, nil)
	env.Endpoint("chat", gateway.TypeChat, "m", nil)
	large := []map[string]string{{"role": "system", "content": strings.Repeat("x", 600<<10)}, {"role": "user", "content": "a b"}}
	openStream(t, env, key, map[string]any{"stream": true, "messages": large})
	status, h, body := env.Do("POST", "/v1/chat/completions", key, map[string]any{"model": "chat", "messages": large})
	if status != 503 || h.Get("Retry-After") != "1" || !strings.Contains(string(body), "busy reading other large requests") {
		t.Fatalf("%d %q %s", status, h.Get("Retry-After"), body)
	}
	env.Upstream.Release()
}
