package responses

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

// wireRequest is a Responses API request. Fields not named here (metadata, user, reasoning,
// truncation, include, service_tier, …) are ignored.
type wireRequest struct {
	Input              json.RawMessage `json:"input"`
	Instructions       *string         `json:"instructions"`
	MaxOutputTokens    *int            `json:"max_output_tokens"`
	Temperature        *float64        `json:"temperature"`
	TopP               *float64        `json:"top_p"`
	Tools              json.RawMessage `json:"tools"`
	ToolChoice         json.RawMessage `json:"tool_choice"`
	ParallelToolCalls  *bool           `json:"parallel_tool_calls"`
	Stream             bool            `json:"stream"`
	PreviousResponseID *string         `json:"previous_response_id"`
	Conversation       json.RawMessage `json:"conversation"`
	Background         bool            `json:"background"`
	Text               *struct {
		Format json.RawMessage `json:"format"`
	} `json:"text"`
}

// item is one input item: a message (type "message" or absent, with role and content), a
// function_call, a function_call_output, or reasoning (dropped).
type item struct {
	Type      string          `json:"type"`
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	CallID    string          `json:"call_id"`
	Name      string          `json:"name"`
	Arguments *string         `json:"arguments"`
	Output    json.RawMessage `json:"output"`
}

type part struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	ImageURL string `json:"image_url"`
	FileID   string `json:"file_id"`
}

func invalid(field, format string, args ...any) *gateway.Error {
	return &gateway.Error{Code: gateway.CodeInvalid, Field: field, Message: field + ": " + fmt.Sprintf(format, args...)}
}

// errNoState is why previous_response_id and conversation are refused.
const errNoState = "is not supported: llmgate does not store responses (answers may carry personal data, and a gateway keeps none of them); send the whole conversation as input items instead"

// decodeRequest turns a Responses request into the canonical chat request.
func decodeRequest(body []byte) (*llm.Request, *gateway.Error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, &gateway.Error{Code: gateway.CodeInvalid, Message: "Request body must be a JSON object"}
	}
	var w wireRequest
	if err := json.Unmarshal(trimmed, &w); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, invalid(te.Field, "invalid type: expected %s", te.Type.String())
		}
		return nil, &gateway.Error{Code: gateway.CodeInvalid, Message: jsonobj.ErrorText(err, jsonobj.Lead(body)), Err: err}
	}
	if err := checkParams(&w); err != nil {
		return nil, err
	}
	var msgs []llm.Message
	if w.Instructions != nil && *w.Instructions != "" {
		msgs = append(msgs, llm.Message{Role: "system", Content: llm.StringContent(*w.Instructions)})
	}
	turns, err := decodeInput(w.Input)
	if err != nil {
		return nil, err
	}
	c := &llm.ChatRequest{Messages: append(msgs, turns...)}
	c.MaxTokens, c.Temperature, c.TopP, c.Stream = w.MaxOutputTokens, w.Temperature, w.TopP, w.Stream
	if err := decodeTools(&w, c); err != nil {
		return nil, err
	}
	if err := decodeFormat(&w, c); err != nil {
		return nil, err
	}
	return &llm.Request{Type: gateway.TypeChat, Chat: c}, nil
}

func checkParams(w *wireRequest) *gateway.Error {
	switch {
	case w.PreviousResponseID != nil && *w.PreviousResponseID != "":
		return invalid("previous_response_id", errNoState)
	case !llm.Absent(w.Conversation):
		return invalid("conversation", errNoState)
	case w.Background:
		return invalid("background", "is not supported: llmgate answers within the request")
	case w.MaxOutputTokens != nil && (*w.MaxOutputTokens < 1 || *w.MaxOutputTokens > llm.MaxTokens):
		return invalid("max_output_tokens", "must be between 1 and %d", llm.MaxTokens)
	case w.Temperature != nil && (*w.Temperature < 0 || *w.Temperature > 2):
		return invalid("temperature", "must be between 0 and 2")
	case w.TopP != nil && (*w.TopP < 0 || *w.TopP > 1):
		return invalid("top_p", "must be between 0 and 1")
	}
	return nil
}

// decodeInput reads input as a string (one user message) or a list of items.
func decodeInput(raw json.RawMessage) ([]llm.Message, *gateway.Error) {
	if llm.Absent(raw) {
		return nil, invalid("input", "is required")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []llm.Message{{Role: "user", Content: llm.StringContent(s)}}, nil
	}
	var items []item
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, invalid("input", "must be a string or a list of input items")
	}
	if len(items) == 0 || len(items) > llm.MaxMessages {
		return nil, invalid("input", "must hold between 1 and %d items", llm.MaxMessages)
	}
	var out []llm.Message
	for i, it := range items {
		var err *gateway.Error
		if out, err = appendItem(out, fmt.Sprintf("input[%d]", i), it); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func appendItem(out []llm.Message, field string, it item) ([]llm.Message, *gateway.Error) {
	switch it.Type {
	case "", "message":
		m, err := message(field, it)
		if err != nil {
			return nil, err
		}
		return append(out, m), nil
	case "function_call":
		return appendCall(out, field, it)
	case "function_call_output":
		if it.CallID == "" {
			return nil, invalid(field+".call_id", "is required")
		}
		text, err := functionOutput(field, it.Output)
		if err != nil {
			return nil, err
		}
		return append(out, llm.Message{Role: "tool", ToolCallID: it.CallID, Content: llm.StringContent(text)}), nil
	case "reasoning":
		return out, nil // no canonical place; the provider reasons afresh
	}
	return nil, invalid(field+".type", "input item type %q is not supported by llmgate (message, function_call, function_call_output)", it.Type)
}

// message maps a message item; developer turns become system turns, which every provider knows.
func message(field string, it item) (llm.Message, *gateway.Error) {
	role := it.Role
	switch role {
	case "user", "assistant", "system":
	case "developer":
		role = "system"
	default:
		return llm.Message{}, invalid(field+".role", "must be user, assistant, system or developer")
	}
	if llm.Absent(it.Content) {
		return llm.Message{}, invalid(field+".content", "is required")
	}
	var s string
	if json.Unmarshal(it.Content, &s) == nil {
		return llm.Message{Role: role, Content: llm.StringContent(s)}, nil
	}
	var parts []part
	if err := json.Unmarshal(it.Content, &parts); err != nil {
		return llm.Message{}, invalid(field+".content", "must be a string or a list of content parts")
	}
	out := make([]map[string]any, 0, len(parts))
	for j, p := range parts {
		switch {
		case p.Type == "input_text" || p.Type == "output_text":
			out = append(out, map[string]any{"type": "text", "text": p.Text})
		case p.Type == "input_image" && p.ImageURL != "":
			out = append(out, map[string]any{"type": "image_url", "image_url": map[string]string{"url": p.ImageURL}})
		default:
			return llm.Message{}, invalid(fmt.Sprintf("%s.content[%d]", field, j),
				"content part %q is not supported by llmgate (input_text, output_text, input_image with image_url)", p.Type)
		}
	}
	if len(out) == 1 && out[0]["type"] == "text" {
		return llm.Message{Role: role, Content: llm.StringContent(out[0]["text"].(string))}, nil
	}
	b, _ := json.Marshal(out)
	return llm.Message{Role: role, Content: b}, nil
}

// appendCall adds a function_call to the assistant turn just before it (its text, or the
// calls made alongside), or opens one: chat APIs carry parallel calls in one turn.
func appendCall(out []llm.Message, field string, it item) ([]llm.Message, *gateway.Error) {
	if it.CallID == "" || it.Name == "" {
		return nil, invalid(field, "function_call items need call_id and name")
	}
	args := "{}"
	if it.Arguments != nil && strings.TrimSpace(*it.Arguments) != "" {
		args = *it.Arguments
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(args), &obj) != nil || obj == nil {
		return nil, invalid(field+".arguments", "must be a JSON object encoded as a string")
	}
	call := llm.ToolCall{ID: it.CallID, Name: it.Name, Arguments: json.RawMessage(args)}
	n := len(out)
	if n == 0 || out[n-1].Role != "assistant" {
		out = append(out, llm.Message{Role: "assistant", Content: json.RawMessage(`null`)})
		n++
	}
	out[n-1].ToolCalls = append(out[n-1].ToolCalls, call)
	return out, nil
}

// functionOutput reads a function_call_output's output: a string or a list of text parts.
func functionOutput(field string, raw json.RawMessage) (string, *gateway.Error) {
	if llm.Absent(raw) {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []part
	if json.Unmarshal(raw, &parts) != nil {
		return "", invalid(field+".output", "must be a string or a list of input_text parts")
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type != "input_text" {
			return "", invalid(field+".output", "only input_text parts are supported by llmgate")
		}
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

// wireTool is a Responses function tool (flat: name at the top, not under "function").
type wireTool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
	Strict      *bool           `json:"strict"`
}

func decodeTools(w *wireRequest, c *llm.ChatRequest) *gateway.Error {
	if !llm.Absent(w.Tools) {
		var tools []wireTool
		if err := json.Unmarshal(w.Tools, &tools); err != nil {
			return invalid("tools", "must be a list of tools")
		}
		if len(tools) > llm.MaxTools {
			return invalid("tools", "at most %d tools are accepted", llm.MaxTools)
		}
		for i, t := range tools {
			if t.Type != "function" {
				return invalid(fmt.Sprintf("tools[%d].type", i), "tool type %q is not supported by llmgate; only function tools are (built-in tools run at OpenAI, not at the endpoint's provider)", t.Type)
			}
			if t.Name == "" {
				return invalid(fmt.Sprintf("tools[%d].name", i), "is required")
			}
			if !llm.Absent(t.Parameters) && bytes.TrimSpace(t.Parameters)[0] != '{' {
				return invalid(fmt.Sprintf("tools[%d].parameters", i), "must be a JSON Schema object")
			}
			tool := llm.Tool{Name: t.Name, Description: t.Description, Strict: t.Strict}
			if !llm.Absent(t.Parameters) {
				tool.Parameters = t.Parameters
			}
			c.Tools = append(c.Tools, tool)
		}
	}
	if w.ParallelToolCalls != nil {
		c.Extra = extra(c.Extra, "parallel_tool_calls", *w.ParallelToolCalls)
	}
	if llm.Absent(w.ToolChoice) {
		return nil
	}
	var mode string
	if json.Unmarshal(w.ToolChoice, &mode) == nil {
		if mode != llm.ToolChoiceAuto && mode != llm.ToolChoiceNone && mode != llm.ToolChoiceRequired {
			return invalid("tool_choice", "must be auto, none, required or {\"type\":\"function\",\"name\":...}")
		}
		c.ToolChoice = &llm.ToolChoice{Mode: mode}
		return nil
	}
	var named struct {
		Type string `json:"type"`
		Name string `json:"name"`
	}
	if json.Unmarshal(w.ToolChoice, &named) != nil || named.Type != "function" || named.Name == "" {
		return invalid("tool_choice", "must be auto, none, required or {\"type\":\"function\",\"name\":...}")
	}
	c.ToolChoice = &llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: named.Name}
	return nil
}

func extra(m map[string]json.RawMessage, key string, v any) map[string]json.RawMessage {
	if m == nil {
		m = map[string]json.RawMessage{}
	}
	m[key], _ = json.Marshal(v)
	return m
}

// decodeFormat maps text.format onto chat's response_format (json_object, json_schema).
func decodeFormat(w *wireRequest, c *llm.ChatRequest) *gateway.Error {
	if w.Text == nil || llm.Absent(w.Text.Format) {
		return nil
	}
	var f struct {
		Type        string          `json:"type"`
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Schema      json.RawMessage `json:"schema"`
		Strict      *bool           `json:"strict"`
	}
	if json.Unmarshal(w.Text.Format, &f) != nil {
		return invalid("text.format", "must be an object")
	}
	switch f.Type {
	case llm.FormatText:
	case llm.FormatJSONObject:
		c.ResponseFormat = &llm.ResponseFormat{Type: f.Type}
	case llm.FormatJSONSchema:
		if f.Name == "" || llm.Absent(f.Schema) {
			return invalid("text.format", "json_schema needs name and schema")
		}
		c.ResponseFormat = &llm.ResponseFormat{Type: f.Type, Schema: &llm.JSONSchema{Name: f.Name, Description: f.Description, Schema: f.Schema, Strict: f.Strict}}
	default:
		return invalid("text.format.type", "must be text, json_object or json_schema")
	}
	return nil
}
