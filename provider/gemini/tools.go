package gemini

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
)

// Tool calling: callers speak OpenAI's function tools (tools, tool_choice, assistant
// tool_calls, role "tool" results); Gemini speaks functionDeclarations, toolConfig,
// functionCall parts in model turns and functionResponse parts in user turns. Gemini gives
// calls no ids and matches results to calls by function name.

type functionCall struct {
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"`
}

type functionResponse struct {
	Name     string         `json:"name"`
	Response resultEnvelope `json:"response"`
}

// resultEnvelope wraps a tool's text result: Gemini wants the response to be an object.
type resultEnvelope struct {
	Content string `json:"content"`
}

type functionDeclaration struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
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

// toolCallDelta is one whole call in a stream chunk: Gemini never splits a functionCall.
type toolCallDelta struct {
	Index int `json:"index"`
	openAIToolCall
}

// MarshalJSON writes exactly one member of the part's oneof: Gemini rejects a part that
// carries both text and a function call or response.
func (p part) MarshalJSON() ([]byte, error) {
	switch {
	case p.FunctionCall != nil:
		return json.Marshal(struct {
			FunctionCall *functionCall `json:"functionCall"`
		}{p.FunctionCall})
	case p.FunctionResponse != nil:
		return json.Marshal(struct {
			FunctionResponse *functionResponse `json:"functionResponse"`
		}{p.FunctionResponse})
	}
	return json.Marshal(struct {
		Text    string `json:"text"`
		Thought bool   `json:"thought,omitempty"`
	}{p.Text, p.Thought})
}

// absent reports whether an optional raw field was omitted or sent as null.
func absent(raw json.RawMessage) bool { return llm.Absent(raw) }

// addTools sets tools and toolConfig on the request body.
func addTools(body map[string]any, r *llm.ChatRequest) {
	if len(r.Tools) > 0 {
		decls := make([]functionDeclaration, len(r.Tools))
		for i, tool := range r.Tools {
			decls[i] = functionDeclaration{Name: tool.Name, Description: tool.Description, Parameters: tool.Parameters}
		}
		body["tools"] = []map[string]any{{"functionDeclarations": decls}}
	}
	if r.ToolChoice != nil {
		body["toolConfig"] = map[string]any{"functionCallingConfig": functionCalling(r.ToolChoice)}
	}
}

// functionCalling maps auto, required, none and a named function onto a
// functionCallingConfig.
func functionCalling(choice *llm.ToolChoice) map[string]any {
	switch choice.Mode {
	case llm.ToolChoiceAuto:
		return map[string]any{"mode": "AUTO"}
	case llm.ToolChoiceRequired:
		return map[string]any{"mode": "ANY"}
	case llm.ToolChoiceNone:
		return map[string]any{"mode": "NONE"}
	}
	return map[string]any{"mode": "ANY", "allowedFunctionNames": []string{choice.Name}}
}

// callParts turns an assistant message's tool_calls into functionCall parts and records each
// call's function name by id, so later tool results can be addressed by name.
func callParts(calls []llm.ToolCall, names map[string]string) []part {
	parts := make([]part, 0, len(calls))
	for _, c := range calls {
		names[c.ID] = c.Name
		parts = append(parts, part{FunctionCall: &functionCall{Name: c.Name, Args: c.Arguments}})
	}
	return parts
}

// resultPart turns a role "tool" message into a functionResponse part named after the call
// it answers.
func (t *Translator) resultPart(msgIndex int, m *llm.Message, names map[string]string) (part, error) {
	name, ok := names[m.ToolCallID]
	if !ok {
		return part{}, gateway.Errorf(gateway.CodeInvalid, "provider %q: messages[%d].tool_call_id %q matches no earlier assistant tool call", t.Provider, msgIndex, m.ToolCallID)
	}
	text, ok := m.Text()
	if !ok {
		return part{}, gateway.Errorf(gateway.CodeInvalid, "provider %q: messages[%d] has content parts other than text", t.Provider, msgIndex)
	}
	return part{FunctionResponse: &functionResponse{Name: name, Response: resultEnvelope{Content: text}}}, nil
}

// toolCalls renders a candidate's functionCall parts as OpenAI tool calls numbered from
// first; ids are "call_<n>" because Gemini gives none, so they are stable per response.
func (c *content) toolCalls(first int) ([]toolCallDelta, error) {
	if c == nil {
		return nil, nil
	}
	var out []toolCallDelta
	for _, p := range c.Parts {
		if p.FunctionCall == nil {
			continue
		}
		args := "{}"
		if !absent(p.FunctionCall.Args) {
			var compact bytes.Buffer
			if err := json.Compact(&compact, p.FunctionCall.Args); err != nil {
				return nil, err
			}
			args = compact.String()
		}
		n := first + len(out)
		out = append(out, toolCallDelta{Index: n, openAIToolCall: openAIToolCall{
			ID: fmt.Sprintf("call_%d", n), Type: "function", Function: openAIFunction{Name: p.FunctionCall.Name, Arguments: args},
		}})
	}
	return out, nil
}

// toolFinish reports tool_calls for a candidate that stopped normally after calling tools.
func toolFinish(geminiReason string, calledTools bool) string {
	if calledTools && geminiReason == "STOP" {
		return llm.FinishToolCalls
	}
	return FinishReason(geminiReason)
}
