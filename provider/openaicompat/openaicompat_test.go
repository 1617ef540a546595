package openaicompat

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/kit"
)

func ptr[T any](v T) *T { return &v }

func chatCall(stream bool) *provider.Call {
	return &provider.Call{Type: gateway.TypeChat, Model: "gpt-4o-mini", Req: &llm.Request{Type: gateway.TypeChat, Chat: &llm.ChatRequest{
		Messages: []llm.Message{
			{Role: "system", Content: llm.StringContent("You are terse.")},
			{Role: "user", Content: llm.StringContent("Hello!")},
		},
		Params: llm.Params{Temperature: ptr(0.2), Stop: []string{"\n\n"}, MaxTokens: ptr(16), Stream: stream,
			StreamOptions: &llm.StreamOptions{IncludeUsage: false}},
		Extra: map[string]json.RawMessage{"user": json.RawMessage(`"u-1"`), "model": json.RawMessage(`"ignored"`), "seed": json.RawMessage(`7`)},
	}}}
}

func decodeMap(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, b)
	}
	return m
}

func TestBody(t *testing.T) {
	body, err := Body(chatCall(false))
	if err != nil {
		t.Fatal(err)
	}
	m := decodeMap(t, body)
	if m["model"] != "gpt-4o-mini" || m["user"] != "u-1" || m["seed"] != 7.0 || m["max_tokens"] != 16.0 || m["temperature"] != 0.2 {
		t.Errorf("typed fields, Extra or model wrong: %s", body)
	}
	if _, ok := m["stream"]; ok {
		t.Errorf("non-stream body has stream fields: %s", body)
	}
	if _, ok := m["stream_options"]; ok {
		t.Errorf("non-stream body has stream_options: %s", body)
	}
	msgs := m["messages"].([]any)
	if len(msgs) != 2 || msgs[0].(map[string]any)["role"] != "system" {
		t.Errorf("messages not forwarded in order: %s", body)
	}

	body, _ = Body(chatCall(true))
	m = decodeMap(t, body)
	if m["stream"] != true || !reflect.DeepEqual(m["stream_options"], map[string]any{"include_usage": true}) {
		t.Errorf("stream body must ask for usage: %s", body)
	}

	emb := &provider.Call{Type: gateway.TypeEmbeddings, Model: "text-embedding-3-small", Req: &llm.Request{Embeddings: &llm.EmbeddingsRequest{
		Input: []string{"alpha"}, InputIsString: true, Extra: map[string]json.RawMessage{"dimensions": json.RawMessage(`256`)}}}}
	body, _ = Body(emb)
	if got := decodeMap(t, body); !reflect.DeepEqual(got, map[string]any{"model": "text-embedding-3-small", "input": []any{"alpha"}, "dimensions": 256.0}) {
		t.Errorf("embeddings body = %s", body)
	}

	if _, err := Body(&provider.Call{Type: gateway.TypeChat, Req: &llm.Request{Embeddings: emb.Req.Embeddings}}); gateway.ErrorCode(err) != gateway.CodeInvalid {
		t.Errorf("type mismatch: err = %v", err)
	}
}

// An OpenAI-wire upstream gets tools, tool_choice, tool_calls and response_format as the
// caller sent them, members llmgate does not model (strict, a future field) included.
func TestBodyForwardsToolsAsSent(t *testing.T) {
	tools := `[{"type":"function","function":{"name":"f","parameters":{"type":"object"},"strict":true,"x_new":[1]}}]`
	calls := `[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\": 1}"},"x_new":2}]`
	choice := `{"type":"function","function":{"name":"f"}}`
	format := `{"type":"json_schema","json_schema":{"name":"w","schema":{"type":"object"},"strict":true}}`
	in := `{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":null,"tool_calls":` + calls + `},{"role":"tool","tool_call_id":"c1","content":"1"}],` +
		`"tools":` + tools + `,"tool_choice":` + choice + `,"response_format":` + format + `}`
	req, derr := llm.Decode(gateway.TypeChat, []byte(in))
	if derr != nil {
		t.Fatal(derr)
	}
	body, err := Body(&provider.Call{Type: gateway.TypeChat, Model: "m", Req: req})
	if err != nil {
		t.Fatal(err)
	}
	for _, member := range []string{`"tools":` + tools, `"tool_calls":` + calls, `"tool_choice":` + choice, `"response_format":` + format} {
		if !strings.Contains(string(body), member) {
			t.Errorf("body lacks %s:\n%s", member, body)
		}
	}
}

func TestParseResponse(t *testing.T) {
	tests := []struct {
		name  string
		typ   gateway.EndpointType
		body  string
		check func(t *testing.T, r *llm.Response)
	}{
		{
			name: "chat (platform.openai.com/docs/api-reference/chat/object)",
			typ:  gateway.TypeChat,
			body: `{"id":"chatcmpl-123","object":"chat.completion","created":1677652288,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_44709d6fcb",
				"choices":[{"index":0,"message":{"role":"assistant","content":"\n\nHello there, how may I assist you today?","refusal":null},"logprobs":null,"finish_reason":"stop"}],
				"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21,"completion_tokens_details":{"reasoning_tokens":0}}}`,
			check: func(t *testing.T, r *llm.Response) {
				c := r.Chat
				if c.ID != "chatcmpl-123" || c.Model != "gpt-4o-mini-2024-07-18" || c.Object != "chat.completion" || *c.Choices[0].Message.Content != "\n\nHello there, how may I assist you today?" ||
					*c.Choices[0].FinishReason != "stop" || *c.Usage.TotalTokens != 21 {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name: "chat tool call with null content (platform.openai.com/docs/guides/function-calling)",
			typ:  gateway.TypeChat,
			body: `{"id":"chatcmpl-abc","object":"chat.completion","created":1699896916,"model":"gpt-4o",
				"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_abc123","type":"function","function":{"name":"get_current_weather","arguments":"{\"location\": \"Boston, MA\"}"}}]},"finish_reason":"tool_calls"}],
				"usage":{"prompt_tokens":82,"completion_tokens":17,"total_tokens":99}}`,
			check: func(t *testing.T, r *llm.Response) {
				c := r.Chat.Choices[0]
				if c.Message.Content != nil || !strings.Contains(string(c.Message.ToolCalls), "call_abc123") || *c.FinishReason != "tool_calls" {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name: "usage missing on a compatible server: counts stay null, model falls back to endpoint's",
			typ:  gateway.TypeChat,
			body: `{"choices":[{"index":0,"message":{"content":"héllo 世界"},"finish_reason":"length"}]}`,
			check: func(t *testing.T, r *llm.Response) {
				c := r.Chat
				if c.Usage.PromptTokens != nil || c.Usage.TotalTokens != nil || c.Model != "gpt-4o-mini" || c.Choices[0].Message.Role != "assistant" || *c.Choices[0].Message.Content != "héllo 世界" {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name: "completions (platform.openai.com/docs/api-reference/completions/object)",
			typ:  gateway.TypeCompletions,
			body: `{"id":"cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7","object":"text_completion","created":1589478378,"model":"gpt-3.5-turbo-instruct","system_fingerprint":"fp_44709d6fcb",
				"choices":[{"text":"\n\nThis is indeed a test","index":0,"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":7}}`,
			check: func(t *testing.T, r *llm.Response) {
				c := r.Completion
				if c.Choices[0].Text != "\n\nThis is indeed a test" || *c.Choices[0].FinishReason != "length" || *c.Usage.TotalTokens != 12 || c.Object != "text_completion" {
					t.Errorf("got %+v (total derived from prompt+completion)", c)
				}
			},
		},
		{
			name: "embeddings out of order (platform.openai.com/docs/api-reference/embeddings/object)",
			typ:  gateway.TypeEmbeddings,
			body: `{"object":"list","data":[{"object":"embedding","embedding":[0.5],"index":1},{"object":"embedding","embedding":[0.0023064255,-0.009327292],"index":0}],
				"model":"text-embedding-ada-002","usage":{"prompt_tokens":8,"total_tokens":8}}`,
			check: func(t *testing.T, r *llm.Response) {
				e := r.Embeddings
				if e.Data[0].Index != 0 || e.Data[0].Embedding[1] != -0.009327292 || e.Data[1].Embedding[0] != 0.5 || *e.Usage.PromptTokens != 8 {
					t.Errorf("got %+v", e)
				}
			},
		},
		{
			name: "embeddings base64 (encoding_format=base64): float32 1.0 and -2.0",
			typ:  gateway.TypeEmbeddings,
			body: `{"object":"list","data":[{"object":"embedding","embedding":"AACAPwAAAMA=","index":0}],"model":"m","usage":{"prompt_tokens":1,"total_tokens":1}}`,
			check: func(t *testing.T, r *llm.Response) {
				if !reflect.DeepEqual(r.Embeddings.Data[0].Embedding, []float64{1, -2}) {
					t.Errorf("got %v", r.Embeddings.Data[0].Embedding)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseResponse(tt.typ, "gpt-4o-mini", []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, r)
		})
	}
}

func TestParseResponseMalformed(t *testing.T) {
	for _, body := range []string{``, `<html>502 Bad Gateway</html>`, `[]`, `{"choices":"x"}`, `{"id":"x"}`, `{"data":[{"embedding":"!!"}]}`} {
		for _, typ := range gateway.EndpointTypes {
			_, err := ParseResponse(typ, "m", []byte(body))
			var ge *gateway.Error
			if err == nil || !asError(err, &ge) || ge.Code != gateway.CodeUpstream || ge.Message != "malformed upstream response" {
				t.Errorf("%s %q: err = %v, want upstream malformed", typ, body, err)
			}
		}
	}
}

func asError(err error, target **gateway.Error) bool {
	e, ok := err.(*gateway.Error)
	*target = e
	return ok
}

func TestTranslatorCompletionsViaChat(t *testing.T) {
	tr := &Translator{Provider: "mistral", CompletionsViaChat: true,
		URL: func(_ *provider.Call, path string) (string, error) {
			return kit.JoinURL("https://api.mistral.ai/v1/", path), nil
		},
		Header: func(c *provider.Call, h http.Header) error {
			h.Set("Authorization", "Bearer "+c.Config["mistral_api_key"])
			return nil
		},
	}
	c := &provider.Call{Type: gateway.TypeCompletions, Model: "mistral-small-latest", Config: map[string]string{"mistral_api_key": "k1"},
		Req: &llm.Request{Completion: &llm.CompletionRequest{Prompt: "One small step for", Params: llm.Params{MaxTokens: ptr(8)}}}}
	req, err := tr.Request(c)
	if err != nil {
		t.Fatal(err)
	}
	if req.URL != "https://api.mistral.ai/v1/chat/completions" || req.Header.Get("Authorization") != "Bearer k1" {
		t.Errorf("url=%s auth=%q", req.URL, req.Header.Get("Authorization"))
	}
	if m := decodeMap(t, req.Body); !reflect.DeepEqual(m["messages"], []any{map[string]any{"role": "user", "content": "One small step for"}}) {
		t.Errorf("body = %s", req.Body)
	}
	resp, err := tr.Response(c, []byte(`{"id":"x","created":1,"model":"mistral-small-latest","choices":[{"index":0,"message":{"role":"assistant","content":" man"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`))
	if err != nil || resp.Completion == nil || resp.Completion.Choices[0].Text != " man" || *resp.Completion.Usage.TotalTokens != 7 {
		t.Fatalf("resp=%+v err=%v", resp, err)
	}
}
