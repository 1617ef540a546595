package vertexai

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

func call(typ gateway.EndpointType, config map[string]string, r *llm.Request) *provider.Call {
	r.Type = typ
	return &provider.Call{Type: typ, Model: "gemini-2.0-flash", Config: config, Req: r}
}

func TestURLsFollowVertexLocations(t *testing.T) {
	chat := &llm.Request{Chat: &llm.ChatRequest{Messages: []llm.Message{{Role: "user", Content: llm.StringContent("hi")}}}}
	stream := &llm.Request{Chat: &llm.ChatRequest{Messages: chat.Chat.Messages, Params: llm.Params{Stream: true}}}
	tests := []struct {
		name   string
		config map[string]string
		req    *llm.Request
		want   string
	}{
		{"regional (cloud.google.com/vertex-ai/generative-ai/docs/reference/rest)", map[string]string{KeyProject: "p1", KeyLocation: "us-central1"}, chat,
			"https://us-central1-aiplatform.googleapis.com/v1/projects/p1/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent"},
		{"global endpoint uses the un-prefixed host", map[string]string{KeyProject: "p1", KeyLocation: "global"}, chat,
			"https://aiplatform.googleapis.com/v1/projects/p1/locations/global/publishers/google/models/gemini-2.0-flash:generateContent"},
		{"no location", map[string]string{KeyProject: "p1"}, chat,
			"https://aiplatform.googleapis.com/v1/projects/p1/publishers/google/models/gemini-2.0-flash:generateContent"},
		{"stream with SSE, base overridden for tests", map[string]string{KeyProject: "p1", KeyLocation: "europe-west4", KeyAPIBase: "http://127.0.0.1:9/"}, stream,
			"http://127.0.0.1:9/v1/projects/p1/locations/europe-west4/publishers/google/models/gemini-2.0-flash:streamGenerateContent?alt=sse"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := Spec.Translator.Request(call(gateway.TypeChat, tc.config, tc.req))
			if err != nil {
				t.Fatal(err)
			}
			if req.URL != tc.want {
				t.Fatalf("URL = %s\nwant %s", req.URL, tc.want)
			}
			if req.Sign == nil || req.Sign.Google == nil {
				t.Fatalf("Vertex requests must be signed with Google OAuth, got %+v", req.Sign)
			}
			if req.Header.Get("x-goog-api-key") != "" || req.Header.Get("Authorization") != "" {
				t.Fatal("the translator must leave authentication to transport")
			}
			if !strings.Contains(string(req.Body), `"contents":[{"role":"user","parts":[{"text":"hi"}]}]`) {
				t.Fatalf("not a Gemini body: %s", req.Body)
			}
		})
	}
}

func TestEmbeddingsUsePredict(t *testing.T) {
	c := call(gateway.TypeEmbeddings, map[string]string{KeyProject: "p1", KeyLocation: "us-central1"},
		&llm.Request{Embeddings: &llm.EmbeddingsRequest{Input: []string{"alpha", "beta"}, Extra: map[string]json.RawMessage{"task_type": json.RawMessage(`"RETRIEVAL_QUERY"`)}}})
	c.Model = "text-embedding-005"
	req, err := Spec.Translator.Request(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(req.URL, "/publishers/google/models/text-embedding-005:predict") {
		t.Fatalf("URL = %s", req.URL)
	}
	var body map[string]any
	if err := json.Unmarshal(req.Body, &body); err != nil {
		t.Fatal(err)
	}
	inst := body["instances"].([]any)
	if len(inst) != 2 || inst[1].(map[string]any)["content"] != "beta" || inst[0].(map[string]any)["task_type"] != "RETRIEVAL_QUERY" {
		t.Fatalf("instances = %v", inst)
	}
	// Response shape from the Vertex text-embeddings API reference.
	resp, err := Spec.Translator.Response(c, []byte(`{"predictions":[
		{"embeddings":{"statistics":{"truncated":false,"token_count":1},"values":[0.1,-0.2]}},
		{"embeddings":{"statistics":{"truncated":false,"token_count":2},"values":[0.3,0.4]}}],"metadata":{"billableCharacterCount":9}}`))
	if err != nil {
		t.Fatal(err)
	}
	e := resp.Embeddings
	if len(e.Data) != 2 || e.Data[1].Embedding[1] != 0.4 || e.Usage.PromptTokens == nil || *e.Usage.PromptTokens != 3 {
		t.Fatalf("unexpected %+v", e)
	}
}

func TestSpec(t *testing.T) {
	if !Spec.IsSecret(KeyCredentials) || Spec.IsSecret(KeyProject) {
		t.Fatal("vertex_credentials is the secret, vertex_project is not")
	}
	if err := Spec.CheckConfig(map[string]string{KeyLocation: "us-central1"}); gateway.ErrorCode(err) != gateway.CodeInvalid {
		t.Fatalf("missing project must be rejected, got %v", err)
	}
	reg := provider.NewRegistry(Spec)
	if reg.Lookup("vertex-ai") != Spec || reg.Lookup("VertexAI") != Spec {
		t.Fatal("MLflow's vertex_ai spelling and vertexai must both resolve")
	}
}

func TestErrorsNameVertex(t *testing.T) {
	e := Spec.Translator.Error(call(gateway.TypeChat, nil, &llm.Request{}), 401,
		nil, []byte(`{"error":{"code":401,"message":"Request had invalid authentication credentials. Expected OAuth 2 access token.","status":"UNAUTHENTICATED"}}`))
	if e.Code != gateway.CodeUpstream || !strings.Contains(e.Message, `"vertex_ai"`) {
		t.Fatalf("got %+v", e)
	}
}
