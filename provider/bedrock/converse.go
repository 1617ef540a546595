package bedrock

import (
	"encoding/json"
	"errors"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider/kit"
)

type textBlock struct {
	Text string `json:"text"`
}

// converseMessage is one Converse turn; Content holds textBlock, toolUseBlock and
// toolResultBlock values.
type converseMessage struct {
	Role    string `json:"role"`
	Content []any  `json:"content"`
}

type inferenceConfig struct {
	MaxTokens     *int     `json:"maxTokens,omitempty"`
	Temperature   *float64 `json:"temperature,omitempty"`
	TopP          *float64 `json:"topP,omitempty"`
	StopSequences []string `json:"stopSequences,omitempty"`
}

type converseRequest struct {
	Messages        []converseMessage          `json:"messages"`
	System          []textBlock                `json:"system,omitempty"`
	InferenceConfig *inferenceConfig           `json:"inferenceConfig,omitempty"`
	ToolConfig      *toolConfig                `json:"toolConfig,omitempty"`
	Additional      map[string]json.RawMessage `json:"additionalModelRequestFields,omitempty"`
}

// converseBody maps a canonical chat request to Converse: system turns go to "system",
// consecutive same-role turns are merged (Converse requires alternating roles), tools go to
// toolConfig, generation
// knobs go to inferenceConfig, and unnamed extra fields to additionalModelRequestFields (the
// model-specific parameters, e.g. top_k), the only place Converse accepts them.
func converseBody(r *llm.ChatRequest) ([]byte, error) {
	if r.N != nil && *r.N > 1 {
		return nil, gateway.Errorf(gateway.CodeInvalid, "bedrock does not support n > 1")
	}
	tools, err := buildToolConfig(r)
	if err != nil {
		return nil, err
	}
	out := converseRequest{Additional: additional(r), ToolConfig: tools}
	if out.Messages, out.System, err = converseMessages(r.Messages); err != nil {
		return nil, err
	}
	if len(out.Messages) == 0 {
		return nil, gateway.Errorf(gateway.CodeInvalid, "bedrock needs at least one user or assistant message")
	}
	if r.MaxTokens != nil || r.Temperature != nil || r.TopP != nil || len(r.Stop) > 0 {
		out.InferenceConfig = &inferenceConfig{MaxTokens: r.MaxTokens, Temperature: r.Temperature, TopP: r.TopP, StopSequences: r.Stop}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeInvalid, err, "request cannot be encoded")
	}
	return b, nil
}

// additional is what goes to additionalModelRequestFields: the extra fields and
// response_format, which some Bedrock models read there.
func additional(r *llm.ChatRequest) map[string]json.RawMessage {
	if r.ResponseFormat == nil {
		return r.Extra
	}
	out := make(map[string]json.RawMessage, len(r.Extra)+1)
	for k, v := range r.Extra {
		out[k] = v
	}
	out["response_format"], _ = json.Marshal(r.ResponseFormat) // a decoded value always encodes
	return out
}

// converseMessages splits canonical turns into Converse messages and system blocks. Tool
// results travel in user turns, which appendTurn merges with neighbouring results.
func converseMessages(in []llm.Message) ([]converseMessage, []textBlock, error) {
	var msgs []converseMessage
	var system []textBlock
	for i, m := range in {
		text, ok := m.Text()
		if !ok {
			return nil, nil, gateway.Errorf(gateway.CodeInvalid, "bedrock: messages[%d] has content parts other than text", i)
		}
		switch {
		case m.Role == "system":
			system = append(system, textBlock{Text: text})
		case m.Role == "assistant" && len(m.ToolCalls) > 0:
			msgs = appendTurn(msgs, m.Role, assistantToolBlocks(text, m.ToolCalls)...)
		case m.Role == "user" || m.Role == "assistant":
			msgs = appendTurn(msgs, m.Role, textContent(text))
		case m.Role == "tool" && m.ToolCallID != "":
			msgs = appendTurn(msgs, "user", toolResultContent(m.ToolCallID, text))
		default:
			return nil, nil, gateway.Errorf(gateway.CodeInvalid, "bedrock: messages[%d] has role %q; only system, user, assistant and tool (with tool_call_id) are supported", i, m.Role)
		}
	}
	return msgs, system, nil
}

// textContent is a text block; Converse rejects empty ones, so "" becomes a space.
func textContent(text string) textBlock {
	if text == "" {
		text = " "
	}
	return textBlock{Text: text}
}

func appendTurn(msgs []converseMessage, role string, blocks ...any) []converseMessage {
	if n := len(msgs); n > 0 && msgs[n-1].Role == role {
		msgs[n-1].Content = append(msgs[n-1].Content, blocks...)
		return msgs
	}
	return append(msgs, converseMessage{Role: role, Content: blocks})
}

type converseUsage struct {
	InputTokens  *int64 `json:"inputTokens"`
	OutputTokens *int64 `json:"outputTokens"`
	TotalTokens  *int64 `json:"totalTokens"`
}

func (u *converseUsage) canonical() llm.Usage {
	if u == nil {
		return llm.Usage{}
	}
	out := llm.Usage{PromptTokens: u.InputTokens, CompletionTokens: u.OutputTokens, TotalTokens: u.TotalTokens}
	if out.TotalTokens == nil && u.InputTokens != nil && u.OutputTokens != nil {
		t := *u.InputTokens + *u.OutputTokens
		out.TotalTokens = &t
	}
	return out
}

// finishReason maps Converse's stopReason to the client vocabulary.
func finishReason(stop string) string {
	switch stop {
	case "max_tokens", "model_context_window_exceeded":
		return llm.FinishLength
	case "content_filtered", "guardrail_intervened":
		return llm.FinishContentFilter
	case "tool_use":
		return llm.FinishToolCalls
	}
	return llm.FinishStop // end_turn, stop_sequence
}

// parseConverse translates a Converse response. Converse has no id or timestamp; both stay
// zero for the surface to fill.
func parseConverse(model string, body []byte) (*llm.ChatResponse, error) {
	var w struct {
		Output *struct {
			Message *struct {
				Role    string `json:"role"`
				Content []struct {
					Text    *string          `json:"text"`
					ToolUse *responseToolUse `json:"toolUse"`
				} `json:"content"`
			} `json:"message"`
		} `json:"output"`
		StopReason string         `json:"stopReason"`
		Usage      *converseUsage `json:"usage"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, kit.Malformed(err)
	}
	if w.Output == nil || w.Output.Message == nil {
		return nil, kit.Malformed(errors.New("converse response has no output.message"))
	}
	var text string
	var uses []*responseToolUse
	for _, c := range w.Output.Message.Content {
		if c.Text != nil {
			text += *c.Text
		}
		if c.ToolUse != nil {
			uses = append(uses, c.ToolUse)
		}
	}
	toolCalls, err := responseToolCalls(uses)
	if err != nil {
		return nil, kit.Malformed(err)
	}
	content := &text
	if text == "" && toolCalls != nil {
		content = nil // an answer that only calls tools has null content, as OpenAI's has
	}
	finish := finishReason(w.StopReason)
	return &llm.ChatResponse{
		Object: "chat.completion", Model: model,
		Choices: []llm.ChatChoice{{Index: 0, Message: llm.ResponseMessage{Role: "assistant", Content: content, ToolCalls: toolCalls}, FinishReason: &finish}},
		Usage:   w.Usage.canonical(),
	}, nil
}
