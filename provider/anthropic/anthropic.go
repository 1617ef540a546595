// Package anthropic is MLflow's "anthropic" provider on Anthropic's Messages API. Chat maps
// to /v1/messages (system turns hoisted, consecutive same-role turns merged, max_tokens
// defaulted, OpenAI-shaped tools and tool calls carried as tool_use/tool_result blocks);
// completions are one user message. Streams are Anthropic's named SSE events.
//
// Temperature: MLflow accepts 0–2 and Anthropic 0–1; like MLflow's Anthropic provider, llmgate
// halves the caller's temperature, so configs and clients moved from MLflow behave the same.
package anthropic

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/kit"
)

// Config keys. anthropic_api_base is an llmgate addition (proxies, tests).
const (
	KeyAPIKey  = "anthropic_api_key"
	KeyVersion = "anthropic_version"
	KeyAPIBase = "anthropic_api_base"
)

// Defaults.
const (
	DefaultBase      = "https://api.anthropic.com/v1"
	DefaultVersion   = "2023-06-01"
	DefaultMaxTokens = 1024 // MLflow's default; the Messages API requires max_tokens
)

// Spec is MLflow's anthropic provider.
var Spec = &provider.Spec{
	Name:         "anthropic",
	Types:        []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions},
	Streams:      []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions},
	RequiredKeys: []string{KeyAPIKey},
	OptionalKeys: []string{KeyVersion, KeyAPIBase},
	Models: map[gateway.EndpointType][]string{
		gateway.TypeChat:        {"claude-sonnet-4-20250514", "claude-3-5-haiku-20241022", "claude-3-5-sonnet-20241022"},
		gateway.TypeCompletions: {"claude-3-5-haiku-20241022"},
	},
	Translator: Translator{},
}

// Translator implements provider.Translator for Anthropic.
type Translator struct{}

var _ provider.Translator = Translator{}

// Request builds POST {base}/messages.
func (Translator) Request(c *provider.Call) (*provider.HTTPRequest, error) {
	var chat *llm.ChatRequest
	switch {
	case c.Type == gateway.TypeChat && c.Req.Chat != nil:
		chat = c.Req.Chat
	case c.Type == gateway.TypeCompletions && c.Req.Completion != nil:
		chat = kit.ChatFromPrompt(c.Req.Completion)
	default:
		return nil, gateway.Errorf(gateway.CodeInvalid, "anthropic does not serve %s", c.Type)
	}
	body, err := messagesBody(c.Model, chat)
	if native := c.Req.NativeFor(llm.NativeAnthropic); native != nil && c.Type == gateway.TypeChat {
		body, err = nativeBody(c.Model, native)
	}
	if err != nil {
		return nil, err
	}
	base := strings.TrimSpace(c.Config[KeyAPIBase])
	if base == "" {
		base = DefaultBase
	}
	version := strings.TrimSpace(c.Config[KeyVersion])
	if version == "" {
		version = DefaultVersion
	}
	h := http.Header{"Content-Type": {"application/json"}, "X-Api-Key": {c.Config[KeyAPIKey]}, "Anthropic-Version": {version}}
	if chat.Stream {
		h.Set("Accept", "text/event-stream")
	}
	return &provider.HTTPRequest{Method: http.MethodPost, URL: kit.JoinURL(base, "/messages"), Header: h, Body: body}, nil
}

type textBlock struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// message is one Messages API turn; Content holds textBlock, toolUseBlock and toolResultBlock
// values.
type message struct {
	Role    string `json:"role"`
	Content []any  `json:"content"`
}

// messagesBody maps the canonical chat request. Extra fields (top_k, metadata, ...) are
// forwarded at the top level as MLflow does.
func messagesBody(model string, r *llm.ChatRequest) ([]byte, error) {
	if r.N != nil && *r.N > 1 {
		return nil, gateway.Errorf(gateway.CodeInvalid, "anthropic does not support n > 1")
	}
	var system []string
	var msgs []message
	for i, m := range r.Messages {
		text, ok := m.Text()
		if !ok {
			return nil, gateway.Errorf(gateway.CodeInvalid, "anthropic: messages[%d] has content parts other than text", i)
		}
		switch {
		case m.Role == "system":
			system = append(system, text)
		case m.Role == "assistant" && len(m.ToolCalls) > 0:
			msgs = appendTurn(msgs, m.Role, assistantToolBlocks(text, m.ToolCalls)...)
		case m.Role == "user" || m.Role == "assistant":
			msgs = appendTurn(msgs, m.Role, textBlock{Type: "text", Text: text})
		case m.Role == "tool" && m.ToolCallID != "":
			// Tool results travel in a user turn; appendTurn merges consecutive results.
			msgs = appendTurn(msgs, "user", toolResultBlock{Type: "tool_result", ToolUseID: m.ToolCallID, Content: text})
		default:
			return nil, gateway.Errorf(gateway.CodeInvalid, "anthropic: messages[%d] has role %q; only system, user, assistant and tool (with tool_call_id) are supported", i, m.Role)
		}
	}
	if len(msgs) == 0 {
		return nil, gateway.Errorf(gateway.CodeInvalid, "anthropic needs at least one user or assistant message")
	}
	fields := map[string]any{}
	for k, v := range r.Extra {
		fields[k] = v
	}
	if r.ResponseFormat != nil { // forwarded as an extra field, as before it was typed
		fields["response_format"] = r.ResponseFormat
	}
	if err := addTools(fields, r); err != nil {
		return nil, err
	}
	fields["model"] = model
	fields["messages"] = msgs
	fields["max_tokens"] = DefaultMaxTokens
	if r.MaxTokens != nil {
		fields["max_tokens"] = *r.MaxTokens
	}
	if len(system) > 0 {
		fields["system"] = strings.Join(system, "\n")
	}
	if r.Temperature != nil {
		fields["temperature"] = *r.Temperature / 2
	}
	if r.TopP != nil {
		fields["top_p"] = *r.TopP
	}
	if len(r.Stop) > 0 {
		fields["stop_sequences"] = r.Stop
	}
	delete(fields, "stream")
	if r.Stream {
		fields["stream"] = true
	}
	b, err := json.Marshal(fields)
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeInvalid, err, "request cannot be encoded")
	}
	return b, nil
}

// appendTurn merges consecutive same-role turns into one message with several blocks: the
// Messages API requires alternating roles.
func appendTurn(msgs []message, role string, blocks ...any) []message {
	if n := len(msgs); n > 0 && msgs[n-1].Role == role {
		msgs[n-1].Content = append(msgs[n-1].Content, blocks...)
		return msgs
	}
	return append(msgs, message{Role: role, Content: blocks})
}

// finishReason maps stop_reason to the client vocabulary.
func finishReason(stop string) string {
	switch stop {
	case "max_tokens", "model_context_window_exceeded":
		return llm.FinishLength
	case "tool_use":
		return llm.FinishToolCalls
	case "refusal":
		return llm.FinishContentFilter
	}
	return llm.FinishStop // end_turn, stop_sequence, pause_turn
}

// Error maps Anthropic's {"type":"error","error":{"type","message"}} answers; 529
// (overloaded_error) is an upstream failure.
func (Translator) Error(_ *provider.Call, status int, header http.Header, body []byte) *gateway.Error {
	return kit.StatusError("anthropic", status, header, kit.ProviderMessage(body))
}
