package litellm

import (
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

func TestModelQualifiedByProvider(t *testing.T) {
	tests := []struct {
		config      map[string]string
		model, want string
		url, auth   string
	}{
		{map[string]string{KeyProvider: "anthropic", KeyAPIKey: "sk-proxy", KeyAPIBase: "http://proxy:4000/"}, "claude-3-5-haiku", `"model":"anthropic/claude-3-5-haiku"`, "http://proxy:4000/chat/completions", "Bearer sk-proxy"},
		{map[string]string{KeyProvider: "anthropic"}, "anthropic/claude-3-5-haiku", `"model":"anthropic/claude-3-5-haiku"`, DefaultBaseURL + "/chat/completions", ""},
		{map[string]string{}, "gpt-4o-mini", `"model":"gpt-4o-mini"`, DefaultBaseURL + "/chat/completions", ""},
	}
	for _, tc := range tests {
		c := &provider.Call{Type: gateway.TypeChat, Model: tc.model, Config: tc.config,
			Req: &llm.Request{Type: gateway.TypeChat, Chat: &llm.ChatRequest{Messages: []llm.Message{{Role: "user", Content: llm.StringContent("hi")}}}}}
		req, err := Spec.Translator.Request(c)
		if err != nil || !strings.Contains(string(req.Body), tc.want) || req.URL != tc.url || req.Header.Get("Authorization") != tc.auth {
			t.Fatalf("%v: got %+v %v", tc.config, req, err)
		}
		if c.Model != tc.model {
			t.Fatal("the caller's Call must not be modified")
		}
	}
}

func TestDelegates(t *testing.T) {
	c := &provider.Call{Type: gateway.TypeChat, Model: "m", Req: &llm.Request{Type: gateway.TypeChat, Chat: &llm.ChatRequest{}}}
	resp, err := Spec.Translator.Response(c, []byte(`{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`))
	if err != nil || *resp.Chat.Choices[0].Message.Content != "ok" {
		t.Fatalf("got %+v %v", resp, err)
	}
	if e := Spec.Translator.Error(c, 429, nil, []byte(`{"error":{"message":"Rate limit exceeded","type":"None","param":"None","code":"429"}}`)); e.Code != gateway.CodeRateLimited {
		t.Fatalf("got %+v", e)
	}
	chunks, err := Spec.Translator.Stream(c).Feed([]byte("data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hé\"}}]}\n\n"))
	if err != nil || len(chunks) != 1 || chunks[0].Choices[0].Content != "hé" {
		t.Fatalf("got %+v %v", chunks, err)
	}
}
