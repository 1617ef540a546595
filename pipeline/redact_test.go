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
