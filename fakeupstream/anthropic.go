package fakeupstream

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Anthropic Messages API under /v1/messages, keyed by "x-api-key"; "anthropic-version" is
// required as on the real API.
func init() {
	Register(&Provider{
		Name:   "anthropic",
		Routes: []string{"POST /v1/messages"},
		Model: func(_ *http.Request, body []byte) string {
			var r struct {
				Model string `json:"model"`
			}
			_ = json.Unmarshal(body, &r) // no model: the answer is a 400
			return r.Model
		},
		Credential: func(r *http.Request) string { return r.Header.Get("x-api-key") },
		WriteError: writeAnthropicError,
		Serve:      serveAnthropic,
	})
}

// writeAnthropicError writes {"type":"error","error":{"type","message"}} with the error type
// Anthropic uses for the status (docs.anthropic.com/en/api/errors).
func writeAnthropicError(w http.ResponseWriter, status int, message string) {
	types := map[int]string{400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
		404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 529: "overloaded_error"}
	typ, ok := types[status]
	if !ok {
		typ = "api_error"
	}
	if status == http.StatusUnauthorized {
		message = "invalid x-api-key"
	}
	writeJSON(w, status, map[string]any{"type": "error", "error": map[string]string{"type": typ, "message": message}})
}

type anthropicRequest struct {
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	System    json.RawMessage `json:"system"`
	MaxTokens int             `json:"max_tokens"`
	Stream    bool            `json:"stream"`
}

// anthropicText reads string content or a list of text blocks.
func anthropicText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var blocks []struct {
		Text string `json:"text"`
	}
	_ = json.Unmarshal(raw, &blocks) // anything else has no text
	parts := make([]string, len(blocks))
	for i, b := range blocks {
		parts[i] = b.Text
	}
	return strings.Join(parts, "\n")
}

func serveAnthropic(x *Exchange) {
	if x.R.Header.Get("anthropic-version") == "" {
		x.Error(http.StatusBadRequest, "anthropic-version: header is required")
		return
	}
	var req anthropicRequest
	if err := json.Unmarshal(x.Body, &req); err != nil || len(req.Messages) == 0 || req.MaxTokens <= 0 {
		x.Error(http.StatusBadRequest, "messages and max_tokens are required")
		return
	}
	promptTokens := Tokens(anthropicText(req.System))
	var prompt string
	for _, m := range req.Messages {
		text := anthropicText(m.Content)
		promptTokens += Tokens(text)
		if m.Role == "user" {
			prompt = text
		}
	}
	reply, cut := Truncate(Reply(prompt), req.MaxTokens)
	stop := "end_turn"
	if cut {
		stop = "max_tokens"
	}
	id := fmt.Sprintf("msg_fake%d", time.Now().UnixNano())
	if req.Stream {
		streamAnthropic(x, id, reply, stop, promptTokens)
		return
	}
	body, _ := json.Marshal(map[string]any{"id": id, "type": "message", "role": "assistant", "model": x.Model,
		"content": []any{map[string]string{"type": "text", "text": reply}}, "stop_reason": stop, "stop_sequence": nil,
		"usage": map[string]int64{"input_tokens": promptTokens, "output_tokens": Tokens(reply)}})
	x.Write(http.StatusOK, "application/json", body)
}

func streamAnthropic(x *Exchange, id, reply, stop string, promptTokens int64) {
	event := func(kind string, payload map[string]any) []byte {
		payload["type"] = kind
		b, _ := json.Marshal(payload)
		return []byte("event: " + kind + "\ndata: " + string(b) + "\n\n")
	}
	events := [][]byte{
		event("message_start", map[string]any{"message": map[string]any{"id": id, "type": "message", "role": "assistant", "content": []any{},
			"model": x.Model, "stop_reason": nil, "stop_sequence": nil, "usage": map[string]int64{"input_tokens": promptTokens, "output_tokens": 1}}}),
		event("content_block_start", map[string]any{"index": 0, "content_block": map[string]string{"type": "text", "text": ""}}),
		event("ping", map[string]any{}),
	}
	for _, piece := range Pieces(reply) {
		events = append(events, event("content_block_delta", map[string]any{"index": 0, "delta": map[string]string{"type": "text_delta", "text": piece}}))
	}
	events = append(events,
		event("content_block_stop", map[string]any{"index": 0}),
		event("message_delta", map[string]any{"delta": map[string]any{"stop_reason": stop, "stop_sequence": nil}, "usage": map[string]int64{"output_tokens": Tokens(reply)}}),
		event("message_stop", map[string]any{}))
	x.StartStream("text/event-stream; charset=utf-8")
	for _, ev := range events {
		if !x.Send(ev) {
			return
		}
	}
	x.EndStream()
}
