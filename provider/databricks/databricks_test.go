package databricks

import (
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

func TestServingEndpointURLs(t *testing.T) {
	tests := []struct {
		name   string
		config map[string]string
		url    string
		auth   string
	}{
		{"MLflow 3 keys", map[string]string{KeyHost: "https://adb-123.azuredatabricks.net/", KeyToken: "dapi1"}, "https://adb-123.azuredatabricks.net/serving-endpoints/chat/completions", "Bearer dapi1"},
		{"MLflow 2.x keys, base already with /serving-endpoints", map[string]string{KeyWorkspaceURL: "http://127.0.0.1:9/serving-endpoints", KeyAPIToken: "dapi2"}, "http://127.0.0.1:9/serving-endpoints/chat/completions", "Bearer dapi2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &provider.Call{Type: gateway.TypeChat, Model: "databricks-meta-llama-3-3-70b-instruct", Config: tc.config,
				Req: &llm.Request{Type: gateway.TypeChat, Chat: &llm.ChatRequest{Messages: []llm.Message{{Role: "user", Content: llm.StringContent("hi")}}}}}
			req, err := Spec.Translator.Request(c)
			if err != nil || req.URL != tc.url || req.Header.Get("Authorization") != tc.auth {
				t.Fatalf("got %+v %v", req, err)
			}
		})
	}
}

func TestConfigNeedsHostAndToken(t *testing.T) {
	for _, cfg := range []map[string]string{{KeyToken: "x"}, {KeyHost: "https://h"}} {
		if err := Spec.CheckConfig(cfg); gateway.ErrorCode(err) != gateway.CodeInvalid {
			t.Fatalf("%v: got %v", cfg, err)
		}
	}
	if err := Spec.CheckConfig(map[string]string{KeyWorkspaceURL: "https://h", KeyAPIToken: "t"}); err != nil {
		t.Fatal(err)
	}
	if !Spec.IsSecret(KeyToken) || !Spec.IsSecret(KeyAPIToken) || Spec.IsSecret(KeyHost) {
		t.Fatal("tokens are secrets, the host is not")
	}
	if provider.NewRegistry(Spec).Lookup("databricks_model_serving") != Spec {
		t.Fatal("MLflow 2.x name must resolve")
	}
}

func TestErrorBody(t *testing.T) {
	e := Spec.Translator.Error(nil, 400, nil, []byte(`{"error_code":"BAD_REQUEST","message":"Input is too long: 9000 tokens > 8192."}`))
	if e.Code != gateway.CodeInvalid {
		t.Fatalf("got %+v", e)
	}
}
