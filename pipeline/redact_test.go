package pipeline_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
	"github.com/llmgate/llmgate/redact"
)

// tokenKey is a credential of no recognisable shape (a self-hosted server's token), with
// characters that make its URL, JSON and base64 forms all differ from it.
const tokenKey = "tok/7Hq+2Lp<9Zx=4Wv"

// TestEchoedCredentialIsRedactedEverywhere drives an upstream that echoes the credential it
// received, in every form fakeupstream.LeakForms names, in a 4xx error message, in a 200
// answer and in a stream whose chunks split it, through both query surfaces; no encoding of
// it may appear in any response body or header, stream frame, audit event (with payload
// logging on), the raw database file, the log or /metrics.
func TestEchoedCredentialIsRedactedEverywhere(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	env.Upstream.AcceptKey(tokenKey)
	_, key := env.User("leo")
	creds := map[string]string{"sk": pipelinetest.UpstreamKey, "tok": tokenKey}
	var seen []string
	for name, cred := range creds {
		for _, status := range []string{"400", "200"} {
			ep := "leak-" + name + "-" + status
			env.Endpoint(ep, gateway.TypeChat, "fake-leak-"+status, func(in *app.EndpointInput) {
				in.Config[pipelinetest.KeyAPIKey] = app.ConfigValue{Value: cred}
				in.LogPayloads = true
			})
			for _, form := range fakeupstream.LeakForms {
				for _, stream := range []bool{false, true} {
					if stream && status != "200" {
						continue
					}
					body := map[string]any{"messages": []map[string]string{{"role": "user", "content": "leak:" + form}}, "stream": stream}
					for _, path := range []string{"/endpoints/" + ep + "/invocations", "/v1/chat/completions"} {
						if path[1] == 'v' {
							body["model"] = ep
						}
						code, hdr, out := env.Do("POST", path, key, body)
						if want := map[string]int{"400": 400, "200": 200}[status]; code != want {
							t.Errorf("%s %s stream=%v: status %d, want %d: %s", path, form, stream, code, want, out)
						}
						seen = append(seen, string(out), headerText(hdr))
						if !strings.Contains(string(out), redact.Marker) {
							t.Errorf("%s %s stream=%v: no redaction marker: %s", path, form, stream, out)
						}
					}
				}
			}
		}
	}
	_, _, metricsText := env.Do("GET", "/metrics", "", nil)
	seen = append(seen, string(metricsText), env.Logs())
	for name := range creds {
		for _, status := range []string{"400", "200"} {
			evs := env.AccessEvents("leak-" + name + "-" + status)
			if len(evs) == 0 {
				t.Fatalf("no audit events for %s", name)
			}
			raw, _ := json.Marshal(evs)
			seen = append(seen, string(raw))
		}
	}
	for _, f := range []string{"llmgate.db", "llmgate.db-wal"} {
		if raw, err := os.ReadFile(filepath.Join(env.DataDir, f)); err == nil {
			seen = append(seen, string(raw))
		}
	}
	for name, cred := range creds {
		for form, enc := range fakeupstream.LeakEncodings(cred) {
			for i, s := range seen {
				if strings.Contains(s, enc) {
					t.Errorf("the %s credential leaked (%s form %q) into output %d: %.400s", name, form, enc, i, s)
				}
			}
		}
	}
	if n := len(env.Upstream.Requests()); n != 2*(2*8*2+8*2) {
		t.Fatalf("upstream saw %d requests", n)
	}
}

// TestMalformedUpstreamAnswersAre502 relays nothing of an answer whose choices or embeddings
// do not add up (finding 19: `choices: [null, {"index": 99999999999}]` was a 200).
func TestMalformedUpstreamAnswersAre502(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("mia")
	env.Upstream.Answer("bad-choices", `{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[null,{"index":99999999999,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}`)
	env.Upstream.Answer("bad-embeddings", `{"object":"list","model":"m","data":[{"object":"embedding","index":0,"embedding":[1,2]}]}`)
	env.Upstream.Answer("bad-stream", "data: {\"id\":\"s\",\"choices\":[{\"index\":7,\"delta\":{\"content\":\"x\"}}]}\n\ndata: [DONE]\n\n")
	env.Endpoint("bad-choices", gateway.TypeChat, "bad-choices", nil)
	env.Endpoint("bad-embeddings", gateway.TypeEmbeddings, "bad-embeddings", nil)
	env.Endpoint("bad-stream", gateway.TypeChat, "bad-stream", nil)
	for _, c := range []struct {
		path string
		body any
	}{
		{"/endpoints/bad-choices/invocations", chatBody},
		{"/v1/chat/completions", map[string]any{"model": "bad-choices", "messages": []map[string]string{{"role": "user", "content": "x"}}}},
		{"/endpoints/bad-embeddings/invocations", map[string]any{"input": []string{"a", "b"}}},
		{"/v1/embeddings", map[string]any{"model": "bad-embeddings", "input": []string{"a", "b"}}},
		{"/endpoints/bad-stream/invocations", map[string]any{"messages": []map[string]string{{"role": "user", "content": "x"}}, "stream": true}},
	} {
		status, _, body := env.Do("POST", c.path, key, c.body)
		if status != 502 || !strings.Contains(string(body), "malformed upstream") {
			t.Errorf("%s: %d %s", c.path, status, body)
		}
	}
	for _, ep := range []string{"bad-choices", "bad-embeddings", "bad-stream"} {
		for _, ev := range env.AccessEvents(ep) {
			if ev.Metadata["outcome"] != gateway.OutcomeUpstreamError {
				t.Errorf("%s audited as %v", ep, ev.Metadata["outcome"])
			}
		}
	}
}
