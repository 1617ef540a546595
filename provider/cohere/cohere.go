// Package cohere translates llmgate's canonical requests to Cohere's v2 API: chat
// (completions are one user message, as in MLflow), embed, and the v2 chat stream of typed
// SSE events. Cohere v2 messages and tools are OpenAI-shaped, so tool calling passes through.
//
// Config keys: cohere_api_key (required, Bearer) and cohere_api_base (optional, default
// https://api.cohere.com) so tests can point at a fake.
package cohere

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

// DefaultBaseURL is Cohere's public API root.
const DefaultBaseURL = "https://api.cohere.com"

// Config keys.
const (
	KeyAPIKey  = "cohere_api_key"
	KeyAPIBase = "cohere_api_base"
)

const name = "cohere"

// Spec is MLflow's cohere provider.
var Spec = &provider.Spec{
	Name:         name,
	Types:        []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions, gateway.TypeEmbeddings},
	Streams:      []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions},
	RequiredKeys: []string{KeyAPIKey},
	OptionalKeys: []string{KeyAPIBase},
	Models: map[gateway.EndpointType][]string{
		gateway.TypeChat:        {"command-a-03-2025", "command-r-plus-08-2024", "command-r-08-2024", "command-r7b-12-2024"},
		gateway.TypeCompletions: {"command-a-03-2025", "command-r-08-2024"},
		gateway.TypeEmbeddings:  {"embed-v4.0", "embed-english-v3.0", "embed-multilingual-v3.0"},
	},
	Translator: Translator{},
}

// Translator is the Cohere v2 wire.
type Translator struct{}

// renamed maps OpenAI/MLflow parameter names onto Cohere's.
var renamed = map[string]string{"top_p": "p", "top_k": "k", "max_completion_tokens": "max_tokens"}

// dropped are OpenAI-only fields Cohere rejects or has no meaning for.
var dropped = map[string]bool{"user": true, "logit_bias": true, "stream_options": true, "model": true, "n": true, "parallel_tool_calls": true}

// message is a v2 chat message; content is passed through raw because v2 accepts OpenAI's
// string or content-part list.
type message struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content,omitempty"`
	ToolCalls  []llm.ToolCall  `json:"tool_calls,omitempty"`
	ToolCallID string          `json:"tool_call_id,omitempty"`
}

func (Translator) Request(c *provider.Call) (*provider.HTTPRequest, error) {
	var body map[string]any
	var err error
	path := "/v2/chat"
	switch c.Type {
	case gateway.TypeChat, gateway.TypeCompletions:
		body, err = chatBody(c)
	case gateway.TypeEmbeddings:
		path = "/v2/embed"
		body, err = embedBody(c)
	default:
		err = gateway.Errorf(gateway.CodeInvalid, "provider %q does not support endpoint type %q", name, c.Type)
	}
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeInternal, err, "encoding the upstream request failed")
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+c.Config[KeyAPIKey])
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	return &provider.HTTPRequest{Method: "POST", URL: baseURL(c.Config) + path, Header: h, Body: b}, nil
}

func baseURL(config map[string]string) string {
	if b := strings.TrimRight(config[KeyAPIBase], "/"); b != "" {
		return b
	}
	return DefaultBaseURL
}

func chatBody(c *provider.Call) (map[string]any, error) {
	p := c.Req.Params()
	if p == nil {
		return nil, gateway.Errorf(gateway.CodeInvalid, "provider %q needs a chat or completions request", name)
	}
	if p.N != nil && *p.N > 1 {
		return nil, gateway.Errorf(gateway.CodeInvalid, "provider %q returns one choice per request; n must be 1", name)
	}
	body := map[string]any{}
	for k, v := range c.Req.ExtraFields() {
		if dropped[k] {
			continue
		}
		if to, ok := renamed[k]; ok {
			k = to
		}
		body[k] = v
	}
	msgs, err := messages(c.Req)
	if err != nil {
		return nil, err
	}
	body["model"] = c.Model
	body["messages"] = msgs
	body["stream"] = p.Stream
	setIf(body, "temperature", p.Temperature)
	setIf(body, "p", p.TopP)
	setIf(body, "max_tokens", p.MaxTokens)
	if len(p.Stop) > 0 {
		body["stop_sequences"] = p.Stop
	}
	if r := c.Req.Chat; r != nil {
		if err := addTools(body, r); err != nil {
			return nil, err
		}
	}
	return body, nil
}

// addTools sets tools (v2 takes OpenAI's function tools as they are), tool_choice (v2 knows
// only REQUIRED and NONE; auto is its default) and response_format.
func addTools(body map[string]any, r *llm.ChatRequest) error {
	if len(r.Tools) > 0 {
		body["tools"] = r.Tools
	}
	if r.ResponseFormat != nil {
		body["response_format"] = r.ResponseFormat
	}
	if r.ToolChoice == nil {
		return nil
	}
	switch r.ToolChoice.Mode {
	case llm.ToolChoiceRequired:
		body["tool_choice"] = "REQUIRED"
	case llm.ToolChoiceNone:
		body["tool_choice"] = "NONE"
	case llm.ToolChoiceFunction:
		return gateway.Errorf(gateway.CodeInvalid, "provider %q cannot be told which tool to call; tool_choice must be auto, required or none", name)
	}
	return nil
}

func setIf[T any](body map[string]any, key string, v *T) {
	if v != nil {
		body[key] = *v
	}
}

func messages(r *llm.Request) ([]message, error) {
	if r.Completion != nil {
		return []message{{Role: "user", Content: llm.StringContent(r.Completion.Prompt)}}, nil
	}
	out := make([]message, 0, len(r.Chat.Messages))
	for i, m := range r.Chat.Messages {
		switch m.Role {
		case "system", "user", "assistant", "tool":
		case "developer":
			m.Role = "system"
		default:
			return nil, gateway.Errorf(gateway.CodeInvalid, "provider %q: messages[%d] has unsupported role %q", name, i, m.Role)
		}
		content := m.Content
		if string(content) == "null" {
			content = nil
		}
		out = append(out, message{Role: m.Role, Content: content, ToolCalls: m.ToolCalls, ToolCallID: m.ToolCallID})
	}
	return out, nil
}

// embedBody builds a v2 embed request. input_type is required by v3+ models; MLflow callers
// rarely send it, so it defaults to search_document (overridable as an extra field).
func embedBody(c *provider.Call) (map[string]any, error) {
	e := c.Req.Embeddings
	if e == nil || len(e.Input) == 0 {
		return nil, gateway.Errorf(gateway.CodeInvalid, "provider %q: embeddings need at least one input", name)
	}
	body := map[string]any{}
	for k, v := range e.Extra {
		switch k {
		case "dimensions":
			body["output_dimension"] = v
		case "encoding_format", "user", "model":
		default:
			body[k] = v
		}
	}
	body["model"] = c.Model
	body["texts"] = e.Input
	body["embedding_types"] = []string{"float"}
	if _, ok := body["input_type"]; !ok {
		body["input_type"] = "search_document"
	}
	return body, nil
}
