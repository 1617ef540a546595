package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/internal/e2e"
)

// TestTruncatedStreamIsAnErrorForEveryProvider: every provider's fake ends its stream cleanly
// after the first event, without its terminal event (OpenAI's finish_reason and [DONE],
// Anthropic's message_stop, Bedrock's messageStop, Gemini's finishReason, Cohere's
// message-end, TGI's details), or drops the connection there. Each is audited as
// upstream_error and no surface lets it pass for a complete answer: /v1 ends with an error
// event and no [DONE], the MLflow route aborts the response.
func TestTruncatedStreamIsAnErrorForEveryProvider(t *testing.T) {
	providers := leakProviders()
	keys := map[string][]string{}
	aws := map[string]string{}
	for _, p := range providers {
		name := p.name
		switch name {
		case "mistral", "togetherai", "tgi":
			name = "openai"
		case "bedrock":
			_, _, cfg := p.config("", "")
			aws[cfg["aws_access_key_id"].(string)] = p.cred
			continue
		}
		keys[name] = append(keys[name], p.cred)
	}
	fake := e2e.StartFake(t, fakeupstream.Options{Keys: keys, AWS: aws})
	g := e2e.Start(t, e2e.Options{})
	x := &exposure{t: t, g: g}
	_, userKey := g.CreateUser(t, "tru", false)
	names := map[string]bool{}
	for _, p := range providers {
		for _, marker := range []string{"fake-cut", "fake-drop"} {
			ep := fmt.Sprintf("%s-%s", marker, p.name)
			names[ep] = true
			provider, model, cfg := p.config(fake.URL, marker)
			x.admin("POST", "/api/aigateway/v1/endpoints", map[string]any{"endpointName": ep, "endpointType": "llm/v1/chat",
				"modelProvider": provider, "modelName": model, "modelConfig": cfg,
				"endpointPermissions": map[string]any{"isEveryoneAllowed": true, "userIds": []string{}}}, http.StatusOK)
			msgs := []map[string]string{{"role": "user", "content": "one two three four"}}
			body, err := streamCapture(x, "/v1/chat/completions", userKey, map[string]any{"model": ep, "messages": msgs, "stream": true})
			if err != nil || !strings.Contains(body, "chat.completion.chunk") || !strings.Contains(body, `"error"`) || strings.Contains(body, "[DONE]") {
				t.Errorf("%s on /v1: read error %v, body %s", ep, err, body)
			}
			body, err = streamCapture(x, "/endpoints/"+ep+"/invocations", userKey, map[string]any{"messages": msgs, "stream": true})
			if err == nil || !strings.Contains(body, "chat.completion.chunk") {
				t.Errorf("%s on MLflow: read error %v (want an aborted response after the first chunk), body %s", ep, err, body)
			}
		}
	}
	outcomes := map[string][]string{}
	for _, ev := range g.ExportAudit(t, "--kind", "AccessGatewayEndpoint") {
		if names[ev.Metadata["endpointName"]] {
			outcomes[ev.Metadata["endpointName"]] = append(outcomes[ev.Metadata["endpointName"]], ev.Metadata["outcome"])
		}
	}
	for ep := range names {
		if got := outcomes[ep]; len(got) != 2 || got[0] != "upstream_error" || got[1] != "upstream_error" {
			t.Errorf("%s audited as %v, want upstream_error twice", ep, got)
		}
	}
}
