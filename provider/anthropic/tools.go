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

// addTools sets tools and tool_choice on the request body fields.
func addTools(fields map[string]any, r *llm.ChatRequest) error {
	if len(r.Tools) > 0 {
		fields["tools"] = anthropicTools(r.Tools)
	}
	var choice map[string]any
	if r.ToolChoice != nil {
		choice = anthropicToolChoice(r.ToolChoice)
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
	if parallel || len(r.Tools) == 0 {
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

func anthropicTools(tools []llm.Tool) []anthropicTool {
	out := make([]anthropicTool, len(tools))
	for i, t := range tools {
		schema := t.Parameters
		if schema == nil {
			schema = llm.EmptyObjectSchema // input_schema is required
		}
		out[i] = anthropicTool{Name: t.Name, Description: t.Description, InputSchema: schema}
	}
	return out
}

// anthropicToolChoice maps auto, required, none and a named function.
func anthropicToolChoice(choice *llm.ToolChoice) map[string]any {
	switch choice.Mode {
	case llm.ToolChoiceAuto:
		return map[string]any{"type": "auto"}
	case llm.ToolChoiceRequired:
		return map[string]any{"type": "any"}
	case llm.ToolChoiceNone:
		return map[string]any{"type": "none"}
	}
	return map[string]any{"type": "tool", "name": choice.Name}
}

// assistantToolBlocks turns an assistant message with tool_calls into its text (when any;
// the API rejects empty text blocks) followed by one tool_use block per call.
func assistantToolBlocks(text string, calls []llm.ToolCall) []any {
	var blocks []any
	if text != "" {
		blocks = append(blocks, textBlock{Type: "text", Text: text})
	}
	for _, c := range calls {
		blocks = append(blocks, toolUseBlock{Type: "tool_use", ID: c.ID, Name: c.Name, Input: c.Arguments})
	}
	return blocks
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
