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

// buildToolConfig maps tools and tool_choice to toolConfig; nil when no tools are given, as
// Converse requires at least one tool in a toolConfig. Converse has no "none" choice: with
// tools present it cannot be honoured, so it is refused rather than silently ignored.
func buildToolConfig(r *llm.ChatRequest) (*toolConfig, error) {
	none := r.ToolChoice != nil && r.ToolChoice.Mode == llm.ToolChoiceNone
	if len(r.Tools) == 0 {
		if r.ToolChoice != nil && !none {
			return nil, gateway.Errorf(gateway.CodeInvalid, "bedrock: tool_choice needs tools")
		}
		return nil, nil
	}
	if none {
		return nil, gateway.Errorf(gateway.CodeInvalid, "bedrock does not support tool_choice none")
	}
	tools := make([]converseTool, len(r.Tools))
	for i, t := range r.Tools {
		schema := t.Parameters
		if schema == nil {
			schema = llm.EmptyObjectSchema // inputSchema is required
		}
		tools[i] = converseTool{ToolSpec: toolSpec{Name: t.Name, Description: t.Description, InputSchema: inputSchema{JSON: schema}}}
	}
	return &toolConfig{Tools: tools, ToolChoice: converseToolChoice(r.ToolChoice)}, nil
}

// converseToolChoice maps auto, required and a named function (none is refused above).
func converseToolChoice(choice *llm.ToolChoice) map[string]any {
	switch {
	case choice == nil:
		return nil
	case choice.Mode == llm.ToolChoiceAuto:
		return map[string]any{"auto": struct{}{}}
	case choice.Mode == llm.ToolChoiceRequired:
		return map[string]any{"any": struct{}{}}
	}
	return map[string]any{"tool": map[string]string{"name": choice.Name}}
}

// assistantToolBlocks turns an assistant message with tool_calls into its text (when any;
// Converse rejects empty text blocks) followed by one toolUse block per call.
func assistantToolBlocks(text string, calls []llm.ToolCall) []any {
	var blocks []any
	if text != "" {
		blocks = append(blocks, textBlock{Text: text})
	}
	for _, c := range calls {
		blocks = append(blocks, toolUseBlock{ToolUse: toolUse{ToolUseID: c.ID, Name: c.Name, Input: c.Arguments}})
	}
	return blocks
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
