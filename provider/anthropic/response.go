package anthropic

import (
	"encoding/json"
	"errors"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/openaicompat"
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

// Response translates a Messages API answer: text blocks joined, stop_reason mapped.
func (Translator) Response(c *provider.Call, body []byte) (*llm.Response, error) {
	var w struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Model   string `json:"model"`
		Content []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
		StopReason string     `json:"stop_reason"`
		Usage      *wireUsage `json:"usage"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, openaicompat.Malformed(err)
	}
	if w.Type != "message" || w.Content == nil {
		return nil, openaicompat.Malformed(errors.New("anthropic response is not a message"))
	}
	var text string
	for _, b := range w.Content {
		if b.Type == "text" {
			text += b.Text
		}
	}
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
		Choices: []llm.ChatChoice{{Index: 0, Message: llm.ResponseMessage{Role: "assistant", Content: &text}, FinishReason: &finish}}}
	switch c.Type {
	case gateway.TypeChat:
		return &llm.Response{Chat: chat}, nil
	case gateway.TypeCompletions:
		return &llm.Response{Completion: openaicompat.CompletionFromChat(chat)}, nil
	}
	return nil, gateway.Errorf(gateway.CodeInvalid, "anthropic does not serve %s", c.Type)
}
