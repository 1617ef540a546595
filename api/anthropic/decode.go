package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/internal/jsonobj"
	"github.com/llmgate/llmgate/llm"
)

// wireRequest is a Messages API request body. Polymorphic members stay raw and are read by
// the functions below; fields not named here (thinking, metadata, service_tier, …) are
// ignored, see the package comment.
type wireRequest struct {
	Model         string          `json:"model"`
	Messages      json.RawMessage `json:"messages"`
	System        json.RawMessage `json:"system"`
	MaxTokens     *int            `json:"max_tokens"`
	StopSequences []string        `json:"stop_sequences"`
	Stream        bool            `json:"stream"`
	Temperature   *float64        `json:"temperature"`
	TopP          *float64        `json:"top_p"`
	TopK          *int            `json:"top_k"`
	Tools         json.RawMessage `json:"tools"`
	ToolChoice    json.RawMessage `json:"tool_choice"`
}

// wireMessage is one turn; Content is a string or a list of blocks.
type wireMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// block is any content block; each type uses some of the fields.
type block struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	Source    *struct {
		Type      string `json:"type"`
		MediaType string `json:"media_type"`
		Data      string `json:"data"`
		URL       string `json:"url"`
	} `json:"source"`
}

func invalid(field, format string, args ...any) *gateway.Error {
	msg := fmt.Sprintf(format, args...)
	if field != "" {
		msg = field + ": " + msg
	}
	return &gateway.Error{Code: gateway.CodeInvalid, Field: field, Message: msg}
}

// decodeBody reads a body into wireRequest, naming the field of a JSON type mismatch.
func decodeBody(body []byte) (*wireRequest, *gateway.Error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, invalid("", "request body must be a JSON object")
	}
	var w wireRequest
	if err := json.Unmarshal(trimmed, &w); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, invalid(te.Field, "Input should be a valid %s", jsonKind(te.Type.Kind().String()))
		}
		return nil, &gateway.Error{Code: gateway.CodeInvalid, Message: jsonobj.ErrorText(err, jsonobj.Lead(body)), Err: err}
	}
	return &w, nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64":
		return "integer"
	case "float64":
		return "number"
	case "bool":
		return "boolean"
	case "slice":
		return "list"
	}
	return goKind
}

// Decode turns a Messages request into the canonical chat request. Temperature is doubled:
// the canonical scale is MLflow's 0–2, which the anthropic provider halves back, so an
// Anthropic endpoint receives exactly the caller's value (other providers get the same
// position on their 0–2 scale).
func decodeRequest(body []byte) (*llm.Request, *gateway.Error) {
	w, err := decodeBody(body)
	if err != nil {
		return nil, err
	}
	if err := checkParams(w); err != nil {
		return nil, err
	}
	msgs, err := systemMessages(w.System)
	if err != nil {
		return nil, err
	}
	turns, err := decodeMessages(w.Messages)
	if err != nil {
		return nil, err
	}
	c := &llm.ChatRequest{Messages: append(msgs, turns...)}
	c.MaxTokens, c.TopP, c.Stream = w.MaxTokens, w.TopP, w.Stream
	c.Stop = w.StopSequences
	if w.Temperature != nil {
		t := *w.Temperature * 2
		c.Temperature = &t
	}
	if w.TopK != nil {
		c.Extra = map[string]json.RawMessage{"top_k": json.RawMessage(fmt.Sprint(*w.TopK))}
	}
	if err := decodeTools(w, c); err != nil {
		return nil, err
	}
	// An endpoint of provider anthropic is sent the body itself (see the package comment).
	return &llm.Request{Type: gateway.TypeChat, Chat: c, Native: &llm.Native{API: llm.NativeAnthropic, Body: body}}, nil
}

func checkParams(w *wireRequest) *gateway.Error {
	switch {
	case w.MaxTokens == nil:
		return invalid("max_tokens", "Field required")
	case *w.MaxTokens < 1 || *w.MaxTokens > llm.MaxTokens:
		return invalid("max_tokens", "Input should be between 1 and %d", llm.MaxTokens)
	case w.Temperature != nil && (*w.Temperature < 0 || *w.Temperature > 1):
		return invalid("temperature", "Input should be between 0 and 1")
	case w.TopP != nil && (*w.TopP < 0 || *w.TopP > 1):
		return invalid("top_p", "Input should be between 0 and 1")
	case w.TopK != nil && *w.TopK < 0:
		return invalid("top_k", "Input should be greater than or equal to 0")
	}
	return nil
}

// systemMessages reads system as a string or a list of text blocks.
func systemMessages(raw json.RawMessage) ([]llm.Message, *gateway.Error) {
	if llm.Absent(raw) {
		return nil, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []llm.Message{{Role: "system", Content: llm.StringContent(s)}}, nil
	}
	var blocks []block
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return nil, invalid("system", "Input should be a string or a list of text blocks")
	}
	texts := make([]string, 0, len(blocks))
	for i, b := range blocks {
		if b.Type != "text" {
			return nil, invalid(fmt.Sprintf("system.%d.type", i), "system blocks must be text blocks")
		}
		texts = append(texts, b.Text)
	}
	return []llm.Message{{Role: "system", Content: llm.StringContent(strings.Join(texts, "\n"))}}, nil
}

func decodeMessages(raw json.RawMessage) ([]llm.Message, *gateway.Error) {
	if llm.Absent(raw) {
		return nil, invalid("messages", "Field required")
	}
	var in []wireMessage
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, invalid("messages", "Input should be a list of messages")
	}
	if len(in) == 0 || len(in) > llm.MaxMessages {
		return nil, invalid("messages", "between 1 and %d messages are required", llm.MaxMessages)
	}
	var out []llm.Message
	for i, m := range in {
		blocks, err := contentBlocks(i, m.Content)
		if err != nil {
			return nil, err
		}
		var msgs []llm.Message
		switch m.Role {
		case "user":
			msgs, err = userTurn(i, blocks)
		case "assistant":
			msgs, err = assistantTurn(i, blocks)
		case "system": // mid-conversation instructions, as Claude Code sends them
			msgs, err = systemTurn(i, blocks)
		default:
			return nil, invalid(fmt.Sprintf("messages.%d.role", i), "Input should be 'user', 'assistant' or 'system'")
		}
		if err != nil {
			return nil, err
		}
		out = append(out, msgs...)
	}
	return out, nil
}

// contentBlocks reads content as a string (one text block) or a list of blocks.
func contentBlocks(i int, raw json.RawMessage) ([]block, *gateway.Error) {
	field := fmt.Sprintf("messages.%d.content", i)
	if llm.Absent(raw) {
		return nil, invalid(field, "Field required")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []block{{Type: "text", Text: s}}, nil
	}
	var blocks []block
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return nil, invalid(field, "Input should be a string or a list of content blocks")
	}
	return blocks, nil
}

// systemTurn maps a system message among the turns (text blocks only).
func systemTurn(i int, blocks []block) ([]llm.Message, *gateway.Error) {
	texts := make([]string, 0, len(blocks))
	for j, b := range blocks {
		if b.Type != "text" {
			return nil, invalid(fmt.Sprintf("messages.%d.content.%d.type", i, j), "system turns carry text blocks only")
		}
		texts = append(texts, b.Text)
	}
	return []llm.Message{{Role: "system", Content: llm.StringContent(strings.Join(texts, "\n"))}}, nil
}

// userTurn maps a user turn: its tool_result blocks become tool messages (first, as OpenAI
// requires them right after the assistant's calls), the rest one user message.
func userTurn(i int, blocks []block) ([]llm.Message, *gateway.Error) {
	var out []llm.Message
	var parts []map[string]any
	for j, b := range blocks {
		field := fmt.Sprintf("messages.%d.content.%d", i, j)
		switch b.Type {
		case "text":
			parts = append(parts, map[string]any{"type": "text", "text": b.Text})
		case "image":
			part, err := imagePart(field, b)
			if err != nil {
				return nil, err
			}
			parts = append(parts, part)
		case "tool_result":
			m, err := toolResult(field, b)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		default:
			return nil, invalid(field+".type", "content block type %q is not supported by llmgate (text, image, tool_result in user turns)", b.Type)
		}
	}
	if len(parts) > 0 {
		out = append(out, llm.Message{Role: "user", Content: partsContent(parts)})
	}
	return out, nil
}

// partsContent is a plain string for a single text part (every provider carries it), else
// OpenAI's list of content parts.
func partsContent(parts []map[string]any) json.RawMessage {
	if len(parts) == 1 && parts[0]["type"] == "text" {
		return llm.StringContent(parts[0]["text"].(string))
	}
	b, _ := json.Marshal(parts)
	return b
}

func imagePart(field string, b block) (map[string]any, *gateway.Error) {
	var url string
	switch {
	case b.Source != nil && b.Source.Type == "base64" && b.Source.MediaType != "" && b.Source.Data != "":
		url = "data:" + b.Source.MediaType + ";base64," + b.Source.Data
	case b.Source != nil && b.Source.Type == "url" && b.Source.URL != "":
		url = b.Source.URL
	default:
		return nil, invalid(field+".source", "image source must be {type: base64, media_type, data} or {type: url, url}")
	}
	return map[string]any{"type": "image_url", "image_url": map[string]string{"url": url}}, nil
}

// toolResult maps a tool_result block (content a string or text blocks) to a tool message.
func toolResult(field string, b block) (llm.Message, *gateway.Error) {
	if b.ToolUseID == "" {
		return llm.Message{}, invalid(field+".tool_use_id", "Field required")
	}
	text := ""
	if !llm.Absent(b.Content) {
		blocks, err := contentBlocks(0, b.Content)
		if err != nil {
			return llm.Message{}, invalid(field+".content", "Input should be a string or a list of text blocks")
		}
		texts := make([]string, 0, len(blocks))
		for _, c := range blocks {
			if c.Type != "text" {
				return llm.Message{}, invalid(field+".content", "tool results carrying %q blocks are not supported by llmgate (text only)", c.Type)
			}
			texts = append(texts, c.Text)
		}
		text = strings.Join(texts, "\n")
	}
	return llm.Message{Role: "tool", ToolCallID: b.ToolUseID, Content: llm.StringContent(text)}, nil
}

// assistantTurn maps text blocks to the content and tool_use blocks to tool_calls; thinking
// blocks are dropped (no canonical place for them).
func assistantTurn(i int, blocks []block) ([]llm.Message, *gateway.Error) {
	var text strings.Builder
	var calls []llm.ToolCall
	for j, b := range blocks {
		field := fmt.Sprintf("messages.%d.content.%d", i, j)
		switch b.Type {
		case "text":
			text.WriteString(b.Text)
		case "tool_use":
			if b.ID == "" || b.Name == "" {
				return nil, invalid(field, "tool_use blocks need an id and a name")
			}
			input := b.Input
			if llm.Absent(input) {
				input = json.RawMessage(`{}`)
			} else if bytes.TrimSpace(input)[0] != '{' {
				return nil, invalid(field+".input", "Input should be an object")
			}
			calls = append(calls, llm.ToolCall{ID: b.ID, Name: b.Name, Arguments: input})
		case "thinking", "redacted_thinking":
		default:
			return nil, invalid(field+".type", "content block type %q is not supported by llmgate (text, tool_use in assistant turns)", b.Type)
		}
	}
	m := llm.Message{Role: "assistant", Content: llm.StringContent(text.String())}
	if len(calls) > 0 {
		m.ToolCalls = calls
		if text.Len() == 0 {
			m.Content = json.RawMessage(`null`)
		}
	}
	return []llm.Message{m}, nil
}

// wireTool is a Messages API tool; only client ("custom") tools have a canonical form.
type wireTool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"input_schema"`
}

// decodeTools maps tools to OpenAI function tools and tool_choice to its OpenAI form;
// disable_parallel_tool_use becomes parallel_tool_calls=false.
func decodeTools(w *wireRequest, c *llm.ChatRequest) *gateway.Error {
	if !llm.Absent(w.Tools) {
		var tools []wireTool
		if err := json.Unmarshal(w.Tools, &tools); err != nil {
			return invalid("tools", "Input should be a list of tools")
		}
		if len(tools) > llm.MaxTools {
			return invalid("tools", "at most %d tools are accepted", llm.MaxTools)
		}
		for i, t := range tools {
			if t.Type != "" && t.Type != "custom" {
				return invalid(fmt.Sprintf("tools.%d.type", i), "server tool %q is not supported by llmgate; only client tools (name, input_schema) are", t.Type)
			}
			if t.Name == "" || llm.Absent(t.InputSchema) || bytes.TrimSpace(t.InputSchema)[0] != '{' {
				return invalid(fmt.Sprintf("tools.%d", i), "name and input_schema (an object) are required")
			}
			c.Tools = append(c.Tools, llm.Tool{Name: t.Name, Description: t.Description, Parameters: t.InputSchema})
		}
	}
	if llm.Absent(w.ToolChoice) {
		return nil
	}
	var tc struct {
		Type                   string `json:"type"`
		Name                   string `json:"name"`
		DisableParallelToolUse bool   `json:"disable_parallel_tool_use"`
	}
	if err := json.Unmarshal(w.ToolChoice, &tc); err != nil {
		return invalid("tool_choice", "Input should be an object")
	}
	switch tc.Type {
	case "auto":
		c.ToolChoice = &llm.ToolChoice{Mode: llm.ToolChoiceAuto}
	case "any":
		c.ToolChoice = &llm.ToolChoice{Mode: llm.ToolChoiceRequired}
	case "none":
		c.ToolChoice = &llm.ToolChoice{Mode: llm.ToolChoiceNone}
	case "tool":
		if tc.Name == "" {
			return invalid("tool_choice.name", "Field required")
		}
		c.ToolChoice = &llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: tc.Name}
	default:
		return invalid("tool_choice.type", "Input should be 'auto', 'any', 'tool' or 'none'")
	}
	if tc.DisableParallelToolUse && tc.Type != "none" {
		if c.Extra == nil {
			c.Extra = map[string]json.RawMessage{}
		}
		c.Extra["parallel_tool_calls"] = json.RawMessage(`false`)
	}
	return nil
}
