package anthropic

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/providertest"
	"github.com/llmgate/llmgate/transport"
)

func ptr[T any](v T) *T { return &v }

func msg(role, text string) llm.Message {
	return llm.Message{Role: role, Content: llm.StringContent(text)}
}

func chatCall(config map[string]string, p llm.Params, msgs ...llm.Message) *provider.Call {
	return &provider.Call{Type: gateway.TypeChat, Model: "claude-3-5-sonnet-20241022", Config: config,
		Req: &llm.Request{Type: gateway.TypeChat, Chat: &llm.ChatRequest{Messages: msgs, Params: p}}}
}

// Request shape from docs.anthropic.com/en/api/messages.
func TestRequest(t *testing.T) {
	tests := []struct {
		name   string
		call   *provider.Call
		want   map[string]any
		header map[string]string
	}{
		{
			name: "system hoisted, same-role turns merged, temperature halved, stop, default max_tokens",
			call: chatCall(map[string]string{KeyAPIKey: "sk-ant-test"}, llm.Params{Temperature: ptr(1.0), Stop: []string{"\n\nHuman:"}},
				msg("system", "Be terse."), msg("user", "Hi"), msg("system", "Use French."), msg("user", "Ça va? 世界"), msg("assistant", "Oui")),
			want: map[string]any{
				"model": "claude-3-5-sonnet-20241022", "max_tokens": 1024.0, "temperature": 0.5, "system": "Be terse.\nUse French.",
				"stop_sequences": []any{"\n\nHuman:"},
				"messages": []any{
					map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "Hi"}, map[string]any{"type": "text", "text": "Ça va? 世界"}}},
					map[string]any{"role": "assistant", "content": []any{map[string]any{"type": "text", "text": "Oui"}}},
				},
			},
			header: map[string]string{"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"},
		},
		{
			name: "explicit max_tokens, version, stream",
			call: chatCall(map[string]string{KeyAPIKey: "k", KeyVersion: "2024-01-01"}, llm.Params{MaxTokens: ptr(5), Stream: true}, msg("user", "x")),
			want: map[string]any{"model": "claude-3-5-sonnet-20241022", "max_tokens": 5.0, "stream": true,
				"messages": []any{map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "x"}}}}},
			header: map[string]string{"anthropic-version": "2024-01-01", "Accept": "text/event-stream"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hr, err := Spec.Translator.Request(tt.call)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			_ = json.Unmarshal(hr.Body, &got)
			if !reflect.DeepEqual(got, tt.want) || hr.URL != "https://api.anthropic.com/v1/messages" {
				t.Errorf("%s\nbody %s", hr.URL, hr.Body)
			}
			for k, v := range tt.header {
				if hr.Header.Get(k) != v {
					t.Errorf("header %s = %q, want %q", k, hr.Header.Get(k), v)
				}
			}
		})
	}
	completion := &provider.Call{Type: gateway.TypeCompletions, Model: "m", Config: map[string]string{KeyAPIKey: "k"},
		Req: &llm.Request{Completion: &llm.CompletionRequest{Prompt: "One small step"}}}
	hr, err := Spec.Translator.Request(completion)
	if err != nil || !strings.Contains(string(hr.Body), `"messages":[{"role":"user","content":[{"type":"text","text":"One small step"}]}]`) {
		t.Errorf("completions as one user message: %s %v", hr.Body, err)
	}
}

func TestRequestRejects(t *testing.T) {
	for name, c := range map[string]*provider.Call{
		"n>1":         chatCall(nil, llm.Params{N: ptr(2)}, msg("user", "x")),
		"tool role":   chatCall(nil, llm.Params{}, msg("user", "x"), msg("tool", "y")),
		"only system": chatCall(nil, llm.Params{}, msg("system", "x")),
		"embeddings":  {Type: gateway.TypeEmbeddings, Req: &llm.Request{Embeddings: &llm.EmbeddingsRequest{Input: []string{"a"}}}},
	} {
		if _, err := Spec.Translator.Request(c); gateway.ErrorCode(err) != gateway.CodeInvalid {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestResponse(t *testing.T) {
	tests := []struct {
		name, body, text, finish string
		total                    *int64
	}{
		{"end_turn (docs.anthropic.com/en/api/messages example)",
			`{"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","type":"message","role":"assistant","model":"claude-3-5-sonnet-20241022","content":[{"type":"text","text":"Hi! My name is Claude."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":2095,"output_tokens":503}}`,
			"Hi! My name is Claude.", "stop", ptr(int64(2598))},
		{"max_tokens", `{"id":"m","type":"message","role":"assistant","content":[{"type":"text","text":"Hi"},{"type":"text","text":" there"}],"stop_reason":"max_tokens","usage":{"input_tokens":1,"output_tokens":2}}`, "Hi there", "length", ptr(int64(3))},
		{"stop_sequence, empty content, usage missing", `{"id":"m","type":"message","role":"assistant","content":[],"stop_reason":"stop_sequence"}`, "", "stop", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Spec.Translator.Response(chatCall(nil, llm.Params{}), []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			ch := r.Chat.Choices[0]
			if *ch.Message.Content != tt.text || *ch.FinishReason != tt.finish || !reflect.DeepEqual(r.Chat.Usage.TotalTokens, tt.total) {
				t.Errorf("got %q %q %v", *ch.Message.Content, *ch.FinishReason, r.Chat.Usage.TotalTokens)
			}
		})
	}
	for _, bad := range []string{"", "<html>", `{"type":"error"}`} {
		if _, err := Spec.Translator.Response(chatCall(nil, llm.Params{}), []byte(bad)); gateway.ErrorCode(err) != gateway.CodeUpstream {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		status int
		body   string
		code   gateway.Code
	}{
		{401, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`, gateway.CodeUpstream},
		{400, `{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}`, gateway.CodeInvalid},
		{429, `{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}`, gateway.CodeRateLimited},
		{529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, gateway.CodeUpstream},
	}
	for _, tt := range tests {
		e := Spec.Translator.Error(nil, tt.status, nil, []byte(tt.body))
		if e.Code != tt.code {
			t.Errorf("%d: %s", tt.status, e.Code)
		}
		if tt.status == 400 && !strings.Contains(e.Message, "prompt is too long") {
			t.Errorf("400 message %q", e.Message)
		}
	}
}

// Transcript from docs.anthropic.com/en/api/messages-streaming (basic streaming request).
const transcript = "event: message_start\n" +
	`data: {"type":"message_start","message":{"id":"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY","type":"message","role":"assistant","content":[],"model":"claude-3-5-sonnet-20241022","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1}}}` + "\n\n" +
	"event: content_block_start\n" + `data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}` + "\n\n" +
	"event: ping\n" + `data: {"type": "ping"}` + "\n\n" +
	"event: content_block_delta\n" + `data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}` + "\n\n" +
	"event: content_block_delta\n" + `data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" 世界!"}}` + "\n\n" +
	"event: content_block_stop\n" + `data: {"type":"content_block_stop","index":0}` + "\n\n" +
	"event: message_delta\n" + `data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}` + "\n\n" +
	"event: message_stop\n" + `data: {"type":"message_stop"}` + "\n\n"

func TestStream(t *testing.T) {
	for _, n := range []int{len(transcript), 1, 5} {
		chunks, err := providertest.Decode(Spec.Translator.Stream(chatCall(nil, llm.Params{})), transcript, n)
		if err != nil {
			t.Fatal(err)
		}
		if len(chunks) != 5 || chunks[0].Choices[0].Role != "assistant" || chunks[0].ID != "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY" ||
			chunks[1].Choices[0].Content+chunks[2].Choices[0].Content != "Hello 世界!" || chunks[3].Choices[0].FinishReason != "stop" ||
			*chunks[4].Usage.PromptTokens != 25 || *chunks[4].Usage.CompletionTokens != 15 || *chunks[4].Usage.TotalTokens != 40 {
			t.Fatalf("piece %d: chunks = %+v", n, chunks)
		}
	}
}

func TestStreamFailures(t *testing.T) {
	cut := transcript[:strings.Index(transcript, "event: message_stop")]
	if _, err := providertest.Decode(Spec.Translator.Stream(chatCall(nil, llm.Params{})), cut, 3); gateway.ErrorCode(err) != gateway.CodeUpstream {
		t.Errorf("truncated: %v", err)
	}
	overloaded := "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n"
	if _, err := providertest.Decode(Spec.Translator.Stream(chatCall(nil, llm.Params{})), overloaded, 4); gateway.ErrorCode(err) != gateway.CodeUpstream || !strings.Contains(err.Error(), "Overloaded") {
		t.Errorf("overloaded: %v", err)
	}
	if _, err := providertest.Decode(Spec.Translator.Stream(chatCall(nil, llm.Params{})), "event: x\ndata: {oops\n\n", 2); gateway.ErrorCode(err) != gateway.CodeUpstream {
		t.Errorf("garbage: %v", err)
	}
}

func TestAgainstFake(t *testing.T) {
	ts := httptest.NewServer(fakeupstream.New(fakeupstream.Options{}))
	defer ts.Close()
	good := map[string]string{KeyAPIKey: fakeupstream.DefaultKey("anthropic"), KeyAPIBase: ts.URL + "/v1"}
	do := func(c *provider.Call) (int, []byte) {
		hr, err := Spec.Translator.Request(c)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := transport.New(transport.Options{}).Do(context.Background(), hr)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	c := chatCall(good, llm.Params{}, msg("system", "s"), msg("user", "hello world"))
	status, body := do(c)
	r, err := Spec.Translator.Response(c, body)
	if status != 200 || err != nil || *r.Chat.Choices[0].Message.Content != "echo: hello world" || *r.Chat.Usage.PromptTokens != 3 {
		t.Fatalf("chat %d %s %v", status, body, err)
	}
	c = chatCall(good, llm.Params{Stream: true}, msg("user", "hello world"))
	_, body = do(c)
	chunks, err := providertest.Decode(Spec.Translator.Stream(c), string(body), 9)
	if err != nil || chunks[len(chunks)-1].Usage == nil || *chunks[len(chunks)-1].Usage.CompletionTokens != 3 {
		t.Fatalf("stream %v %+v", err, chunks)
	}
	c = chatCall(map[string]string{KeyAPIKey: "wrong", KeyAPIBase: ts.URL + "/v1"}, llm.Params{}, msg("user", "x"))
	status, body = do(c)
	if e := Spec.Translator.Error(c, status, nil, body); status != 401 || e.Code != gateway.CodeUpstream {
		t.Fatalf("wrong key: %d %+v", status, e)
	}
	c = chatCall(good, llm.Params{}, msg("user", "x"))
	c.Model = "fake-error-529"
	status, body = do(c)
	if e := Spec.Translator.Error(c, status, nil, body); status != 529 || e.Code != gateway.CodeUpstream || !strings.Contains(e.Message, "overloaded") {
		t.Fatalf("529: %d %+v", status, e)
	}
}
