package bedrock

import (
	"encoding/json"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
)

// Tool use: callers speak OpenAI's function tools (tools, tool_choice, assistant tool_calls,
// role "tool" results); Converse speaks toolConfig (toolSpec entries with a JSON input
// schema, toolChoice), toolUse blocks in assistant turns and toolResult blocks in user turns.

type toolUseBlock struct {
	ToolUse toolUse `json:"toolUse"`
}

type toolUse struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

type toolResultBlock struct {
	ToolResult toolResult `json:"toolResult"`
}

type toolResult struct {
	ToolUseID string      `json:"toolUseId"`
	Content   []textBlock `json:"content"`
}

type toolConfig struct {
	Tools      []converseTool `json:"tools"`
	ToolChoice map[string]any `json:"toolChoice,omitempty"`
}

type converseTool struct {
	ToolSpec toolSpec `json:"toolSpec"`
}

type toolSpec struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	InputSchema inputSchema `json:"inputSchema"`
}

type inputSchema struct {
	JSON json.RawMessage `json:"json"`
}

// absent reports whether an optional raw field was omitted or sent as null.
func absent(raw json.RawMessage) bool { return llm.Absent(raw) }

// buildToolConfig maps tools and tool_choice to toolConfig; nil when no tools are given, as
// Converse requires at least one tool in a toolConfig. Converse has no "none" choice: with
// tools present it cannot be honoured, so it is refused rather than silently ignored.
func buildToolConfig(r *llm.ChatRequest) (*toolConfig, error) {
	var tools []converseTool
	if !absent(r.Tools) {
		var err error
		if tools, err = converseTools(r.Tools); err != nil {
			return nil, err
		}
	}
	var choice map[string]any
	if !absent(r.ToolChoice) {
		var err error
		if choice, err = converseToolChoice(r.ToolChoice); err != nil {
			return nil, err
		}
	}
	none := choice != nil && len(choice) == 0
	if len(tools) == 0 {
		if choice != nil && !none {
			return nil, gateway.Errorf(gateway.CodeInvalid, "bedrock: tool_choice needs tools")
		}
		return nil, nil
	}
	if none {
		return nil, gateway.Errorf(gateway.CodeInvalid, "bedrock does not support tool_choice none")
	}
	return &toolConfig{Tools: tools, ToolChoice: choice}, nil
}

func converseTools(raw json.RawMessage) ([]converseTool, error) {
	tools, err := llm.ParseTools(raw)
	if err != nil {
		return nil, gateway.Errorf(gateway.CodeInvalid, "bedrock: %s", err)
	}
	out := make([]converseTool, len(tools))
	for i, t := range tools {
		schema := t.Parameters
		if schema == nil {
			schema = llm.EmptyObjectSchema // inputSchema is required
		}
		out[i] = converseTool{ToolSpec: toolSpec{Name: t.Name, Description: t.Description, InputSchema: inputSchema{JSON: schema}}}
	}
	return out, nil
}

// converseToolChoice maps "auto", "required" and {"type":"function","function":{"name"}};
// "none" yields an empty, non-nil map for the caller to judge against the tools given.
func converseToolChoice(raw json.RawMessage) (map[string]any, error) {
	choice, err := llm.ParseToolChoice(raw)
	if err != nil {
		return nil, gateway.Errorf(gateway.CodeInvalid, "bedrock: %s", err)
	}
	switch choice.Mode {
	case "auto":
		return map[string]any{"auto": struct{}{}}, nil
	case "required":
		return map[string]any{"any": struct{}{}}, nil
	case "none":
		return map[string]any{}, nil
	}
	return map[string]any{"tool": map[string]string{"name": choice.Name}}, nil
}

// assistantToolBlocks turns an assistant message with tool_calls into its text (when any;
// Converse rejects empty text blocks) followed by one toolUse block per call.
func assistantToolBlocks(msgIndex int, text string, raw json.RawMessage) ([]any, error) {
	calls, err := llm.ParseToolCalls(raw)
	if err != nil {
		return nil, gateway.Errorf(gateway.CodeInvalid, "bedrock: messages[%d].%s", msgIndex, err)
	}
	var blocks []any
	if text != "" {
		blocks = append(blocks, textBlock{Text: text})
	}
	for _, c := range calls {
		blocks = append(blocks, toolUseBlock{ToolUse: toolUse{ToolUseID: c.ID, Name: c.Name, Input: c.Arguments}})
	}
	if len(blocks) == 0 { // "tool_calls": [] is a plain turn
		blocks = append(blocks, textContent(text))
	}
	return blocks, nil
}

// toolResultContent carries a role "tool" message as a toolResult block.
func toolResultContent(id, text string) toolResultBlock {
	return toolResultBlock{ToolResult: toolResult{ToolUseID: id, Content: []textBlock{textContent(text)}}}
}

// responseToolUse is a toolUse block of a Converse answer.
type responseToolUse struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

// responseToolCalls renders toolUse blocks as OpenAI tool_calls; arguments is the input
// object as a compact JSON string.
func responseToolCalls(uses []*responseToolUse) (json.RawMessage, error) {
	calls := make([]llm.ToolCall, len(uses))
	for i, u := range uses {
		calls[i] = llm.ToolCall{ID: u.ToolUseID, Name: u.Name, Arguments: u.Input}
	}
	return llm.EncodeToolCalls(calls)
}

// streamToolCall is one OpenAI tool_calls delta entry; ID, Type and Name only on the first.
type streamToolCall struct {
	Index    int                `json:"index"`
	ID       string             `json:"id,omitempty"`
	Type     string             `json:"type,omitempty"`
	Function streamToolFunction `json:"function"`
}

type streamToolFunction struct {
	Name      string  `json:"name,omitempty"`
	Arguments *string `json:"arguments,omitempty"`
}

// toolCallStart opens a tool call at a content block: its id, name and empty arguments, as
// OpenAI's first delta. The delta index is the call's ordinal among tool calls.
func (d *streamDecoder) toolCallStart(block int, id, name string) (llm.ChunkChoice, error) {
	if d.toolCalls == nil {
		d.toolCalls = map[int]int{}
	}
	if _, dup := d.toolCalls[block]; dup {
		return llm.ChunkChoice{}, gateway.Errorf(gateway.CodeUpstream, "malformed upstream stream: content block %d started twice", block)
	}
	ordinal := len(d.toolCalls)
	d.toolCalls[block] = ordinal
	empty := ""
	return toolCallChoice(streamToolCall{Index: ordinal, ID: id, Type: "function", Function: streamToolFunction{Name: name, Arguments: &empty}})
}

// toolCallArguments forwards a piece of a tool call's input JSON as an arguments increment.
func (d *streamDecoder) toolCallArguments(block int, partial string) (llm.ChunkChoice, error) {
	ordinal, ok := d.toolCalls[block]
	if !ok {
		return llm.ChunkChoice{}, gateway.Errorf(gateway.CodeUpstream, "malformed upstream stream: tool input for content block %d that is not a toolUse", block)
	}
	return toolCallChoice(streamToolCall{Index: ordinal, Function: streamToolFunction{Arguments: &partial}})
}

func toolCallChoice(call streamToolCall) (llm.ChunkChoice, error) {
	b, err := json.Marshal([]streamToolCall{call})
	if err != nil {
		return llm.ChunkChoice{}, malformedStream(err)
	}
	return llm.ChunkChoice{ToolCalls: b}, nil
}
