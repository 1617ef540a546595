package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/llmgate/llmgate/internal/jsonobj"
)

// Tool calling and structured output arrive in OpenAI's shape (tools, tool_choice, assistant
// tool_calls, response_format). Decode parses and validates them once into the types below,
// so a malformed one is refused the same way whatever provider the endpoint uses; providers
// map the typed values onto their own wire. A value parsed from a caller's JSON remembers
// that JSON and encodes back to it, so OpenAI-wire providers forward exactly what was sent
// (members llmgate does not model included); a value built in code encodes to OpenAI's form.

// Tool is one function tool. Parameters is nil when none were declared.
type Tool struct {
	Name        string
	Description string
	Parameters  json.RawMessage
	Strict      *bool
	wire        json.RawMessage
}

// toolWire is OpenAI's function tool; members in sorted order, as a map would encode them.
type toolWire struct {
	Function *toolFunction `json:"function"`
	Type     string        `json:"type"`
}

type toolFunction struct {
	Description *string         `json:"description,omitempty"`
	Name        string          `json:"name"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

// MarshalJSON writes the tool as the caller sent it, or in OpenAI's form.
func (t Tool) MarshalJSON() ([]byte, error) {
	if t.wire != nil {
		return t.wire, nil
	}
	f := &toolFunction{Name: t.Name, Parameters: t.Parameters, Strict: t.Strict}
	if t.Description != "" {
		f.Description = &t.Description
	}
	return json.Marshal(toolWire{Type: "function", Function: f})
}

// UnmarshalJSON reads and validates one OpenAI function tool.
func (t *Tool) UnmarshalJSON(raw []byte) error {
	var w toolWire
	if err := strictObject(raw, &w); err != nil || w.Type != "function" || w.Function == nil || w.Function.Name == "" {
		return errors.New(`Input should be {"type":"function","function":{"name":...}}`)
	}
	if !Absent(w.Function.Parameters) && firstByte(w.Function.Parameters) != '{' {
		return errors.New("function.parameters should be a JSON Schema object")
	}
	*t = Tool{Name: w.Function.Name, Strict: w.Function.Strict, wire: raw}
	if w.Function.Description != nil {
		t.Description = *w.Function.Description
	}
	if !Absent(w.Function.Parameters) {
		t.Parameters = w.Function.Parameters
	}
	return nil
}

// Tool choice modes.
const (
	ToolChoiceAuto     = "auto"
	ToolChoiceRequired = "required"
	ToolChoiceNone     = "none"
	ToolChoiceFunction = "function" // Name says which
)

// ToolChoice is a parsed tool_choice: Mode is one of the ToolChoice constants, Name is set
// for ToolChoiceFunction.
type ToolChoice struct {
	Mode string
	Name string
	wire json.RawMessage
}

type namedChoice struct {
	Function struct {
		Name string `json:"name"`
	} `json:"function"`
	Type string `json:"type"`
}

// MarshalJSON writes the choice as the caller sent it, or in OpenAI's form.
func (c ToolChoice) MarshalJSON() ([]byte, error) {
	if c.wire != nil {
		return c.wire, nil
	}
	if c.Mode != ToolChoiceFunction {
		return json.Marshal(c.Mode)
	}
	var n namedChoice
	n.Type, n.Function.Name = "function", c.Name
	return json.Marshal(n)
}

// UnmarshalJSON reads "auto", "required", "none" or {"type":"function","function":{"name"}}.
func (c *ToolChoice) UnmarshalJSON(raw []byte) error {
	var mode string
	if json.Unmarshal(raw, &mode) == nil {
		switch mode {
		case ToolChoiceAuto, ToolChoiceRequired, ToolChoiceNone:
			*c = ToolChoice{Mode: mode, wire: raw}
			return nil
		}
		return fmt.Errorf("Input should be 'auto', 'required' or 'none', not %q", mode)
	}
	var n namedChoice
	if strictObject(raw, &n) != nil || n.Type != "function" || n.Function.Name == "" {
		return errors.New(`Input should be 'auto', 'required', 'none' or {"type":"function","function":{"name":...}}`)
	}
	*c = ToolChoice{Mode: ToolChoiceFunction, Name: n.Function.Name, wire: raw}
	return nil
}

// ToolCall is one call of an assistant turn, or of an answer being rendered. Arguments is a
// JSON object (nil or empty encodes as "{}").
type ToolCall struct {
	ID        string
	Name      string
	Arguments json.RawMessage
	wire      json.RawMessage
}

// toolCallWire is one entry of OpenAI's tool_calls list.
type toolCallWire struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// MarshalJSON writes the call as the caller sent it, or in OpenAI's form with the arguments
// as a compact JSON string.
func (c ToolCall) MarshalJSON() ([]byte, error) {
	if c.wire != nil {
		return c.wire, nil
	}
	w := toolCallWire{ID: c.ID, Type: "function"}
	w.Function.Name, w.Function.Arguments = c.Name, "{}"
	if !Absent(c.Arguments) {
		var compact bytes.Buffer
		if err := json.Compact(&compact, c.Arguments); err != nil {
			return nil, err
		}
		w.Function.Arguments = compact.String()
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads one call: it needs an id, a function name and arguments that are a
// JSON object (an empty string means no arguments).
func (c *ToolCall) UnmarshalJSON(raw []byte) error {
	var w toolCallWire
	if strictObject(raw, &w) != nil || w.ID == "" || w.Function.Name == "" {
		return errors.New("Input should be a tool call with an id and a function name")
	}
	args, ok := argumentsObject(w.Function.Arguments)
	if !ok {
		return errors.New("function.arguments should be a JSON object in a string")
	}
	*c = ToolCall{ID: w.ID, Name: w.Function.Name, Arguments: args, wire: raw}
	return nil
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

// EncodeToolCalls renders calls as OpenAI tool_calls. No calls give nil, so the field is
// omitted.
func EncodeToolCalls(calls []ToolCall) (json.RawMessage, error) {
	if len(calls) == 0 {
		return nil, nil
	}
	return json.Marshal(calls)
}

// ParseToolCalls reads an OpenAI tool_calls list (an answer's, as a surface renders it).
func ParseToolCalls(raw json.RawMessage) ([]ToolCall, error) {
	var calls []ToolCall
	if Absent(raw) {
		return nil, nil
	}
	if err := json.Unmarshal(raw, &calls); err != nil {
		return nil, errors.New("tool_calls is malformed")
	}
	return calls, nil
}

// Response formats.
const (
	FormatText       = "text"
	FormatJSONObject = "json_object"
	FormatJSONSchema = "json_schema"
)

// ResponseFormat is OpenAI's response_format: Type is one of the Format constants; Schema is
// set for FormatJSONSchema.
type ResponseFormat struct {
	Type   string
	Schema *JSONSchema
	wire   json.RawMessage
}

// JSONSchema is the json_schema member of a response_format. Schema is nil when none was
// given.
type JSONSchema struct {
	Name        string          `json:"name,omitempty"`
	Description string          `json:"description,omitempty"`
	Schema      json.RawMessage `json:"schema,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

type formatWire struct {
	JSONSchema *JSONSchema `json:"json_schema,omitempty"`
	Type       string      `json:"type"`
}

// MarshalJSON writes the format as the caller sent it, or in OpenAI's form.
func (f ResponseFormat) MarshalJSON() ([]byte, error) {
	if f.wire != nil {
		return f.wire, nil
	}
	return json.Marshal(formatWire{Type: f.Type, JSONSchema: f.Schema})
}

// UnmarshalJSON reads {"type":"text"|"json_object"} or {"type":"json_schema","json_schema":
// {"name","schema",...}} with the schema, when given, an object.
func (f *ResponseFormat) UnmarshalJSON(raw []byte) error {
	var w formatWire
	if strictObject(raw, &w) != nil {
		return errors.New("Input should be an object with a type")
	}
	switch w.Type {
	case FormatText, FormatJSONObject:
		*f = ResponseFormat{Type: w.Type, wire: raw}
		return nil
	case FormatJSONSchema:
		if w.JSONSchema == nil || (!Absent(w.JSONSchema.Schema) && firstByte(w.JSONSchema.Schema) != '{') {
			return errors.New("json_schema should be an object whose schema is a JSON Schema object")
		}
		if Absent(w.JSONSchema.Schema) {
			w.JSONSchema.Schema = nil
		}
		*f = ResponseFormat{Type: w.Type, Schema: w.JSONSchema, wire: raw}
		return nil
	}
	return fmt.Errorf("type should be 'text', 'json_object' or 'json_schema', not %q", w.Type)
}

// EmptyObjectSchema stands in for a function declared without parameters where the provider
// requires a schema.
var EmptyObjectSchema = json.RawMessage(`{"type":"object","properties":{}}`)

// Absent reports whether an optional raw field was omitted or sent as null.
func Absent(raw json.RawMessage) bool { return jsonobj.Absent(raw) }

// strictObject decodes raw, which must be a JSON object, into v.
func strictObject(raw []byte, v any) error {
	if firstByte(raw) != '{' {
		return errors.New("not an object")
	}
	return json.Unmarshal(raw, v)
}
