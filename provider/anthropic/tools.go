package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
)

// Tool use: callers speak OpenAI's function tools (tools, tool_choice, assistant tool_calls,
// role "tool" results); the Messages API speaks tools with input_schema, tool_use blocks in
// assistant turns and tool_result blocks in user turns.

type toolUseBlock struct {
	Type  string          `json:"type"`
	ID    string          `json:"id"`
	Name  string          `json:"name"`
	Input json.RawMessage `json:"input"`
}

type toolResultBlock struct {
	Type      string `json:"type"`
	ToolUseID string `json:"tool_use_id"`
	Content   string `json:"content"`
}

type anthropicTool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

// openAIToolCall is one entry of an OpenAI tool_calls list.
type openAIToolCall struct {
	ID       string         `json:"id"`
	Type     string         `json:"type"`
	Function openAIFunction `json:"function"`
}

type openAIFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// emptySchema stands in for a function declared without parameters: input_schema is required.
var emptySchema = json.RawMessage(`{"type":"object","properties":{}}`)

// absent reports whether an optional raw field was omitted or sent as null.
func absent(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// addTools sets tools and tool_choice on the request body fields.
func addTools(fields map[string]any, r *llm.ChatRequest) error {
	if !absent(r.Tools) {
		tools, err := anthropicTools(r.Tools)
		if err != nil {
			return err
		}
		fields["tools"] = tools
	}
	var choice map[string]any
	if !absent(r.ToolChoice) {
		var err error
		if choice, err = anthropicToolChoice(r.ToolChoice); err != nil {
			return err
		}
		fields["tool_choice"] = choice
	}
	// OpenAI's parallel_tool_calls has no top-level counterpart: false becomes
	// tool_choice.disable_parallel_tool_use (on "auto" when no tool_choice was given).
	raw, ok := r.Extra["parallel_tool_calls"]
	if !ok {
		return nil
	}
	delete(fields, "parallel_tool_calls")
	var parallel bool
	if err := json.Unmarshal(raw, &parallel); err != nil {
		return gateway.Errorf(gateway.CodeInvalid, "anthropic: parallel_tool_calls must be a boolean")
	}
	if parallel || absent(r.Tools) {
		return nil
	}
	if choice == nil {
		choice = map[string]any{"type": "auto"}
	}
	if choice["type"] != "none" {
		choice["disable_parallel_tool_use"] = true
		fields["tool_choice"] = choice
	}
	return nil
}

func anthropicTools(raw json.RawMessage) ([]anthropicTool, error) {
	var in []struct {
		Type     string `json:"type"`
		Function *struct {
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Parameters  json.RawMessage `json:"parameters"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, gateway.Wrap(gateway.CodeInvalid, err, "anthropic: tools must be a list of function tools")
	}
	out := make([]anthropicTool, len(in))
	for i, t := range in {
		if t.Type != "function" || t.Function == nil || t.Function.Name == "" {
			return nil, gateway.Errorf(gateway.CodeInvalid, "anthropic: tools[%d] must be {\"type\":\"function\",\"function\":{\"name\":...}}", i)
		}
		schema := t.Function.Parameters
		if absent(schema) {
			schema = emptySchema
		}
		out[i] = anthropicTool{Name: t.Function.Name, Description: t.Function.Description, InputSchema: schema}
	}
	return out, nil
}

// anthropicToolChoice maps "auto", "required", "none" and {"type":"function","function":{"name"}}.
func anthropicToolChoice(raw json.RawMessage) (map[string]any, error) {
	var mode string
	if json.Unmarshal(raw, &mode) == nil {
		switch mode {
		case "auto":
			return map[string]any{"type": "auto"}, nil
		case "required":
			return map[string]any{"type": "any"}, nil
		case "none":
			return map[string]any{"type": "none"}, nil
		}
		return nil, gateway.Errorf(gateway.CodeInvalid, "anthropic: tool_choice %q is not one of auto, required, none", mode)
	}
	var named struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &named); err != nil || named.Type != "function" || named.Function.Name == "" {
		return nil, gateway.Errorf(gateway.CodeInvalid, "anthropic: tool_choice must be auto, required, none or {\"type\":\"function\",\"function\":{\"name\":...}}")
	}
	return map[string]any{"type": "tool", "name": named.Function.Name}, nil
}

// assistantToolBlocks turns an assistant message with tool_calls into its text (when any;
// the API rejects empty text blocks) followed by one tool_use block per call.
func assistantToolBlocks(msgIndex int, text string, raw json.RawMessage) ([]any, error) {
	var calls []openAIToolCall
	if err := json.Unmarshal(raw, &calls); err != nil {
		return nil, gateway.Wrap(gateway.CodeInvalid, err, fmt.Sprintf("anthropic: messages[%d].tool_calls is malformed", msgIndex))
	}
	var blocks []any
	if text != "" {
		blocks = append(blocks, textBlock{Type: "text", Text: text})
	}
	for j, c := range calls {
		if c.ID == "" || c.Function.Name == "" {
			return nil, gateway.Errorf(gateway.CodeInvalid, "anthropic: messages[%d].tool_calls[%d] needs an id and a function name", msgIndex, j)
		}
		input, ok := argumentsObject(c.Function.Arguments)
		if !ok {
			return nil, gateway.Errorf(gateway.CodeInvalid, "anthropic: messages[%d].tool_calls[%d].function.arguments must be a JSON object", msgIndex, j)
		}
		blocks = append(blocks, toolUseBlock{Type: "tool_use", ID: c.ID, Name: c.Function.Name, Input: input})
	}
	if len(blocks) == 0 { // "tool_calls": [] is a plain turn
		blocks = append(blocks, textBlock{Type: "text", Text: text})
	}
	return blocks, nil
}

// argumentsObject parses OpenAI's arguments string into the object tool_use input needs; an
// empty string means no arguments.
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

// responseToolCalls renders tool_use blocks as OpenAI tool_calls; arguments is the input
// object as a JSON string.
func responseToolCalls(blocks []responseBlock) (json.RawMessage, error) {
	var calls []openAIToolCall
	for _, b := range blocks {
		if b.Type != "tool_use" {
			continue
		}
		args := "{}"
		if !absent(b.Input) {
			var compact bytes.Buffer
			if err := json.Compact(&compact, b.Input); err != nil {
				return nil, err
			}
			args = compact.String()
		}
		calls = append(calls, openAIToolCall{ID: b.ID, Type: "function", Function: openAIFunction{Name: b.Name, Arguments: args}})
	}
	if calls == nil {
		return nil, nil
	}
	return json.Marshal(calls)
}
