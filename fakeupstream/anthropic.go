package fakeupstream

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Anthropic Messages API under /v1/messages, keyed by "x-api-key"; "anthropic-version" is
// required as on the real API.
func init() {
	Register(&Provider{
		Name:   "anthropic",
		Routes: []string{"POST /v1/messages", "POST /v1/messages/count_tokens"},
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
	Tools     []struct {
		Name        string          `json:"name"`
		InputSchema json.RawMessage `json:"input_schema"`
	} `json:"tools"`
	ToolChoice *struct {
		Type string `json:"type"`
		Name string `json:"name"`
	} `json:"tool_choice"`
	// Thinking {"type":"enabled","budget_tokens":N} opens the answer with a thinking block
	// (signed, as the real API's are); StopSequences cut the reply at the first one found.
	Thinking *struct {
		Type         string `json:"type"`
		BudgetTokens int    `json:"budget_tokens"`
	} `json:"thinking"`
	StopSequences []string `json:"stop_sequences"`
}

// FakeThinking and FakeSignature are the fake's thinking block, so tests can tell that a
// client received the provider's own answer.
const (
	FakeThinking  = "the fake considers the question"
	FakeSignature = "fake-signature-EqQBCgIYAhIM"
)

// anthropicExtras are the parts of an answer only a faithfully relayed request gets: the
// thinking block, the stop sequence hit, and cache-creation tokens for cache_control blocks.
type anthropicExtras struct {
	thinking      bool
	stopSequence  *string
	cacheCreation int64
	toolError     bool
}

// anthropicExtrasOf reads them from the request, cutting reply at a stop sequence. A tool
// result marked is_error makes the reply say so.
func anthropicExtrasOf(req *anthropicRequest, body []byte, reply string) (anthropicExtras, string) {
	var ex anthropicExtras
	ex.thinking = req.Thinking != nil && req.Thinking.Type == "enabled"
	for _, seq := range req.StopSequences {
		if i := strings.Index(reply, seq); seq != "" && i >= 0 {
			reply, ex.stopSequence = reply[:i], &seq
			break
		}
	}
	if n := strings.Count(string(body), `"cache_control"`); n > 0 {
		ex.cacheCreation = int64(n) * 10
	}
	ex.toolError = strings.Contains(string(body), `"is_error":true`) || strings.Contains(string(body), `"is_error": true`)
	if ex.toolError {
		reply = "the tool failed: " + reply
	}
	return ex, reply
}

func (ex anthropicExtras) usage(input, output int64) map[string]int64 {
	u := map[string]int64{"input_tokens": input, "output_tokens": output}
	if ex.cacheCreation > 0 {
		u["cache_creation_input_tokens"], u["cache_read_input_tokens"] = ex.cacheCreation, 0
	}
	return u
}

// anthropicBlock is the part of a content block the tool checks read.
type anthropicBlock struct {
	Type      string `json:"type"`
	ID        string `json:"id"`
	ToolUseID string `json:"tool_use_id"`
}

// anthropicBlocks reads list content; string content has no blocks.
func anthropicBlocks(raw json.RawMessage) []anthropicBlock {
	var blocks []anthropicBlock
	_ = json.Unmarshal(raw, &blocks) // string content: no blocks
	return blocks
}

// anthropicIDs returns the ids of blocks of type typ (tool_use ids, or the tool_use_id of
// tool_result blocks).
func anthropicIDs(raw json.RawMessage, typ string) []string {
	var ids []string
	for _, b := range anthropicBlocks(raw) {
		if b.Type == typ {
			ids = append(ids, b.ID+b.ToolUseID)
		}
	}
	return ids
}

// anthropicToolProblem applies the real API's tool rules: every tool has a name and an
// input_schema object, a named tool_choice names a declared tool, and every tool_use is
// answered by a tool_result in the very next (user) turn and vice versa. It returns the
// 400 message, or "".
func anthropicToolProblem(req *anthropicRequest) string {
	names := map[string]bool{}
	for i, t := range req.Tools {
		if t.Name == "" || !strings.HasPrefix(strings.TrimSpace(string(t.InputSchema)), "{") {
			return fmt.Sprintf("tools.%d: name and input_schema (an object) are required", i)
		}
		names[t.Name] = true
	}
	if c := req.ToolChoice; c != nil && c.Type == "tool" && !names[c.Name] {
		return fmt.Sprintf("tool_choice: tool %q is not in tools", c.Name)
	}
	for i, m := range req.Messages {
		var previousUses []string
		if i > 0 && req.Messages[i-1].Role == "assistant" {
			previousUses = anthropicIDs(req.Messages[i-1].Content, "tool_use")
		}
		results := anthropicIDs(m.Content, "tool_result")
		if m.Role != "user" {
			results = nil
		}
		if missing := without(previousUses, results); len(missing) > 0 {
			return fmt.Sprintf("messages.%d: `tool_use` ids were found without `tool_result` blocks immediately after: %s", i-1, strings.Join(missing, ", "))
		}
		if unexpected := without(results, previousUses); len(unexpected) > 0 {
			return fmt.Sprintf("messages.%d: unexpected `tool_use_id` found in `tool_result` blocks: %s", i, strings.Join(unexpected, ", "))
		}
	}
	if n := len(req.Messages); n > 0 && req.Messages[n-1].Role == "assistant" && len(anthropicIDs(req.Messages[n-1].Content, "tool_use")) > 0 {
		return fmt.Sprintf("messages.%d: `tool_use` ids were found without `tool_result` blocks immediately after", n-1)
	}
	return ""
}

// without returns the ids of want that are not in have.
func without(want, have []string) []string {
	var out []string
	for _, id := range want {
		if !slices.Contains(have, id) {
			out = append(out, id)
		}
	}
	return out
}

// anthropicToolToCall decides the fake's tool use: with tools declared and tool_choice not
// "none", it calls the named tool ("tool"), else the first one — except on "auto" right after
// tool results, where it answers in text so a client's tool loop ends.
func anthropicToolToCall(req *anthropicRequest) (string, bool) {
	if len(req.Tools) == 0 {
		return "", false
	}
	choice := "auto"
	if req.ToolChoice != nil {
		choice = req.ToolChoice.Type
	}
	switch choice {
	case "none":
		return "", false
	case "tool":
		return req.ToolChoice.Name, true
	case "any":
		return req.Tools[0].Name, true
	}
	last := req.Messages[len(req.Messages)-1]
	return req.Tools[0].Name, len(anthropicIDs(last.Content, "tool_result")) == 0
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
	if strings.HasSuffix(x.R.URL.Path, "/count_tokens") {
		countAnthropicTokens(x)
		return
	}
	var req anthropicRequest
	if err := json.Unmarshal(x.Body, &req); err != nil || len(req.Messages) == 0 || req.MaxTokens <= 0 {
		x.Error(http.StatusBadRequest, "messages and max_tokens are required")
		return
	}
	if problem := anthropicToolProblem(&req); problem != "" {
		x.Error(http.StatusBadRequest, problem)
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
	reply, cut := Truncate(x.Reply(prompt), req.MaxTokens)
	stop := "end_turn"
	if cut {
		stop = "max_tokens"
	}
	ex, reply := anthropicExtrasOf(&req, x.Body, reply)
	if ex.stopSequence != nil {
		stop = "stop_sequence"
	}
	id := fmt.Sprintf("msg_fake%d", time.Now().UnixNano())
	if tool, ok := anthropicToolToCall(&req); ok {
		serveAnthropicToolUse(x, id, tool, prompt, promptTokens, req.Stream)
		return
	}
	if req.Stream {
		streamAnthropic(x, id, reply, stop, promptTokens, ex)
		return
	}
	var content []any
	if ex.thinking {
		content = append(content, map[string]string{"type": "thinking", "thinking": FakeThinking, "signature": FakeSignature})
	}
	content = append(content, map[string]string{"type": "text", "text": reply})
	body, _ := json.Marshal(map[string]any{"id": id, "type": "message", "role": "assistant", "model": x.Model,
		"content": content, "stop_reason": stop, "stop_sequence": ex.stopSequence,
		"usage": ex.usage(promptTokens, Tokens(reply))})
	x.Write(http.StatusOK, "application/json", body)
}

// countAnthropicTokens answers count_tokens: the words of the system prompt and messages
// (the same count the answers' usage reports as input_tokens). Like the real API it refuses
// max_tokens, which count_tokens does not take.
func countAnthropicTokens(x *Exchange) {
	var req anthropicRequest
	var fields map[string]json.RawMessage
	if json.Unmarshal(x.Body, &req) != nil || json.Unmarshal(x.Body, &fields) != nil || len(req.Messages) == 0 {
		x.Error(http.StatusBadRequest, "messages: Field required")
		return
	}
	if _, ok := fields["max_tokens"]; ok {
		x.Error(http.StatusBadRequest, "max_tokens: Extra inputs are not permitted")
		return
	}
	n := Tokens(anthropicText(req.System))
	for _, m := range req.Messages {
		n += Tokens(anthropicText(m.Content))
	}
	body, _ := json.Marshal(map[string]int64{"input_tokens": n})
	x.Write(http.StatusOK, "application/json", body)
}

func anthropicEvent(kind string, payload map[string]any) []byte {
	payload["type"] = kind
	b, _ := json.Marshal(payload)
	return []byte("event: " + kind + "\ndata: " + string(b) + "\n\n")
}

func anthropicMessageStart(x *Exchange, id string, promptTokens int64, ex anthropicExtras) []byte {
	return anthropicEvent("message_start", map[string]any{"message": map[string]any{"id": id, "type": "message", "role": "assistant", "content": []any{},
		"model": x.Model, "stop_reason": nil, "stop_sequence": nil, "usage": ex.usage(promptTokens, 1)}})
}

func anthropicMessageEnd(stop string, outputTokens int64, stopSequence *string) [][]byte {
	return [][]byte{
		anthropicEvent("message_delta", map[string]any{"delta": map[string]any{"stop_reason": stop, "stop_sequence": stopSequence}, "usage": map[string]int64{"output_tokens": outputTokens}}),
		anthropicEvent("message_stop", map[string]any{}),
	}
}

func streamAnthropic(x *Exchange, id, reply, stop string, promptTokens int64, ex anthropicExtras) {
	events := [][]byte{anthropicMessageStart(x, id, promptTokens, ex)}
	text := 0
	if ex.thinking {
		text = 1
		events = append(events,
			anthropicEvent("content_block_start", map[string]any{"index": 0, "content_block": map[string]string{"type": "thinking", "thinking": ""}}),
			anthropicEvent("content_block_delta", map[string]any{"index": 0, "delta": map[string]string{"type": "thinking_delta", "thinking": FakeThinking}}),
			anthropicEvent("content_block_delta", map[string]any{"index": 0, "delta": map[string]string{"type": "signature_delta", "signature": FakeSignature}}),
			anthropicEvent("content_block_stop", map[string]any{"index": 0}))
	}
	events = append(events,
		anthropicEvent("content_block_start", map[string]any{"index": text, "content_block": map[string]string{"type": "text", "text": ""}}),
		anthropicEvent("ping", map[string]any{}))
	for _, piece := range x.Pieces(reply) {
		events = append(events, anthropicEvent("content_block_delta", map[string]any{"index": text, "delta": map[string]string{"type": "text_delta", "text": piece}}))
	}
	events = append(events, anthropicEvent("content_block_stop", map[string]any{"index": text}))
	sendAnthropic(x, append(events, anthropicMessageEnd(stop, Tokens(reply), ex.stopSequence)...))
}

func sendAnthropic(x *Exchange, events [][]byte) {
	x.StartStream("text/event-stream; charset=utf-8")
	for _, ev := range events {
		if !x.Send(ev) {
			return
		}
	}
	x.EndStream()
}

// serveAnthropicToolUse answers with one tool_use block calling tool with {"text": prompt};
// streamed, the input arrives as input_json_delta pieces the way the real API splits it.
func serveAnthropicToolUse(x *Exchange, id, tool, prompt string, promptTokens int64, stream bool) {
	value, _ := json.Marshal(prompt)
	input := `{"text": ` + string(value) + `}`
	useID := "toolu_" + strings.TrimPrefix(id, "msg_")
	outputTokens := Tokens(input)
	if !stream {
		body, _ := json.Marshal(map[string]any{"id": id, "type": "message", "role": "assistant", "model": x.Model,
			"content":     []any{map[string]any{"type": "tool_use", "id": useID, "name": tool, "input": json.RawMessage(input)}},
			"stop_reason": "tool_use", "stop_sequence": nil,
			"usage": map[string]int64{"input_tokens": promptTokens, "output_tokens": outputTokens}})
		x.Write(http.StatusOK, "application/json", body)
		return
	}
	events := [][]byte{
		anthropicMessageStart(x, id, promptTokens, anthropicExtras{}),
		anthropicEvent("content_block_start", map[string]any{"index": 0, "content_block": map[string]any{"type": "tool_use", "id": useID, "name": tool, "input": map[string]any{}}}),
	}
	for _, piece := range []string{"", `{"text": `, string(value) + `}`} {
		events = append(events, anthropicEvent("content_block_delta", map[string]any{"index": 0, "delta": map[string]string{"type": "input_json_delta", "partial_json": piece}}))
	}
	events = append(events, anthropicEvent("content_block_stop", map[string]any{"index": 0}))
	sendAnthropic(x, append(events, anthropicMessageEnd("tool_use", outputTokens, nil)...))
}
