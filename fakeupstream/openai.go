package fakeupstream

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/llmgate/llmgate/llm"
)

// OpenAI wire: api.openai.com/v1 under /v1, Azure OpenAI deployment URLs under /openai.
// OpenAI-compatible providers (Mistral, Together, Databricks, LiteLLM, ...) may reuse the /v1
// routes with the "openai" keys, or register their own copy under a prefix with
// Register(OpenAIProvider("mistral", "/mistral/v1")).
func init() {
	Register(OpenAIProvider("openai", "/v1"))
	Register(azureProvider())
	// Databricks model serving speaks the OpenAI wire under {workspace}/serving-endpoints.
	Register(OpenAIProvider("databricks", "/serving-endpoints"))
}

// OpenAIProvider serves OpenAI's chat, completions and embeddings routes under prefix,
// authenticated by "Authorization: Bearer <key>" against the keys of name.
func OpenAIProvider(name, prefix string) *Provider {
	return &Provider{
		Name:       name,
		Routes:     []string{"POST " + prefix + "/chat/completions", "POST " + prefix + "/completions", "POST " + prefix + "/embeddings"},
		Model:      func(_ *http.Request, body []byte) string { return parseOpenAI(body).Model },
		Credential: bearer,
		WriteError: writeOpenAIError,
		Serve:      serveOpenAI,
	}
}

// azureProvider serves /openai/deployments/{deployment}/... with a required api-version
// query; the deployment names the model and the key comes in "api-key" (or, for Entra ID,
// as a Bearer token).
func azureProvider() *Provider {
	prefix := "/openai/deployments/{deployment}"
	return &Provider{
		Name:   "azure",
		Routes: []string{"POST " + prefix + "/chat/completions", "POST " + prefix + "/completions", "POST " + prefix + "/embeddings"},
		Model:  func(r *http.Request, _ []byte) string { return r.PathValue("deployment") },
		Credential: func(r *http.Request) string {
			if k := r.Header.Get("api-key"); k != "" {
				return k
			}
			return bearer(r)
		},
		WriteError: writeOpenAIError,
		Serve: func(x *Exchange) {
			if x.R.URL.Query().Get("api-version") == "" {
				x.Error(http.StatusNotFound, "Resource not found")
				return
			}
			serveOpenAI(x)
		},
	}
}

func bearer(r *http.Request) string {
	v := r.Header.Get("Authorization")
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return v[7:]
	}
	return ""
}

// writeOpenAIError writes OpenAI's error envelope with the type and code OpenAI uses for
// the status (platform.openai.com/docs/guides/error-codes).
func writeOpenAIError(w http.ResponseWriter, status int, message string) {
	typ, code := "invalid_request_error", any(nil)
	switch {
	case status == http.StatusUnauthorized:
		message, code = "Incorrect API key provided: fake-****. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_api_key"
	case status == http.StatusTooManyRequests:
		typ, code = "requests", "rate_limit_exceeded"
	case status >= 500:
		typ = "server_error"
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": message, "type": typ, "param": nil, "code": code}})
}

type openaiRequest struct {
	Model         string          `json:"model"`
	Messages      []llm.Message   `json:"messages"`
	Prompt        json.RawMessage `json:"prompt"`
	Input         json.RawMessage `json:"input"`
	Stream        bool            `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	MaxTokens           int `json:"max_tokens"`
	MaxCompletionTokens int `json:"max_completion_tokens"`
}

func parseOpenAI(body []byte) openaiRequest {
	var r openaiRequest
	_ = json.Unmarshal(body, &r) // a broken body simply has no model; serveOpenAI answers 400
	return r
}

func serveOpenAI(x *Exchange) {
	var req openaiRequest
	if err := json.Unmarshal(x.Body, &req); err != nil {
		x.Error(http.StatusBadRequest, "We could not parse the JSON body of your request.")
		return
	}
	switch path := x.R.URL.Path; {
	case strings.HasSuffix(path, "/chat/completions"):
		prompt, promptTokens := chatPrompt(req.Messages)
		serveOpenAIText(x, &req, "chat.completion", prompt, promptTokens)
	case strings.HasSuffix(path, "/completions"):
		var prompt string
		if json.Unmarshal(req.Prompt, &prompt) != nil {
			x.Error(http.StatusBadRequest, "'prompt' must be a string in this fake")
			return
		}
		serveOpenAIText(x, &req, "text_completion", prompt, Tokens(prompt))
	default:
		serveOpenAIEmbeddings(x, &req)
	}
}

// chatPrompt returns the last user message's text and the word count of every message.
func chatPrompt(msgs []llm.Message) (string, int64) {
	var last string
	var tokens int64
	for _, m := range msgs {
		text, _ := m.Text()
		tokens += Tokens(text)
		if m.Role == "user" {
			last = text
		}
	}
	return last, tokens
}

func serveOpenAIText(x *Exchange, req *openaiRequest, object, prompt string, promptTokens int64) {
	max := req.MaxTokens
	if req.MaxCompletionTokens > 0 {
		max = req.MaxCompletionTokens
	}
	reply, cut := Truncate(x.Reply(prompt), max)
	finish := "stop"
	if cut {
		finish = "length"
	}
	usage := map[string]int64{"prompt_tokens": promptTokens, "completion_tokens": Tokens(reply), "total_tokens": promptTokens + Tokens(reply)}
	id := fmt.Sprintf("fake-%d", time.Now().UnixNano())
	if req.Stream {
		streamOpenAI(x, req, object, id, reply, finish, usage)
		return
	}
	var choice map[string]any
	if object == "chat.completion" {
		choice = map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": reply}, "logprobs": nil, "finish_reason": finish}
	} else {
		choice = map[string]any{"index": 0, "text": reply, "logprobs": nil, "finish_reason": finish}
	}
	body, _ := json.Marshal(map[string]any{"id": id, "object": object, "created": time.Now().Unix(), "model": x.Model,
		"choices": []any{choice}, "usage": usage})
	x.Write(http.StatusOK, "application/json", body)
}

func streamOpenAI(x *Exchange, req *openaiRequest, object, id, reply, finish string, usage map[string]int64) {
	chat := object == "chat.completion"
	chunkObject := "text_completion"
	if chat {
		chunkObject = "chat.completion.chunk"
	}
	created := time.Now().Unix()
	event := func(choices []any, u any) []byte {
		b, _ := json.Marshal(map[string]any{"id": id, "object": chunkObject, "created": created, "model": x.Model, "choices": choices, "usage": u})
		return []byte("data: " + string(b) + "\n\n")
	}
	choice := func(text string, finish any, first bool) []any {
		if !chat {
			return []any{map[string]any{"index": 0, "text": text, "logprobs": nil, "finish_reason": finish}}
		}
		delta := map[string]any{"content": text}
		if first {
			delta["role"] = "assistant"
		}
		if finish != nil {
			delta = map[string]any{}
		}
		return []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}}
	}
	x.StartStream("text/event-stream; charset=utf-8")
	for i, piece := range x.Pieces(reply) {
		if !x.Send(event(choice(piece, nil, i == 0), nil)) {
			return
		}
		if x.Behaviour.LeakEvent {
			b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": x.leakText(), "type": "server_error"}})
			x.Send([]byte("data: " + string(b) + "\n\n"))
			return
		}
	}
	if !x.Send(event(choice("", finish, false), nil)) {
		return
	}
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage && !x.Send(event([]any{}, usage)) {
		return
	}
	if x.Send([]byte("data: [DONE]\n\n")) {
		x.EndStream()
	}
}

func serveOpenAIEmbeddings(x *Exchange, req *openaiRequest) {
	var inputs []string
	var one string
	switch {
	case json.Unmarshal(req.Input, &inputs) == nil:
	case json.Unmarshal(req.Input, &one) == nil:
		inputs = []string{one}
	default:
		x.Error(http.StatusBadRequest, "'input' must be a string or a list of strings")
		return
	}
	data := make([]any, len(inputs))
	var tokens int64
	for i, in := range inputs {
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": Embedding(in)}
		tokens += Tokens(in)
	}
	body, _ := json.Marshal(map[string]any{"object": "list", "data": data, "model": x.Model,
		"usage": map[string]int64{"prompt_tokens": tokens, "total_tokens": tokens}})
	x.Write(http.StatusOK, "application/json", body)
}
