package anthropic

import (
	"encoding/json"

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

// absent reports whether an optional raw field was omitted or sent as null.
func absent(raw json.RawMessage) bool { return llm.Absent(raw) }

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
	tools, err := llm.ParseTools(raw)
	if err != nil {
		return nil, gateway.Errorf(gateway.CodeInvalid, "anthropic: %s", err)
	}
	out := make([]anthropicTool, len(tools))
	for i, t := range tools {
		schema := t.Parameters
		if schema == nil {
			schema = llm.EmptyObjectSchema // input_schema is required
		}
		out[i] = anthropicTool{Name: t.Name, Description: t.Description, InputSchema: schema}
	}
	return out, nil
}

// anthropicToolChoice maps "auto", "required", "none" and {"type":"function","function":{"name"}}.
func anthropicToolChoice(raw json.RawMessage) (map[string]any, error) {
	choice, err := llm.ParseToolChoice(raw)
	if err != nil {
		return nil, gateway.Errorf(gateway.CodeInvalid, "anthropic: %s", err)
	}
	switch choice.Mode {
	case "auto":
		return map[string]any{"type": "auto"}, nil
	case "required":
		return map[string]any{"type": "any"}, nil
	case "none":
		return map[string]any{"type": "none"}, nil
	}
	return map[string]any{"type": "tool", "name": choice.Name}, nil
}

// assistantToolBlocks turns an assistant message with tool_calls into its text (when any;
// the API rejects empty text blocks) followed by one tool_use block per call.
func assistantToolBlocks(msgIndex int, text string, raw json.RawMessage) ([]any, error) {
	calls, err := llm.ParseToolCalls(raw)
	if err != nil {
		return nil, gateway.Errorf(gateway.CodeInvalid, "anthropic: messages[%d].%s", msgIndex, err)
	}
	var blocks []any
	if text != "" {
		blocks = append(blocks, textBlock{Type: "text", Text: text})
	}
	for _, c := range calls {
		blocks = append(blocks, toolUseBlock{Type: "tool_use", ID: c.ID, Name: c.Name, Input: c.Arguments})
	}
	if len(blocks) == 0 { // "tool_calls": [] is a plain turn
		blocks = append(blocks, textBlock{Type: "text", Text: text})
	}
	return blocks, nil
}

// responseToolCalls renders tool_use blocks as OpenAI tool_calls; arguments is the input
// object as a JSON string.
func responseToolCalls(blocks []responseBlock) (json.RawMessage, error) {
	var calls []llm.ToolCall
	for _, b := range blocks {
		if b.Type == "tool_use" {
			calls = append(calls, llm.ToolCall{ID: b.ID, Name: b.Name, Arguments: b.Input})
		}
	}
	return llm.EncodeToolCalls(calls)
}
