package anthropic

import (
	"encoding/json"
	"errors"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/kit"
)

type wireUsage struct {
	InputTokens  *int64 `json:"input_tokens"`
	OutputTokens *int64 `json:"output_tokens"`
}

func usage(input, output *int64) llm.Usage {
	u := llm.Usage{PromptTokens: input, CompletionTokens: output}
	if input != nil && output != nil {
		t := *input + *output
		u.TotalTokens = &t
	}
	return u
}

// responseBlock is one content block of a Messages answer: text or tool_use (others, such as
// thinking, carry nothing a client of the chat schema can use).
type responseBlock struct {
	Type  string          `json:"type"`
	Text  string          `json:"text"`
	ID    string          `json:"id"`
	Name  string          `json:"name"`
	Input json.RawMessage `json:"input"`
}

// responseText joins the text blocks. An answer that only calls tools has null content, as
// OpenAI's has; an answer without tool calls keeps "" so plain answers stay strings.
func responseText(blocks []responseBlock, hasToolCalls bool) *string {
	var text string
	for _, b := range blocks {
		if b.Type == "text" {
			text += b.Text
		}
	}
	if text == "" && hasToolCalls {
		return nil
	}
	return &text
}

// Response translates a Messages API answer: text blocks joined, tool_use blocks as
// tool_calls, stop_reason mapped.
func (Translator) Response(c *provider.Call, body []byte) (*llm.Response, error) {
	var w struct {
		ID         string          `json:"id"`
		Type       string          `json:"type"`
		Model      string          `json:"model"`
		Content    []responseBlock `json:"content"`
		StopReason string          `json:"stop_reason"`
		Usage      *wireUsage      `json:"usage"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, kit.Malformed(err)
	}
	if w.Type != "message" || w.Content == nil {
		return nil, kit.Malformed(errors.New("anthropic response is not a message"))
	}
	toolCalls, err := responseToolCalls(w.Content)
	if err != nil {
		return nil, kit.Malformed(err)
	}
	msg := llm.ResponseMessage{Role: "assistant", Content: responseText(w.Content, toolCalls != nil), ToolCalls: toolCalls}
	finish := finishReason(w.StopReason)
	model := w.Model
	if model == "" {
		model = c.Model
	}
	var u llm.Usage
	if w.Usage != nil {
		u = usage(w.Usage.InputTokens, w.Usage.OutputTokens)
	}
	chat := &llm.ChatResponse{ID: w.ID, Object: "chat.completion", Model: model, Usage: u,
		Choices: []llm.ChatChoice{{Index: 0, Message: msg, FinishReason: &finish}}}
	switch c.Type {
	case gateway.TypeChat:
		if native(c) {
			return &llm.Response{Chat: chat, Native: &llm.Native{API: llm.NativeAnthropic, Body: body}}, nil
		}
		return &llm.Response{Chat: chat}, nil
	case gateway.TypeCompletions:
		return &llm.Response{Completion: kit.CompletionFromChat(chat)}, nil
	}
	return nil, gateway.Errorf(gateway.CodeInvalid, "anthropic does not serve %s", c.Type)
}
