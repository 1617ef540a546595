package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Tool calling arrives in OpenAI's shape (tools, tool_choice, assistant tool_calls). The
// parsers here read and validate that shape once, so each provider only maps the parsed
// values onto its own wire. Errors are caller-safe messages naming the offending field; a
// provider prefixes its name and turns them into 400s.

// Tool is one function tool of a "tools" list. Parameters is nil when none were declared.
type Tool struct {
	Name        string
	Description string
	Parameters  json.RawMessage
}

// ToolChoice is a parsed tool_choice: Mode is "auto", "required", "none" or "function" (with
// Name set).
type ToolChoice struct {
	Mode string
	Name string
}

// ToolCall is one call of an assistant turn, or of an answer being rendered. Arguments is a
// JSON object (never empty).
type ToolCall struct {
	ID        string
	Name      string
	Arguments json.RawMessage
}

// EmptyObjectSchema stands in for a function declared without parameters where the provider
// requires a schema.
var EmptyObjectSchema = json.RawMessage(`{"type":"object","properties":{}}`)

// Absent reports whether an optional raw field was omitted or sent as null.
func Absent(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// ParseTools reads a tools list; every entry must be a named function tool.
func ParseTools(raw json.RawMessage) ([]Tool, error) {
	var in []struct {
		Type     string `json:"type"`
		Function *struct {
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Parameters  json.RawMessage `json:"parameters"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, errors.New("tools must be a list of function tools")
	}
	out := make([]Tool, len(in))
	for i, t := range in {
		if t.Type != "function" || t.Function == nil || t.Function.Name == "" {
			return nil, fmt.Errorf("tools[%d] must be {\"type\":\"function\",\"function\":{\"name\":...}}", i)
		}
		out[i] = Tool{Name: t.Function.Name, Description: t.Function.Description}
		if !Absent(t.Function.Parameters) {
			out[i].Parameters = t.Function.Parameters
		}
	}
	return out, nil
}

// ParseToolChoice reads "auto", "required", "none" or {"type":"function","function":{"name"}}.
func ParseToolChoice(raw json.RawMessage) (ToolChoice, error) {
	var mode string
	if json.Unmarshal(raw, &mode) == nil {
		switch mode {
		case "auto", "required", "none":
			return ToolChoice{Mode: mode}, nil
		}
		return ToolChoice{}, fmt.Errorf("tool_choice %q is not one of auto, required, none", mode)
	}
	var named struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &named); err != nil || named.Type != "function" || named.Function.Name == "" {
		return ToolChoice{}, errors.New("tool_choice must be auto, required, none or {\"type\":\"function\",\"function\":{\"name\":...}}")
	}
	return ToolChoice{Mode: "function", Name: named.Function.Name}, nil
}

// wireToolCall is one entry of OpenAI's tool_calls list.
type wireToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// ParseToolCalls reads an assistant turn's tool_calls; each needs an id, a function name and
// arguments that are a JSON object (an empty string means no arguments). Error messages are
// relative to the message ("tool_calls[1] needs …").
func ParseToolCalls(raw json.RawMessage) ([]ToolCall, error) {
	var in []wireToolCall
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, errors.New("tool_calls is malformed")
	}
	out := make([]ToolCall, len(in))
	for j, c := range in {
		if c.ID == "" || c.Function.Name == "" {
			return nil, fmt.Errorf("tool_calls[%d] needs an id and a function name", j)
		}
		args, ok := argumentsObject(c.Function.Arguments)
		if !ok {
			return nil, fmt.Errorf("tool_calls[%d].function.arguments must be a JSON object", j)
		}
		out[j] = ToolCall{ID: c.ID, Name: c.Function.Name, Arguments: args}
	}
	return out, nil
}

func argumentsObject(args string) (json.RawMessage, bool) {
	if strings.TrimSpace(args) == "" {
		return json.RawMessage(`{}`), true
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(args), &obj) != nil || obj == nil {
		return nil, false
	}
	return json.RawMessage(args), true
}

// EncodeToolCalls renders calls as OpenAI tool_calls, arguments as a compact JSON string
// ("{}" when absent). No calls give nil, so the field is omitted.
func EncodeToolCalls(calls []ToolCall) (json.RawMessage, error) {
	if len(calls) == 0 {
		return nil, nil
	}
	out := make([]wireToolCall, len(calls))
	for i, c := range calls {
		args := "{}"
		if !Absent(c.Arguments) {
			var compact bytes.Buffer
			if err := json.Compact(&compact, c.Arguments); err != nil {
				return nil, err
			}
			args = compact.String()
		}
		out[i] = wireToolCall{ID: c.ID, Type: "function"}
		out[i].Function.Name, out[i].Function.Arguments = c.Name, args
	}
	return json.Marshal(out)
}
