package cohere

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/providertest"
)

var testConfig = map[string]string{KeyAPIKey: "co-test-key", KeyAPIBase: "http://fake.local/"}

func ptr[T any](v T) *T { return &v }

func msg(role, text string) llm.Message {
	return llm.Message{Role: role, Content: llm.StringContent(text)}
}

func call(typ gateway.EndpointType, r *llm.Request) *provider.Call {
	r.Type = typ
	return &provider.Call{Type: typ, Model: "command-a-03-2025", Config: testConfig, Req: r}
}

func chat(r *llm.ChatRequest) *provider.Call { return call(gateway.TypeChat, &llm.Request{Chat: r}) }

func assertJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want is not JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("body mismatch\n got: %s\nwant: %s", got, want)
	}
}

func TestRequests(t *testing.T) {
	tests := []struct {
		name, url, body string
		call            *provider.Call
	}{
		{
			name: "system + multi-turn with stop list and renamed top_p/top_k (docs.cohere.com/reference/chat)",
			call: chat(&llm.ChatRequest{
				Messages: []llm.Message{msg("system", "You are a pirate."), msg("user", "Hi"), msg("assistant", "Arr!"), msg("user", "Où est le trésor? 🏴‍☠️")},
				Params:   llm.Params{Temperature: ptr(0.3), TopP: ptr(0.75), MaxTokens: ptr(100), Stop: []string{"\n", "Captain:"}},
				Extra:    map[string]json.RawMessage{"top_k": json.RawMessage(`20`), "user": json.RawMessage(`"u"`), "safety_mode": json.RawMessage(`"STRICT"`)},
			}),
			url: "http://fake.local/v2/chat",
			body: `{"model":"command-a-03-2025","stream":false,"temperature":0.3,"p":0.75,"k":20,"max_tokens":100,"stop_sequences":["\n","Captain:"],"safety_mode":"STRICT",
				"messages":[{"role":"system","content":"You are a pirate."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Arr!"},{"role":"user","content":"Où est le trésor? 🏴‍☠️"}]}`,
		},
		{
			name: "tool calls and tool results pass through (v2 messages are OpenAI-shaped)",
			call: chat(&llm.ChatRequest{
				Messages: []llm.Message{
					msg("user", "Weather in Paris?"),
					{Role: "assistant", Content: json.RawMessage(`null`), ToolCalls: providertest.Calls(t, `[{"id":"get_weather_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]`)},
					{Role: "tool", ToolCallID: "get_weather_1", Content: llm.StringContent(`{"temp":21}`)},
				},
				Tools:  providertest.Tools(t, `[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]`),
				Params: llm.Params{Stream: true},
			}),
			url: "http://fake.local/v2/chat",
			body: `{"model":"command-a-03-2025","stream":true,
				"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],
				"messages":[{"role":"user","content":"Weather in Paris?"},
					{"role":"assistant","tool_calls":[{"id":"get_weather_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
					{"role":"tool","tool_call_id":"get_weather_1","content":"{\"temp\":21}"}]}`,
		},
		{
			name: "completions are one user message",
			call: call(gateway.TypeCompletions, &llm.Request{Completion: &llm.CompletionRequest{Prompt: "One small step for", Params: llm.Params{MaxTokens: ptr(8)}}}),
			url:  "http://fake.local/v2/chat",
			body: `{"model":"command-a-03-2025","stream":false,"max_tokens":8,"messages":[{"role":"user","content":"One small step for"}]}`,
		},
		{
			name: "embed defaults input_type to search_document and asks for float vectors (docs.cohere.com/reference/embed)",
			call: call(gateway.TypeEmbeddings, &llm.Request{Embeddings: &llm.EmbeddingsRequest{Input: []string{"hello", "goodbye"}}}),
			url:  "http://fake.local/v2/embed",
			body: `{"model":"command-a-03-2025","texts":["hello","goodbye"],"input_type":"search_document","embedding_types":["float"]}`,
		},
		{
			name: "embed input_type, truncate and dimensions come from extras",
			call: call(gateway.TypeEmbeddings, &llm.Request{Embeddings: &llm.EmbeddingsRequest{Input: []string{"q"}, Extra: map[string]json.RawMessage{"input_type": json.RawMessage(`"search_query"`), "truncate": json.RawMessage(`"END"`), "dimensions": json.RawMessage(`256`)}}}),
			url:  "http://fake.local/v2/embed",
			body: `{"model":"command-a-03-2025","texts":["q"],"input_type":"search_query","truncate":"END","output_dimension":256,"embedding_types":["float"]}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := Spec.Translator.Request(tc.call)
			if err != nil {
				t.Fatal(err)
			}
			if req.URL != tc.url || req.Header.Get("Authorization") != "Bearer co-test-key" {
				t.Fatalf("got %s auth=%q", req.URL, req.Header.Get("Authorization"))
			}
			assertJSON(t, req.Body, tc.body)
		})
	}
}

func TestDefaultBase(t *testing.T) {
	c := chat(&llm.ChatRequest{Messages: []llm.Message{msg("user", "hi")}})
	c.Config = map[string]string{KeyAPIKey: "k"}
	req, err := Spec.Translator.Request(c)
	if err != nil || req.URL != "https://api.cohere.com/v2/chat" {
		t.Fatalf("got %v %v", req, err)
	}
}

// Cohere v2 knows tool_choice REQUIRED and NONE only, auto being its default; response_format
// goes as the caller sent it.
func TestToolChoiceAndResponseFormat(t *testing.T) {
	format := `{"type":"json_object"}`
	for choice, want := range map[string]string{`"auto"`: ``, `"required"`: `,"tool_choice":"REQUIRED"`, `"none"`: `,"tool_choice":"NONE"`} {
		var rf llm.ResponseFormat
		if err := json.Unmarshal([]byte(format), &rf); err != nil {
			t.Fatal(err)
		}
		req, err := Spec.Translator.Request(chat(&llm.ChatRequest{Messages: []llm.Message{msg("user", "hi")},
			ToolChoice: providertest.Choice(t, choice), Params: llm.Params{ResponseFormat: &rf}}))
		if err != nil {
			t.Fatal(err)
		}
		assertJSON(t, req.Body, `{"model":"command-a-03-2025","stream":false,"messages":[{"role":"user","content":"hi"}],"response_format":`+format+want+`}`)
	}
}

func TestRejections(t *testing.T) {
	for name, r := range map[string]*llm.ChatRequest{
		"n > 1":        {Messages: []llm.Message{msg("user", "hi")}, Params: llm.Params{N: ptr(2)}},
		"unknown role": {Messages: []llm.Message{msg("narrator", "hi")}},
		"named tool":   {Messages: []llm.Message{msg("user", "hi")}, ToolChoice: &llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: "f"}},
	} {
		_, err := Spec.Translator.Request(chat(r))
		if gateway.ErrorCode(err) != gateway.CodeInvalid || !strings.Contains(gateway.ErrorMessage(err), `"cohere"`) {
			t.Fatalf("%s: want 400 naming cohere, got %v", name, err)
		}
	}
}

func TestChatResponses(t *testing.T) {
	tests := []struct {
		name, body, text, finish string
		usage                    []int64
		toolCalls                bool
	}{
		{
			name: "complete, tokens preferred over billed_units (docs.cohere.com/reference/chat response)",
			body: `{"id":"c14c80c3-18eb-4519-9460-6c92edd8cfb4","finish_reason":"COMPLETE","message":{"role":"assistant","content":[{"type":"text","text":"LLMs stand for Large Language Models."}]},"usage":{"billed_units":{"input_tokens":5,"output_tokens":8},"tokens":{"input_tokens":71,"output_tokens":8}}}`,
			text: "LLMs stand for Large Language Models.", finish: "stop", usage: []int64{71, 8, 79},
		},
		{
			name: "max tokens, thinking part skipped, unicode",
			body: `{"id":"x","finish_reason":"MAX_TOKENS","message":{"role":"assistant","content":[{"type":"thinking","thinking":"hmm"},{"type":"text","text":"Ça va très "}]},"usage":{"billed_units":{"input_tokens":3,"output_tokens":4}}}`,
			text: "Ça va très ", finish: "length", usage: []int64{3, 4, 7},
		},
		{
			name: "stop sequence hit, usage missing, empty content",
			body: `{"id":"y","finish_reason":"STOP_SEQUENCE","message":{"role":"assistant","content":[]}}`,
			text: "", finish: "stop",
		},
		{
			name:   "tool call",
			body:   `{"id":"z","finish_reason":"TOOL_CALL","message":{"role":"assistant","tool_plan":"I will look up the weather.","tool_calls":[{"id":"get_weather_abc","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"usage":{"tokens":{"input_tokens":30,"output_tokens":12}}}`,
			finish: "tool_calls", usage: []int64{30, 12, 42}, toolCalls: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := Spec.Translator.Response(chat(&llm.ChatRequest{}), []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			ch := resp.Chat.Choices[0]
			if tc.toolCalls {
				if ch.Message.Content != nil || !strings.Contains(string(ch.Message.ToolCalls), `"get_weather"`) {
					t.Fatalf("tool call not passed through: %+v", ch.Message)
				}
			} else if *ch.Message.Content != tc.text {
				t.Fatalf("text = %q", *ch.Message.Content)
			}
			if *ch.FinishReason != tc.finish || resp.Chat.Object != "chat.completion" || len(resp.Chat.Choices) != 1 {
				t.Fatalf("finish = %s", *ch.FinishReason)
			}
			assertUsage(t, resp.Chat.Usage, tc.usage)
		})
	}
}

func assertUsage(t *testing.T, u llm.Usage, want []int64) {
	t.Helper()
	if want == nil {
		if u.PromptTokens != nil || u.CompletionTokens != nil || u.TotalTokens != nil {
			t.Fatalf("want null usage, got %+v", u)
		}
		return
	}
	if u.PromptTokens == nil || *u.PromptTokens != want[0] || *u.CompletionTokens != want[1] || *u.TotalTokens != want[2] {
		t.Fatalf("usage = %+v, want %v", u, want)
	}
}

func TestCompletionAndEmbeddingResponses(t *testing.T) {
	resp, err := Spec.Translator.Response(call(gateway.TypeCompletions, &llm.Request{Completion: &llm.CompletionRequest{}}),
		[]byte(`{"id":"a","finish_reason":"COMPLETE","message":{"role":"assistant","content":[{"type":"text","text":" man"}]},"usage":{"tokens":{"input_tokens":5,"output_tokens":2}}}`))
	if err != nil || resp.Completion.Choices[0].Text != " man" || resp.Completion.Object != "text_completion" {
		t.Fatalf("completion: %+v %v", resp, err)
	}
	ec := call(gateway.TypeEmbeddings, &llm.Request{Embeddings: &llm.EmbeddingsRequest{Input: []string{"hello", "goodbye"}}})
	resp, err = Spec.Translator.Response(ec, []byte(`{"id":"da6e531f","embeddings":{"float":[[0.016296387,-0.008354187],[-0.0112,0.0423]]},"texts":["hello","goodbye"],"meta":{"api_version":{"version":"2"},"billed_units":{"input_tokens":2}},"response_type":"embeddings_by_type"}`))
	if err != nil {
		t.Fatal(err)
	}
	e := resp.Embeddings
	if len(e.Data) != 2 || e.Data[1].Embedding[1] != 0.0423 || *e.Usage.PromptTokens != 2 {
		t.Fatalf("embeddings: %+v", e)
	}
	if _, err := Spec.Translator.Response(ec, []byte(`{"embeddings":{"int8":[[1]]}}`)); gateway.ErrorCode(err) != gateway.CodeUpstream {
		t.Fatalf("missing float vectors must be an upstream error, got %v", err)
	}
	if _, err := Spec.Translator.Response(chat(&llm.ChatRequest{}), []byte(`not json`)); gateway.ErrorCode(err) != gateway.CodeUpstream {
		t.Fatalf("garbage must be an upstream error, got %v", err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		header   http.Header
		body     string
		code     gateway.Code
		contains string
		retry    time.Duration
	}{
		{"invalid key (401)", 401, nil, `{"id":"e1","message":"invalid api token"}`, gateway.CodeUpstream, "credentials", 0},
		{"provider wins: Cohere's own 498 invalid token also means our credentials", 498, nil, `{"message":"invalid api token"}`, gateway.CodeUpstream, "credentials", 0},
		{"trial key rate limit with Retry-After", 429, http.Header{"Retry-After": {"60"}}, `{"id":"e2","message":"You are using a Trial key, which is limited to 20 API calls / minute. You can continue to use the Trial key for free or upgrade to a Production key with higher rate limits at 'https://dashboard.cohere.com/api-keys'."}`, gateway.CodeRateLimited, "rate limit", time.Minute},
		{"overloaded", 503, nil, `{"id":"e3","message":"service unavailable, please try again later"}`, gateway.CodeUpstream, "unavailable", 0},
		{"context too long", 400, nil, `{"id":"e4","message":"too many tokens: total number of tokens in the prompt cannot exceed 128000 - received 131012. Try using a shorter prompt, or enabling prompt truncating."}`, gateway.CodeInvalid, "too many tokens", 0},
		{"model not found", 404, nil, `{"id":"e5","message":"model 'command-z' not found, make sure the correct model ID was used and that you have access to the model."}`, gateway.CodeInvalid, "not found", 0},
		{"gateway timeout HTML", 504, nil, `<html>504</html>`, gateway.CodeUpstream, "HTTP 504", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := Spec.Translator.Error(chat(&llm.ChatRequest{}), tc.status, tc.header, []byte(tc.body))
			if e.Code != tc.code || !strings.Contains(e.Message, tc.contains) || e.RetryAfter != tc.retry {
				t.Fatalf("got %s %q %v", e.Code, e.Message, e.RetryAfter)
			}
		})
	}
}
