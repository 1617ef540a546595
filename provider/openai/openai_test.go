package openai

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

func chat(stream bool) *llm.Request {
	return &llm.Request{Type: gateway.TypeChat, Chat: &llm.ChatRequest{
		Messages: []llm.Message{{Role: "user", Content: llm.StringContent("Say hi")}},
		Params:   llm.Params{Stream: stream},
	}}
}

func TestRequestURLsAndHeaders(t *testing.T) {
	tests := []struct {
		name   string
		spec   *provider.Spec
		typ    gateway.EndpointType
		config map[string]string
		url    string
		header map[string]string
	}{
		{
			name: "openai default base (platform.openai.com/docs/api-reference/chat/create)", spec: Spec, typ: gateway.TypeChat,
			config: map[string]string{KeyAPIKey: "sk-test", KeyOrganization: "org-1"},
			url:    "https://api.openai.com/v1/chat/completions",
			header: map[string]string{"Authorization": "Bearer sk-test", "OpenAI-Organization": "org-1"},
		},
		{
			name: "openai-compatible base with trailing slash", spec: Spec, typ: gateway.TypeEmbeddings,
			config: map[string]string{KeyAPIKey: "k", KeyAPIBase: "http://vllm:8000/v1/"},
			url:    "http://vllm:8000/v1/embeddings", header: map[string]string{"Authorization": "Bearer k"},
		},
		{
			name: "azure api-key (learn.microsoft.com/azure/ai-services/openai/reference)", spec: Spec, typ: gateway.TypeCompletions,
			config: map[string]string{KeyAPIKey: "azkey", KeyAPIType: "AZURE", KeyAPIBase: "https://res.openai.azure.com", KeyAPIVersion: "2024-10-21", KeyDeployment: "my dep"},
			url:    "https://res.openai.azure.com/openai/deployments/my%20dep/completions?api-version=2024-10-21",
			header: map[string]string{"api-key": "azkey", "Authorization": ""},
		},
		{
			name: "azuread bearer token", spec: Spec, typ: gateway.TypeChat,
			config: map[string]string{KeyAPIKey: "eyJ0", KeyAPIType: "azuread", KeyAPIBase: "https://res.openai.azure.com/", KeyAPIVersion: "2024-10-21", KeyDeployment: "gpt4o"},
			url:    "https://res.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21",
			header: map[string]string{"Authorization": "Bearer eyJ0", "api-key": ""},
		},
		{
			name: "azure-openai spec defaults to type azure", spec: AzureSpec, typ: gateway.TypeChat,
			config: map[string]string{KeyAPIKey: "azkey", KeyAPIBase: "https://res.openai.azure.com", KeyAPIVersion: "2024-10-21", KeyDeployment: "d"},
			url:    "https://res.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21",
			header: map[string]string{"api-key": "azkey"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.spec.CheckConfig(tt.config); err != nil {
				t.Fatalf("CheckConfig: %v", err)
			}
			req := &llm.Request{Type: tt.typ}
			switch tt.typ {
			case gateway.TypeChat:
				req = chat(false)
			case gateway.TypeCompletions:
				req.Completion = &llm.CompletionRequest{Prompt: "p"}
			case gateway.TypeEmbeddings:
				req.Embeddings = &llm.EmbeddingsRequest{Input: []string{"a"}}
			}
			hr, err := tt.spec.Translator.Request(&provider.Call{Type: tt.typ, Model: "gpt-4o-mini", Config: tt.config, Req: req})
			if err != nil {
				t.Fatal(err)
			}
			if hr.URL != tt.url || hr.Method != http.MethodPost {
				t.Errorf("URL = %s, want %s", hr.URL, tt.url)
			}
			for k, v := range tt.header {
				if got := hr.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	bad := []map[string]string{
		{KeyAPIKey: "k", KeyAPIType: "azure", KeyAPIBase: "https://x", KeyAPIVersion: "v"},
		{KeyAPIKey: "k", KeyAPIType: "azuread", KeyAPIBase: "https://x", KeyAPIVersion: "v", KeyDeployment: "d", KeyOrganization: "o"},
		{KeyAPIKey: "k", KeyDeployment: "d"},
		{KeyAPIKey: "k", KeyAPIType: "bogus"},
		{},
	}
	for _, cfg := range bad {
		if err := Spec.CheckConfig(cfg); gateway.ErrorCode(err) != gateway.CodeInvalid {
			t.Errorf("CheckConfig(%v) = %v, want invalid", cfg, err)
		} else if strings.Contains(err.Error(), "k\"") {
			t.Errorf("error leaks a value: %v", err)
		}
	}
}

// TestAgainstFake sends the translator's requests to the fake OpenAI and Azure servers and
// translates the answers back, for all three API types and a stream.
func TestAgainstFake(t *testing.T) {
	ts := httptest.NewServer(fakeupstream.New(fakeupstream.Options{Keys: map[string][]string{"openai": {"sk-good"}, "azure": {"az-good"}}}))
	defer ts.Close()
	configs := map[string]map[string]string{
		"openai":  {KeyAPIKey: "sk-good", KeyAPIBase: ts.URL + "/v1"},
		"azure":   {KeyAPIKey: "az-good", KeyAPIType: "azure", KeyAPIBase: ts.URL, KeyAPIVersion: "2024-10-21", KeyDeployment: "dep"},
		"azuread": {KeyAPIKey: "az-good", KeyAPIType: "azuread", KeyAPIBase: ts.URL, KeyAPIVersion: "2024-10-21", KeyDeployment: "dep"},
	}
	for name, cfg := range configs {
		t.Run(name, func(t *testing.T) {
			c := &provider.Call{Type: gateway.TypeChat, Model: "gpt-4o-mini", Config: cfg, Req: chat(false)}
			status, body := send(t, c)
			if status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			resp, err := Spec.Translator.Response(c, body)
			if err != nil || *resp.Chat.Choices[0].Message.Content != "echo: Say hi" {
				t.Fatalf("resp %+v err %v", resp, err)
			}
		})
	}
	t.Run("wrong key maps to credentials error", func(t *testing.T) {
		cfg := map[string]string{KeyAPIKey: "sk-bad", KeyAPIBase: ts.URL + "/v1"}
		c := &provider.Call{Type: gateway.TypeChat, Model: "m", Config: cfg, Req: chat(false)}
		status, body := send(t, c)
		if e := Spec.Translator.Error(c, status, nil, body); e.Code != gateway.CodeUpstream || strings.Contains(e.Message, "sk-bad") {
			t.Fatalf("status %d error %+v", status, e)
		}
	})
	t.Run("stream", func(t *testing.T) {
		c := &provider.Call{Type: gateway.TypeChat, Model: "m", Config: configs["openai"], Req: chat(true)}
		status, body := send(t, c)
		dec := Spec.Translator.Stream(c)
		chunks, err := dec.Feed(body)
		if _, endErr := dec.End(); status != 200 || err != nil || endErr != nil {
			t.Fatalf("status %d err %v end %v", status, err, endErr)
		}
		if last := chunks[len(chunks)-1]; last.Usage == nil || *last.Usage.CompletionTokens != 3 {
			t.Errorf("stream must end with usage (asked via stream_options): %+v", last)
		}
	})
}

func send(t *testing.T, c *provider.Call) (int, []byte) {
	t.Helper()
	hr, err := Spec.Translator.Request(c)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(context.Background(), hr.Method, hr.URL, strings.NewReader(string(hr.Body)))
	req.Header = hr.Header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var probe any
	if resp.StatusCode == 200 && !c.Req.Stream() && json.Unmarshal(body, &probe) != nil {
		t.Fatalf("fake answered non-JSON: %s", body)
	}
	return resp.StatusCode, body
}
