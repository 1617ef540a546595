package ai21labs

import (
	"encoding/json"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

// Provider wins: AI21 retired J2 "complete"; completions now go to chat completions.
func TestProviderWinsCompletionsViaJambaChat(t *testing.T) {
	c := &provider.Call{Type: gateway.TypeCompletions, Model: "jamba-mini", Config: map[string]string{KeyAPIKey: "a-key"},
		Req: &llm.Request{Type: gateway.TypeCompletions, Completion: &llm.CompletionRequest{Prompt: "Name a color."}}}
	req, err := Spec.Translator.Request(c)
	if err != nil || req.URL != "https://api.ai21.com/studio/v1/chat/completions" || req.Header.Get("Authorization") != "Bearer a-key" {
		t.Fatalf("got %+v %v", req, err)
	}
	var body struct {
		Model    string        `json:"model"`
		Messages []llm.Message `json:"messages"`
	}
	if err := json.Unmarshal(req.Body, &body); err != nil || body.Model != "jamba-mini" || len(body.Messages) != 1 || body.Messages[0].Role != "user" {
		t.Fatalf("body %s", req.Body)
	}
	// Response shape from docs.ai21.com/reference/jamba-1-6-api-ref.
	resp, err := Spec.Translator.Response(c, []byte(`{"id":"chatcmpl-8zLI0ZfG","choices":[{"index":0,"message":{"role":"assistant","content":"Blue.","tool_calls":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":14,"completion_tokens":3,"total_tokens":17},"meta":{"requestDurationMillis":120},"model":"jamba-mini"}`))
	if err != nil || resp.Completion.Choices[0].Text != "Blue." {
		t.Fatalf("got %+v %v", resp, err)
	}
	if Spec.Supports(gateway.TypeEmbeddings) {
		t.Fatal("AI21 serves no embeddings endpoint type")
	}
}

func TestForbidden(t *testing.T) {
	if e := Spec.Translator.Error(nil, 401, nil, []byte(`{"detail":"Forbidden: Bad or missing API token."}`)); e.Code != gateway.CodeUpstream {
		t.Fatalf("got %+v", e)
	}
}
