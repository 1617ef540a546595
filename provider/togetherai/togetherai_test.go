package togetherai

import (
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

func TestLegacyCompletionsEndpoint(t *testing.T) {
	c := &provider.Call{Type: gateway.TypeCompletions, Model: "meta-llama/Llama-3.3-70B-Instruct-Turbo", Config: map[string]string{KeyAPIKey: "t-key"},
		Req: &llm.Request{Type: gateway.TypeCompletions, Completion: &llm.CompletionRequest{Prompt: "Once"}}}
	req, err := Spec.Translator.Request(c)
	if err != nil || req.URL != "https://api.together.xyz/v1/completions" || req.Header.Get("Authorization") != "Bearer t-key" {
		t.Fatalf("got %+v %v", req, err)
	}
	if !strings.Contains(string(req.Body), `"prompt":"Once"`) {
		t.Fatalf("body %s", req.Body)
	}
	// Response shape from docs.together.ai/reference/completions.
	resp, err := Spec.Translator.Response(c, []byte(`{"id":"8a1c6d2b","object":"text.completion","created":1730000000,"model":"meta-llama/Llama-3.3-70B-Instruct-Turbo","prompt":[],"choices":[{"text":" upon a time","finish_reason":"length","seed":1,"logprobs":null,"index":0}],"usage":{"prompt_tokens":2,"completion_tokens":4,"total_tokens":6}}`))
	if err != nil || resp.Completion.Choices[0].Text != " upon a time" || *resp.Completion.Choices[0].FinishReason != "length" {
		t.Fatalf("got %+v %v", resp, err)
	}
}

func TestInvalidKey(t *testing.T) {
	e := Spec.Translator.Error(nil, 401, nil, []byte(`{"id":"8a1c","error":{"message":"Invalid API key provided. You can find your API key at https://api.together.xyz/settings/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`))
	if e.Code != gateway.CodeUpstream {
		t.Fatalf("got %+v", e)
	}
}
