package mlflowserving

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

func ptr[T any](v T) *T { return &v }

func call(typ gateway.EndpointType, r *llm.Request) *provider.Call {
	r.Type = typ
	return &provider.Call{Type: typ, Model: "my-model", Config: map[string]string{KeyServerURL: "http://127.0.0.1:5001/"}, Req: r}
}

func assertJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("body mismatch\n got: %s\nwant: %s", got, want)
	}
}

// Request shapes follow the examples in mlflow/gateway/providers/mlflow.py.
func TestRequests(t *testing.T) {
	tests := []struct {
		name string
		call *provider.Call
		body string
	}{
		{"completions: prompt in inputs, parameters and extras in params",
			call(gateway.TypeCompletions, &llm.Request{Completion: &llm.CompletionRequest{Prompt: "hi", Params: llm.Params{Temperature: ptr(0.5), MaxTokens: ptr(10), Stop: []string{"."}}, Extra: map[string]json.RawMessage{"top_k": json.RawMessage(`3`)}}}),
			`{"inputs":["hi"],"params":{"temperature":0.5,"max_tokens":10,"stop":["."],"top_k":3}}`},
		{"chat: the single message's content, unicode kept",
			call(gateway.TypeChat, &llm.Request{Chat: &llm.ChatRequest{Messages: []llm.Message{{Role: "user", Content: llm.StringContent("Qu'est-ce que MLflow? ✨")}}}}),
			`{"inputs":["Qu'est-ce que MLflow? ✨"]}`},
		{"embeddings: the input list",
			call(gateway.TypeEmbeddings, &llm.Request{Embeddings: &llm.EmbeddingsRequest{Input: []string{"a sentence", "another sentence"}}}),
			`{"inputs":["a sentence","another sentence"]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := Spec.Translator.Request(tc.call)
			if err != nil {
				t.Fatal(err)
			}
			if req.URL != "http://127.0.0.1:5001/invocations" || req.Method != "POST" {
				t.Fatalf("got %s %s", req.Method, req.URL)
			}
			assertJSON(t, req.Body, tc.body)
		})
	}
}

func TestRequestRejections(t *testing.T) {
	two := []llm.Message{{Role: "system", Content: llm.StringContent("be brief")}, {Role: "user", Content: llm.StringContent("hi")}}
	for name, c := range map[string]*provider.Call{
		"multi-turn chat (MLflow: only a single query at a time)": call(gateway.TypeChat, &llm.Request{Chat: &llm.ChatRequest{Messages: two}}),
		"stream": call(gateway.TypeChat, &llm.Request{Chat: &llm.ChatRequest{Messages: two[1:], Params: llm.Params{Stream: true}}}),
	} {
		_, err := Spec.Translator.Request(c)
		if gateway.ErrorCode(err) != gateway.CodeInvalid || !strings.Contains(gateway.ErrorMessage(err), `"mlflow-model-serving"`) {
			t.Fatalf("%s: got %v", name, err)
		}
	}
	if Spec.CanStream(gateway.TypeChat) || Spec.CanStream(gateway.TypeCompletions) {
		t.Fatal("the scoring server does not stream")
	}
}

func TestTextResponses(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"list of strings", `{"predictions":["hello","hi","goodbye"]}`, []string{"hello", "hi", "goodbye"}},
		{"dict with choices", `{"predictions":{"choices":["answer"],"meta":1}}`, []string{"answer"}},
		{"dict with a single key", `{"predictions":{"candidates":["日本"]}}`, []string{"日本"}},
		{"empty string answer", `{"predictions":[""]}`, []string{""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := Spec.Translator.Response(call(gateway.TypeChat, &llm.Request{Chat: &llm.ChatRequest{}}), []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Chat.Choices) != len(tc.want) || resp.Chat.Usage.PromptTokens != nil {
				t.Fatalf("got %+v", resp.Chat)
			}
			for i, w := range tc.want {
				ch := resp.Chat.Choices[i]
				if ch.Index != i || *ch.Message.Content != w || ch.FinishReason != nil {
					t.Fatalf("choice %d = %+v", i, ch)
				}
			}
			comp, err := Spec.Translator.Response(call(gateway.TypeCompletions, &llm.Request{Completion: &llm.CompletionRequest{}}), []byte(tc.body))
			if err != nil || comp.Completion.Choices[0].Text != tc.want[0] || comp.Completion.Object != "text_completion" {
				t.Fatalf("completion %+v %v", comp, err)
			}
		})
	}
}

func TestEmbeddingsResponses(t *testing.T) {
	c := call(gateway.TypeEmbeddings, &llm.Request{Embeddings: &llm.EmbeddingsRequest{Input: []string{"a", "b"}}})
	resp, err := Spec.Translator.Response(c, []byte(`{"predictions":[[0.1,-0.234,0.002],[0.222,-0.111,0.134]]}`))
	if err != nil || len(resp.Embeddings.Data) != 2 || resp.Embeddings.Data[1].Embedding[0] != 0.222 {
		t.Fatalf("got %+v %v", resp, err)
	}
	resp, err = Spec.Translator.Response(c, []byte(`{"predictions":[0.5,0.25]}`))
	if err != nil || len(resp.Embeddings.Data) != 1 || resp.Embeddings.Data[0].Embedding[1] != 0.25 {
		t.Fatalf("flat vector: %+v %v", resp, err)
	}
}

func TestMalformedResponses(t *testing.T) {
	for _, body := range []string{`{}`, `{"predictions":[]}`, `{"predictions":{"a":["x"],"b":["y"]}}`, `{"predictions":[1,2]}`, `nope`} {
		if _, err := Spec.Translator.Response(call(gateway.TypeChat, &llm.Request{Chat: &llm.ChatRequest{}}), []byte(body)); gateway.ErrorCode(err) != gateway.CodeUpstream {
			t.Fatalf("%s: got %v", body, err)
		}
	}
	for _, body := range []string{`{"predictions":[[]]}`, `{"predictions":["x"]}`} {
		if _, err := Spec.Translator.Response(call(gateway.TypeEmbeddings, &llm.Request{Embeddings: &llm.EmbeddingsRequest{}}), []byte(body)); gateway.ErrorCode(err) != gateway.CodeUpstream {
			t.Fatalf("%s: got %v", body, err)
		}
	}
}

func TestErrors(t *testing.T) {
	e := Spec.Translator.Error(nil, 400, nil, []byte(`{"error_code": "BAD_REQUEST", "message": "Failed to parse input. Expected 'inputs' to be a list."}`))
	if e.Code != gateway.CodeInvalid || !strings.Contains(e.Message, "Failed to parse input") {
		t.Fatalf("got %+v", e)
	}
	e = Spec.Translator.Error(nil, 503, nil, []byte(`upstream connect error`))
	if e.Code != gateway.CodeUpstream {
		t.Fatalf("got %+v", e)
	}
	e = Spec.Translator.Error(nil, 429, nil, nil)
	if e.Code != gateway.CodeRateLimited {
		t.Fatalf("got %+v", e)
	}
}
