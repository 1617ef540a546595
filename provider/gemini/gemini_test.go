package gemini

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
)

var testConfig = map[string]string{KeyAPIKey: "test-gemini-key", KeyAPIBase: "http://fake.local/v1beta/"}

func ptr[T any](v T) *T { return &v }

func msg(role, text string) llm.Message {
	return llm.Message{Role: role, Content: llm.StringContent(text)}
}

func chatCall(req *llm.ChatRequest) *provider.Call {
	return &provider.Call{Type: gateway.TypeChat, Model: "gemini-2.0-flash", Config: testConfig, Req: &llm.Request{Type: gateway.TypeChat, Chat: req}}
}

func completionCall(req *llm.CompletionRequest) *provider.Call {
	return &provider.Call{Type: gateway.TypeCompletions, Model: "gemini-2.0-flash", Config: testConfig, Req: &llm.Request{Type: gateway.TypeCompletions, Completion: req}}
}

// assertJSON compares two JSON documents structurally.
func assertJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want is not JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("body mismatch\n got: %s\nwant: %s", got, want)
	}
}

func TestRequestBodies(t *testing.T) {
	tr := Spec.Translator
	tests := []struct {
		name    string
		call    *provider.Call
		wantURL string
		body    string
	}{
		{
			name: "system hoisted, assistant becomes model, consecutive user turns merged (ai.google.dev/api/generate-content)",
			call: chatCall(&llm.ChatRequest{
				Messages: []llm.Message{msg("system", "You are a cat."), msg("user", "Hello"), msg("assistant", "Meow."), msg("user", "What is your name?"), msg("user", "Answer briefly.")},
				Params:   llm.Params{Temperature: ptr(0.2), TopP: ptr(0.9), MaxTokens: ptr(64), Stop: []string{"\n\n", "END"}, N: ptr(2)},
				Extra:    map[string]json.RawMessage{"top_k": json.RawMessage(`40`), "user": json.RawMessage(`"u1"`), "safetySettings": json.RawMessage(`[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_ONLY_HIGH"}]`)},
			}),
			wantURL: "http://fake.local/v1beta/models/gemini-2.0-flash:generateContent",
			body: `{"systemInstruction":{"parts":[{"text":"You are a cat."}]},
				"contents":[{"role":"user","parts":[{"text":"Hello"}]},{"role":"model","parts":[{"text":"Meow."}]},{"role":"user","parts":[{"text":"What is your name?"},{"text":"Answer briefly."}]}],
				"generationConfig":{"temperature":0.2,"topP":0.9,"topK":40,"candidateCount":2,"maxOutputTokens":64,"stopSequences":["\n\n","END"]},
				"safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_ONLY_HIGH"}]}`,
		},
		{
			name:    "stream asks for SSE framing with alt=sse, unicode kept",
			call:    chatCall(&llm.ChatRequest{Messages: []llm.Message{msg("user", "Grüß dich, 世界 👋")}, Params: llm.Params{Stream: true}}),
			wantURL: "http://fake.local/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse",
			body:    `{"contents":[{"role":"user","parts":[{"text":"Grüß dich, 世界 👋"}]}]}`,
		},
		{
			name: "completions are one user turn; max_completion_tokens and json_object response_format mapped",
			call: completionCall(&llm.CompletionRequest{Prompt: "One small step for", Extra: map[string]json.RawMessage{"max_completion_tokens": json.RawMessage(`8`)},
				Params: llm.Params{ResponseFormat: &llm.ResponseFormat{Type: llm.FormatJSONObject}}}),
			wantURL: "http://fake.local/v1beta/models/gemini-2.0-flash:generateContent",
			body:    `{"contents":[{"role":"user","parts":[{"text":"One small step for"}]}],"generationConfig":{"maxOutputTokens":8,"responseMimeType":"application/json"}}`,
		},
		{
			name:    "empty assistant turn is skipped (Gemini rejects empty text parts)",
			call:    chatCall(&llm.ChatRequest{Messages: []llm.Message{msg("user", "hi"), {Role: "assistant", Content: json.RawMessage(`null`)}, msg("user", "again")}}),
			wantURL: "http://fake.local/v1beta/models/gemini-2.0-flash:generateContent",
			body:    `{"contents":[{"role":"user","parts":[{"text":"hi"},{"text":"again"}]}]}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := tr.Request(tc.call)
			if err != nil {
				t.Fatal(err)
			}
			if req.Method != "POST" || req.URL != tc.wantURL {
				t.Fatalf("got %s %s, want POST %s", req.Method, req.URL, tc.wantURL)
			}
			if got := req.Header.Get("x-goog-api-key"); got != "test-gemini-key" {
				t.Fatalf("x-goog-api-key = %q", got)
			}
			if req.Sign != nil {
				t.Fatal("Google AI requests need no signing step")
			}
			assertJSON(t, req.Body, tc.body)
		})
	}
}

func TestDefaultBaseURLAndModelPrefix(t *testing.T) {
	c := chatCall(&llm.ChatRequest{Messages: []llm.Message{msg("user", "hi")}})
	c.Config = map[string]string{KeyAPIKey: "k"}
	c.Model = "models/gemini-2.5-pro"
	req, err := Spec.Translator.Request(c)
	if err != nil {
		t.Fatal(err)
	}
	if want := DefaultBaseURL + "/models/gemini-2.5-pro:generateContent"; req.URL != want {
		t.Fatalf("URL = %s, want %s", req.URL, want)
	}
}

func TestRequestRejections(t *testing.T) {
	tests := []struct {
		name string
		req  *llm.ChatRequest
	}{
		{"tool message answering no earlier call", &llm.ChatRequest{Messages: []llm.Message{msg("user", "hi"), {Role: "tool", ToolCallID: "c1", Content: llm.StringContent("42")}}}},
		{"image part", &llm.ChatRequest{Messages: []llm.Message{{Role: "user", Content: json.RawMessage(`[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]`)}}}},
		{"only a system message", &llm.ChatRequest{Messages: []llm.Message{msg("system", "be nice")}}},
		{"unknown role", &llm.ChatRequest{Messages: []llm.Message{msg("narrator", "once upon a time")}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Spec.Translator.Request(chatCall(tc.req))
			if gateway.ErrorCode(err) != gateway.CodeInvalid || !strings.Contains(gateway.ErrorMessage(err), `"gemini"`) {
				t.Fatalf("want a 400-class error naming gemini, got %v", err)
			}
		})
	}
}

func TestEmbeddingsRequestAndResponse(t *testing.T) {
	c := &provider.Call{Type: gateway.TypeEmbeddings, Model: "text-embedding-004", Config: testConfig, Req: &llm.Request{
		Type:       gateway.TypeEmbeddings,
		Embeddings: &llm.EmbeddingsRequest{Input: []string{"alpha", "βeta"}, Extra: map[string]json.RawMessage{"task_type": json.RawMessage(`"RETRIEVAL_DOCUMENT"`), "dimensions": json.RawMessage(`3`)}},
	}}
	req, err := Spec.Translator.Request(c)
	if err != nil {
		t.Fatal(err)
	}
	if req.URL != "http://fake.local/v1beta/models/text-embedding-004:batchEmbedContents" {
		t.Fatalf("URL = %s", req.URL)
	}
	assertJSON(t, req.Body, `{"requests":[
		{"model":"models/text-embedding-004","content":{"parts":[{"text":"alpha"}]},"taskType":"RETRIEVAL_DOCUMENT","outputDimensionality":3},
		{"model":"models/text-embedding-004","content":{"parts":[{"text":"βeta"}]},"taskType":"RETRIEVAL_DOCUMENT","outputDimensionality":3}]}`)

	resp, err := Spec.Translator.Response(c, []byte(`{"embeddings":[{"values":[0.013,-0.008,0.02]},{"values":[0.5,0.25,-1]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	e := resp.Embeddings
	if e.Object != "list" || len(e.Data) != 2 || e.Data[1].Index != 1 || e.Data[1].Embedding[2] != -1 || e.Usage.PromptTokens != nil {
		t.Fatalf("unexpected embeddings response %+v", e)
	}
	if _, err := Spec.Translator.Response(c, []byte(`{"embeddings":[{"values":[1]}]}`)); gateway.ErrorCode(err) != gateway.CodeUpstream {
		t.Fatalf("a count mismatch must be an upstream error, got %v", err)
	}
}

type wantChoice struct {
	text, finish string
}

func TestChatResponses(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		choices []wantChoice
		usage   []int64 // prompt, completion, total; nil = no usage
		model   string
	}{
		{
			name:    "plain answer (ai.google.dev generateContent response)",
			body:    `{"candidates":[{"content":{"parts":[{"text":"Hello! How can I help you today?"}],"role":"model"},"finishReason":"STOP","avgLogprobs":-0.012}],"usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":9,"totalTokenCount":11,"promptTokensDetails":[{"modality":"TEXT","tokenCount":2}]},"modelVersion":"gemini-2.0-flash-001","responseId":"resp-1"}`,
			choices: []wantChoice{{"Hello! How can I help you today?", "stop"}},
			usage:   []int64{2, 9, 11},
			model:   "gemini-2.0-flash-001",
		},
		{
			name:    "max tokens hit, parts joined, thought parts left out, thinking tokens count as completion",
			body:    `{"candidates":[{"content":{"parts":[{"text":"planning…","thought":true},{"text":"Once upon "},{"text":"a time"}],"role":"model"},"finishReason":"MAX_TOKENS"}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":4,"thoughtsTokenCount":20,"totalTokenCount":29}}`,
			choices: []wantChoice{{"Once upon a time", "length"}},
			usage:   []int64{5, 24, 29},
			model:   "gemini-2.0-flash",
		},
		{
			name:    "two candidates, unicode, usage missing",
			body:    `{"candidates":[{"index":0,"content":{"parts":[{"text":"日本語 ✓"}],"role":"model"},"finishReason":"STOP"},{"index":1,"content":{"parts":[{"text":"Ελληνικά"}],"role":"model"},"finishReason":"STOP"}]}`,
			choices: []wantChoice{{"日本語 ✓", "stop"}, {"Ελληνικά", "stop"}},
			model:   "gemini-2.0-flash",
		},
		{
			name:    "safety stop without content becomes content_filter with empty text; empty answer has no candidatesTokenCount",
			body:    `{"candidates":[{"finishReason":"SAFETY","index":0,"safetyRatings":[{"category":"HARM_CATEGORY_HARASSMENT","probability":"HIGH","blocked":true}]}],"usageMetadata":{"promptTokenCount":7,"totalTokenCount":7}}`,
			choices: []wantChoice{{"", "content_filter"}},
			usage:   []int64{7, 0, 7},
			model:   "gemini-2.0-flash",
		},
		{
			name:    "prompt blocked before any candidate",
			body:    `{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":12,"totalTokenCount":12}}`,
			choices: []wantChoice{{"", "content_filter"}},
			usage:   []int64{12, 0, 12},
			model:   "gemini-2.0-flash",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := Spec.Translator.Response(chatCall(&llm.ChatRequest{}), []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			chat := resp.Chat
			if chat.Object != "chat.completion" || chat.Model != tc.model {
				t.Fatalf("object/model = %s/%s", chat.Object, chat.Model)
			}
			if len(chat.Choices) != len(tc.choices) {
				t.Fatalf("got %d choices, want %d", len(chat.Choices), len(tc.choices))
			}
			for i, w := range tc.choices {
				ch := chat.Choices[i]
				if ch.Index != i || ch.Message.Role != "assistant" || *ch.Message.Content != w.text || *ch.FinishReason != w.finish {
					t.Fatalf("choice %d = %+v %q %q, want %+v", i, ch, *ch.Message.Content, *ch.FinishReason, w)
				}
			}
			assertUsage(t, chat.Usage, tc.usage)
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
	if u.PromptTokens == nil || u.CompletionTokens == nil || u.TotalTokens == nil ||
		*u.PromptTokens != want[0] || *u.CompletionTokens != want[1] || *u.TotalTokens != want[2] {
		t.Fatalf("usage = %v/%v/%v, want %v", u.PromptTokens, u.CompletionTokens, u.TotalTokens, want)
	}
}

func TestCompletionResponse(t *testing.T) {
	resp, err := Spec.Translator.Response(completionCall(&llm.CompletionRequest{Prompt: "One small step for"}),
		[]byte(`{"candidates":[{"content":{"parts":[{"text":" man"}],"role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":2,"totalTokenCount":7}}`))
	if err != nil {
		t.Fatal(err)
	}
	c := resp.Completion
	if c.Object != "text_completion" || len(c.Choices) != 1 || c.Choices[0].Text != " man" || *c.Choices[0].FinishReason != "stop" {
		t.Fatalf("unexpected completion %+v", c)
	}
	assertUsage(t, c.Usage, []int64{5, 2, 7})
}

func TestMalformedResponse(t *testing.T) {
	for _, body := range []string{``, `{`, `{"candidates":"x"}`, `[1,2]`} {
		if _, err := Spec.Translator.Response(chatCall(&llm.ChatRequest{}), []byte(body)); gateway.ErrorCode(err) != gateway.CodeUpstream {
			t.Fatalf("body %q: want upstream error, got %v", body, err)
		}
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		code       gateway.Code
		contains   string
		retryAfter time.Duration
	}{
		{
			name:   "provider wins: an invalid key is 400 API_KEY_INVALID, not 401, and still means the gateway's credentials",
			status: 400,
			body:   `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}}]}}`,
			code:   gateway.CodeUpstream, contains: "credentials",
		},
		{
			name:   "permission denied",
			status: 403,
			body:   `{"error":{"code":403,"message":"Method doesn't allow unregistered callers.","status":"PERMISSION_DENIED"}}`,
			code:   gateway.CodeUpstream, contains: "credentials",
		},
		{
			name:   "quota exceeded carries google.rpc.RetryInfo delay",
			status: 429,
			body:   `{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}]}}`,
			code:   gateway.CodeRateLimited, contains: "exceeded your current quota", retryAfter: 37 * time.Second,
		},
		{
			name:   "Retry-After header wins over the body",
			status: 429,
			header: http.Header{"Retry-After": {"5"}},
			body:   `{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}`,
			code:   gateway.CodeRateLimited, retryAfter: 5 * time.Second,
		},
		{
			name:   "overloaded",
			status: 503,
			body:   `{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}`,
			code:   gateway.CodeUpstream, contains: "overloaded",
		},
		{
			name:   "context too long is the caller's problem and keeps Google's explanation",
			status: 400,
			body:   `{"error":{"code":400,"message":"The input token count (1250000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}`,
			code:   gateway.CodeInvalid, contains: "exceeds the maximum number of tokens",
		},
		{
			name:   "unknown model",
			status: 404,
			body:   `{"error":{"code":404,"message":"models/gemini-9 is not found for API version v1beta, or is not supported for generateContent.","status":"NOT_FOUND"}}`,
			code:   gateway.CodeInvalid, contains: "not found",
		},
		{
			name:   "a message echoing a key is replaced",
			status: 400,
			body:   `{"error":{"code":400,"message":"bad key AIzaSyD-abcdefghijklmnopqrstuvwx","status":"INVALID_ARGUMENT"}}`,
			code:   gateway.CodeInvalid, contains: "Bad Request",
		},
		{
			name:   "HTML from a proxy",
			status: 502,
			body:   `<html><body>Bad Gateway</body></html>`,
			code:   gateway.CodeUpstream,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := Spec.Translator.Error(chatCall(&llm.ChatRequest{}), tc.status, tc.header, []byte(tc.body))
			if e.Code != tc.code || !strings.Contains(e.Message, tc.contains) || e.RetryAfter != tc.retryAfter {
				t.Fatalf("got %s %q retry=%v, want %s containing %q retry=%v", e.Code, e.Message, e.RetryAfter, tc.code, tc.contains, tc.retryAfter)
			}
			if strings.Contains(e.Message, "AIza") {
				t.Fatal("message leaks a key")
			}
		})
	}
}
