package mistral

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

func call(typ gateway.EndpointType, r *llm.Request, config map[string]string) *provider.Call {
	r.Type = typ
	return &provider.Call{Type: typ, Model: "mistral-small-latest", Config: config, Req: r}
}

func TestCompletionsGoThroughChat(t *testing.T) {
	c := call(gateway.TypeCompletions, &llm.Request{Completion: &llm.CompletionRequest{Prompt: "Bonjour", Params: llm.Params{Stop: []string{"."}, Stream: true}}}, map[string]string{KeyAPIKey: "m-key"})
	req, err := Spec.Translator.Request(c)
	if err != nil {
		t.Fatal(err)
	}
	if req.URL != "https://api.mistral.ai/v1/chat/completions" || req.Header.Get("Authorization") != "Bearer m-key" {
		t.Fatalf("got %s %q", req.URL, req.Header.Get("Authorization"))
	}
	var body map[string]any
	if err := json.Unmarshal(req.Body, &body); err != nil {
		t.Fatal(err)
	}
	msgs := body["messages"].([]any)
	if body["model"] != "mistral-small-latest" || len(msgs) != 1 || msgs[0].(map[string]any)["content"] != "Bonjour" || body["stream"] != true {
		t.Fatalf("body %s", req.Body)
	}
	// Response shape from docs.mistral.ai/api (chat completion).
	resp, err := Spec.Translator.Response(c, []byte(`{"id":"cmpl-e5cc70bb28c444948073e77776eb30ef","object":"chat.completion","created":1702256327,"model":"mistral-small-latest","choices":[{"index":0,"message":{"role":"assistant","content":"Bonjour !","tool_calls":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":4,"total_tokens":9}}`))
	if err != nil || resp.Completion == nil || resp.Completion.Choices[0].Text != "Bonjour !" || *resp.Completion.Usage.TotalTokens != 9 {
		t.Fatalf("got %+v %v", resp, err)
	}
}

func TestEmbeddingsAndBaseOverride(t *testing.T) {
	c := call(gateway.TypeEmbeddings, &llm.Request{Embeddings: &llm.EmbeddingsRequest{Input: []string{"a"}}}, map[string]string{KeyAPIKey: "k", KeyAPIBase: "http://127.0.0.1:9/v1/"})
	req, err := Spec.Translator.Request(c)
	if err != nil || req.URL != "http://127.0.0.1:9/v1/embeddings" {
		t.Fatalf("got %v %v", req, err)
	}
}

func TestErrors(t *testing.T) {
	c := call(gateway.TypeChat, &llm.Request{Chat: &llm.ChatRequest{}}, nil)
	if e := Spec.Translator.Error(c, 401, nil, []byte(`{"message":"Unauthorized","request_id":"9c1f0d"}`)); e.Code != gateway.CodeUpstream {
		t.Fatalf("invalid key: %+v", e)
	}
	if e := Spec.Translator.Error(c, 429, nil, []byte(`{"object":"error","message":"Requests rate limit exceeded","type":"rate_limited","param":null,"code":"1300"}`)); e.Code != gateway.CodeRateLimited {
		t.Fatalf("rate limit: %+v", e)
	}
	e := Spec.Translator.Error(c, 400, nil, []byte(`{"object":"error","message":"Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context length","type":"invalid_request_error","param":null,"code":null}`))
	if e.Code != gateway.CodeInvalid || !strings.Contains(e.Message, "maximum context length") || !strings.Contains(e.Message, "mistral") {
		t.Fatalf("context too long: %+v", e)
	}
}
