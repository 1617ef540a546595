package tgi

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

func ptr[T any](v T) *T { return &v }

func completion(r *llm.CompletionRequest) *provider.Call {
	return &provider.Call{Type: gateway.TypeCompletions, Model: "tgi", Config: map[string]string{KeyServerURL: "http://tgi.local:8080/"},
		Req: &llm.Request{Type: gateway.TypeCompletions, Completion: r}}
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

// Request shapes from TGI's OpenAPI (huggingface.github.io/text-generation-inference, /generate).
func TestGenerateRequests(t *testing.T) {
	tests := []struct {
		name, url, body string
		req             *llm.CompletionRequest
	}{
		{"parameters mapped, stop list, prompt token details asked for",
			"http://tgi.local:8080/generate",
			`{"inputs":"What is Deep Learning?","parameters":{"max_new_tokens":20,"temperature":0.7,"top_p":0.95,"top_k":10,"stop":["\n","###"],"details":true,"decoder_input_details":true}}`,
			&llm.CompletionRequest{Prompt: "What is Deep Learning?", Params: llm.Params{MaxTokens: ptr(20), Temperature: ptr(0.7), TopP: ptr(0.95), Stop: []string{"\n", "###"}}, Extra: map[string]json.RawMessage{"top_k": json.RawMessage(`10`)}}},
		{"provider wins: temperature 0 (MLflow's default) is greedy decoding, not TGI's rejected 0 or MLflow's 50x scaling",
			"http://tgi.local:8080/generate",
			`{"inputs":"Grüße 👋","parameters":{"do_sample":false,"details":true,"decoder_input_details":true}}`,
			&llm.CompletionRequest{Prompt: "Grüße 👋", Params: llm.Params{Temperature: ptr(0.0)}}},
		{"stream goes to /generate_stream without decoder_input_details (TGI refuses it while streaming)",
			"http://tgi.local:8080/generate_stream",
			`{"inputs":"hi","parameters":{"details":true}}`,
			&llm.CompletionRequest{Prompt: "hi", Params: llm.Params{Stream: true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := Spec.Translator.Request(completion(tc.req))
			if err != nil {
				t.Fatal(err)
			}
			if req.URL != tc.url || req.Header.Get("Authorization") != "" {
				t.Fatalf("got %s auth=%q", req.URL, req.Header.Get("Authorization"))
			}
			assertJSON(t, req.Body, tc.body)
		})
	}
}

func TestOptionalBearerAndRejections(t *testing.T) {
	c := completion(&llm.CompletionRequest{Prompt: "x"})
	c.Config = map[string]string{KeyServerURL: "https://xyz.endpoints.huggingface.cloud", KeyAPIKey: "hf_test"}
	req, err := Spec.Translator.Request(c)
	if err != nil || req.Header.Get("Authorization") != "Bearer hf_test" || req.URL != "https://xyz.endpoints.huggingface.cloud/generate" {
		t.Fatalf("got %+v %v", req, err)
	}
	for name, c := range map[string]*provider.Call{
		"n > 1":      completion(&llm.CompletionRequest{Prompt: "x", Params: llm.Params{N: ptr(2)}}),
		"embeddings": {Type: gateway.TypeEmbeddings, Config: c.Config, Req: &llm.Request{Type: gateway.TypeEmbeddings, Embeddings: &llm.EmbeddingsRequest{}}},
	} {
		if _, err := Spec.Translator.Request(c); gateway.ErrorCode(err) != gateway.CodeInvalid || !strings.Contains(gateway.ErrorMessage(err), `"huggingface-text-generation-inference"`) {
			t.Fatalf("%s: got %v", name, err)
		}
	}
}

func TestGenerateResponses(t *testing.T) {
	tests := []struct {
		name, body, text, finish string
		usage                    []int64
	}{
		{"length with prefill (example in mlflow/gateway/providers/huggingface.py)",
			`{"generated_text":"test","details":{"finish_reason":"length","generated_tokens":1,"seed":42,"prefill":[{"id":0,"logprob":-0.34,"text":"test"}],"tokens":[{"id":0,"logprob":-0.34,"special":false,"text":"test"}]}}`,
			"test", "length", []int64{1, 1, 2}},
		{"eos token is a normal stop",
			`{"generated_text":"\n\nDeep learning is a subset of machine learning.","details":{"finish_reason":"eos_token","generated_tokens":12,"seed":null,"prefill":[{"id":1,"text":"<s>"},{"id":1724,"logprob":-9.1,"text":"What"},{"id":338,"logprob":-1.2,"text":" is"}],"tokens":[]}}`,
			"\n\nDeep learning is a subset of machine learning.", "stop", []int64{3, 12, 15}},
		{"stop sequence, no prefill: completion tokens only",
			`{"generated_text":"日本","details":{"finish_reason":"stop_sequence","generated_tokens":2}}`,
			"日本", "stop", nil},
		{"no details: usage missing",
			`{"generated_text":""}`, "", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := Spec.Translator.Response(completion(&llm.CompletionRequest{}), []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			ch := resp.Completion.Choices[0]
			if ch.Text != tc.text || (tc.finish == "") != (ch.FinishReason == nil) || ch.FinishReason != nil && *ch.FinishReason != tc.finish {
				t.Fatalf("choice %+v", ch)
			}
			u := resp.Completion.Usage
			if tc.usage == nil {
				if u.PromptTokens != nil || u.TotalTokens != nil {
					t.Fatalf("prompt usage must be null, got %+v", u)
				}
				return
			}
			if *u.PromptTokens != tc.usage[0] || *u.CompletionTokens != tc.usage[1] || *u.TotalTokens != tc.usage[2] {
				t.Fatalf("usage %v/%v/%v", *u.PromptTokens, *u.CompletionTokens, *u.TotalTokens)
			}
		})
	}
	for _, body := range []string{`{}`, `[{"generated_text":"x"}]`, `oops`} {
		if _, err := Spec.Translator.Response(completion(&llm.CompletionRequest{}), []byte(body)); gateway.ErrorCode(err) != gateway.CodeUpstream {
			t.Fatalf("%s: got %v", body, err)
		}
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
		{"context too long (422 validation)", 422, nil, `{"error":"Input validation error: ` + "`inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 200 `max_new_tokens`" + `","error_type":"validation"}`, gateway.CodeInvalid, "must be <= 4096", 0},
		{"overloaded (429) is retryable", 429, http.Header{"Retry-After": {"2"}}, `{"error":"Model is overloaded","error_type":"overloaded"}`, gateway.CodeRateLimited, "rate limit", 2 * time.Second},
		{"generation error (424)", 424, nil, `{"error":"Request failed during generation: Server error: CUDA out of memory","error_type":"generation"}`, gateway.CodeUpstream, "failed", 0},
		{"invalid key on an Inference Endpoint", 401, nil, `{"error":"Authorization header is correct, but the token seems invalid"}`, gateway.CodeUpstream, "credentials", 0},
		{"proxy HTML", 502, nil, `<html/>`, gateway.CodeUpstream, "HTTP 502", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := Spec.Translator.Error(nil, tc.status, tc.header, []byte(tc.body))
			if e.Code != tc.code || !strings.Contains(e.Message, tc.contains) || e.RetryAfter != tc.retry {
				t.Fatalf("got %s %q %v", e.Code, e.Message, e.RetryAfter)
			}
		})
	}
}

func TestChatUsesTheMessagesAPI(t *testing.T) {
	c := &provider.Call{Type: gateway.TypeChat, Model: "tgi", Config: map[string]string{KeyServerURL: "http://tgi.local:8080/"},
		Req: &llm.Request{Type: gateway.TypeChat, Chat: &llm.ChatRequest{Messages: []llm.Message{{Role: "system", Content: llm.StringContent("be brief")}, {Role: "user", Content: llm.StringContent("hi")}}, Params: llm.Params{Stream: true}}}}
	req, err := Spec.Translator.Request(c)
	if err != nil || req.URL != "http://tgi.local:8080/v1/chat/completions" || !strings.Contains(string(req.Body), `"include_usage":true`) {
		t.Fatalf("got %+v %v", req, err)
	}
	// Stream transcript in the shape TGI's Messages API sends (chat.completion.chunk events, [DONE]).
	d := Spec.Translator.Stream(c)
	chunks, err := d.Feed([]byte("data:{\"object\":\"chat.completion.chunk\",\"id\":\"\",\"created\":1732000000,\"model\":\"tgi\",\"system_fingerprint\":\"2.4.0-native\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n" +
		"data:{\"object\":\"chat.completion.chunk\",\"id\":\"\",\"created\":1732000000,\"model\":\"tgi\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"!\"},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":2,\"total_tokens\":14}}\n\ndata: [DONE]\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	tail, err := d.End()
	if err != nil {
		t.Fatal(err)
	}
	chunks = append(chunks, tail...)
	var text strings.Builder
	for _, ch := range chunks {
		for _, c := range ch.Choices {
			text.WriteString(c.Content)
		}
	}
	if text.String() != "Hi!" {
		t.Fatalf("text %q from %+v", text.String(), chunks)
	}
	resp, err := Spec.Translator.Response(c, []byte(`{"object":"chat.completion","id":"","created":1732000000,"model":"tgi","system_fingerprint":"2.4.0-native","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there"},"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":15,"completion_tokens":2,"total_tokens":17}}`))
	if err != nil || *resp.Chat.Choices[0].Message.Content != "Hello there" || *resp.Chat.Choices[0].FinishReason != "length" {
		t.Fatalf("got %+v %v", resp, err)
	}
}
