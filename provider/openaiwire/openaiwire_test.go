package openaiwire

import (
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

func call(config map[string]string) *provider.Call {
	return &provider.Call{Type: gateway.TypeChat, Model: "m", Config: config,
		Req: &llm.Request{Type: gateway.TypeChat, Chat: &llm.ChatRequest{Messages: []llm.Message{{Role: "user", Content: llm.StringContent("hi")}}}}}
}

func TestRequests(t *testing.T) {
	tests := []struct {
		spec      *provider.Spec
		config    map[string]string
		url, auth string
	}{
		{Groq, map[string]string{KeyAPIKey: "gk"}, "https://api.groq.com/openai/v1/chat/completions", "Bearer gk"},
		{DeepSeek, map[string]string{KeyAPIKey: "dk"}, "https://api.deepseek.com/v1/chat/completions", "Bearer dk"},
		{XAI, map[string]string{KeyAPIKey: "xk"}, "https://api.x.ai/v1/chat/completions", "Bearer xk"},
		{OpenRouter, map[string]string{KeyAPIKey: "ok", KeyAPIBase: "https://proxy.example/v1/"}, "https://proxy.example/v1/chat/completions", "Bearer ok"},
		{Ollama, map[string]string{}, "http://localhost:11434/v1/chat/completions", ""},
		{Ollama, map[string]string{KeyAPIKey: "ollama"}, "http://localhost:11434/v1/chat/completions", ""},
		{Ollama, map[string]string{KeyAPIKey: "real"}, "http://localhost:11434/v1/chat/completions", "Bearer real"},
	}
	for _, tt := range tests {
		hr, err := tt.spec.Translator.Request(call(tt.config))
		if err != nil || hr.URL != tt.url || hr.Header.Get("Authorization") != tt.auth {
			t.Errorf("%s %v: %v %s %q", tt.spec.Name, tt.config, err, hr.URL, hr.Header.Get("Authorization"))
		}
	}
	if err := Groq.CheckConfig(map[string]string{}); gateway.ErrorCode(err) != gateway.CodeInvalid {
		t.Errorf("groq without api_key: %v", err)
	}
	if err := Ollama.CheckConfig(map[string]string{}); err != nil {
		t.Errorf("ollama needs no key: %v", err)
	}
	if !provider.IsLocationKey(KeyAPIBase) || !Groq.IsSecret(KeyAPIKey) {
		t.Error("api_base must be a location key and api_key a secret")
	}
}
