package anthropic

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
)

// wireUsage is the Messages API's usage object.
type wireUsage struct {
	InputTokens  int64 `json:"input_tokens"`
	OutputTokens int64 `json:"output_tokens"`
}

func toWireUsage(u llm.Usage) wireUsage {
	var w wireUsage
	if u.PromptTokens != nil {
		w.InputTokens = *u.PromptTokens
	}
	if u.CompletionTokens != nil {
		w.OutputTokens = *u.CompletionTokens
	}
	return w
}

// message is the Messages API's answer object.
type message struct {
	ID           string    `json:"id"`
	Type         string    `json:"type"`
	Role         string    `json:"role"`
	Model        string    `json:"model"`
	Content      []any     `json:"content"`
	StopReason   *string   `json:"stop_reason"`
	StopSequence *string   `json:"stop_sequence"`
	Usage        wireUsage `json:"usage"`
}

type textBlock struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type toolUseBlock struct {
	Type  string          `json:"type"`
	ID    string          `json:"id"`
	Name  string          `json:"name"`
	Input json.RawMessage `json:"input"`
}

// messageID keeps an Anthropic id and gives any other answer the msg_ prefix clients expect.
func messageID(id string) string {
	if strings.HasPrefix(id, "msg_") {
		return id
	}
	if id == "" {
		return "msg_" + gateway.NewID()
	}
	return "msg_" + id
}

// stopReason maps the canonical finish reason. A stop sequence and a natural end are both
// "stop" canonically, so stop_sequence is never reported (see the package comment).
func stopReason(finish string) string {
	switch finish {
	case llm.FinishLength:
		return "max_tokens"
	case llm.FinishToolCalls:
		return "tool_use"
	case llm.FinishContentFilter:
		return "refusal"
	}
	return "end_turn"
}

// toMessage renders the first choice of a chat answer as a Messages API message: its text
// (when any, or when there is nothing else), then one tool_use block per tool call.
func toMessage(r *llm.ChatResponse) message {
	m := message{ID: messageID(r.ID), Type: "message", Role: "assistant", Model: r.Model,
		Content: []any{}, Usage: toWireUsage(r.Usage)}
	stop := "end_turn"
	if len(r.Choices) > 0 {
		ch := r.Choices[0]
		calls := toolUses(ch.Message.ToolCalls)
		if text := ch.Message.Content; (text != nil && *text != "") || len(calls) == 0 {
			m.Content = append(m.Content, textBlock{Type: "text", Text: deref(text)})
		}
		for _, c := range calls {
			m.Content = append(m.Content, c)
		}
		if ch.FinishReason != nil {
			stop = stopReason(*ch.FinishReason)
		}
	}
	m.StopReason = &stop
	return m
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// toolUses reads OpenAI tool_calls; arguments that are not a JSON object (a provider's
// malformed output) become the empty input rather than an invalid block.
func toolUses(raw json.RawMessage) []toolUseBlock {
	if llm.Absent(raw) {
		return nil
	}
	var calls []struct {
		ID       string `json:"id"`
		Function struct {
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		} `json:"function"`
	}
	if json.Unmarshal(raw, &calls) != nil {
		return nil
	}
	out := make([]toolUseBlock, len(calls))
	for i, c := range calls {
		out[i] = toolUseBlock{Type: "tool_use", ID: c.ID, Name: c.Function.Name, Input: inputObject(c.Function.Arguments)}
	}
	return out
}

func inputObject(args string) json.RawMessage {
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(args), &obj) != nil || obj == nil {
		return json.RawMessage(`{}`)
	}
	var compact bytes.Buffer
	if json.Compact(&compact, []byte(args)) != nil {
		return json.RawMessage(`{}`)
	}
	return compact.Bytes()
}

// status maps errors to Anthropic's statuses: the shared table, except that every validation
// failure is 400 (Anthropic has no 422).
func status(err *gateway.Error) int { return httpkit.Status(err, statusOverrides) }

var statusOverrides = map[gateway.Code]int{gateway.CodeUnprocessable: http.StatusBadRequest}

// errorType is Anthropic's error type for a status (docs.anthropic.com/en/api/errors).
func errorType(code int) string {
	switch code {
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	case 529, http.StatusServiceUnavailable:
		return "overloaded_error"
	}
	if code >= 500 {
		return "api_error"
	}
	return "invalid_request_error"
}

type errorEnvelope struct {
	Type  string    `json:"type"`
	Error errorBody `json:"error"`
}

type errorBody struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

func envelope(code int, err *gateway.Error) errorEnvelope {
	return errorEnvelope{Type: "error", Error: errorBody{Type: errorType(code), Message: err.Message}}
}

func writeError(w http.ResponseWriter, code int, err *gateway.Error) {
	httpkit.SetRetryAfter(w, code, err.RetryAfter)
	httpkit.WriteJSON(w, code, envelope(code, err))
}

// appendEvent appends one named SSE event.
func appendEvent(dst []byte, name string, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return dst // only plain structs and maps are rendered; they always encode
	}
	dst = append(dst, "event: "...)
	dst = append(dst, name...)
	dst = append(dst, "\ndata: "...)
	dst = append(dst, b...)
	return append(dst, "\n\n"...)
}
