package cohere

import (
	"encoding/json"
	"strings"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

// usage is v2's usage object; tokens are what the model processed, billed_units what is
// charged (it leaves out the system preamble). Clients expect the former, as OpenAI reports.
type usage struct {
	BilledUnits *tokenCounts `json:"billed_units"`
	Tokens      *tokenCounts `json:"tokens"`
}

type tokenCounts struct {
	InputTokens  *float64 `json:"input_tokens"`
	OutputTokens *float64 `json:"output_tokens"`
}

func (u *usage) canonical() llm.Usage {
	if u == nil {
		return llm.Usage{}
	}
	counts := u.Tokens
	if counts == nil || counts.InputTokens == nil {
		counts = u.BilledUnits
	}
	if counts == nil || counts.InputTokens == nil {
		return llm.Usage{}
	}
	var out float64
	if counts.OutputTokens != nil {
		out = *counts.OutputTokens
	}
	return llm.NewUsage(int64(*counts.InputTokens), int64(out))
}

type chatResponse struct {
	ID           string `json:"id"`
	FinishReason string `json:"finish_reason"`
	Message      struct {
		Content   []contentPart   `json:"content"`
		ToolCalls json.RawMessage `json:"tool_calls"`
	} `json:"message"`
	Usage *usage `json:"usage"`
}

type contentPart struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// FinishReason maps v2's finish_reason onto the client vocabulary.
func FinishReason(r string) string {
	switch r {
	case "":
		return ""
	case "MAX_TOKENS":
		return llm.FinishLength
	case "TOOL_CALL":
		return llm.FinishToolCalls
	}
	return llm.FinishStop // COMPLETE, STOP_SEQUENCE, ERROR, TIMEOUT
}

func (Translator) Response(c *provider.Call, body []byte) (*llm.Response, error) {
	if c.Type == gateway.TypeEmbeddings {
		return embedResponse(c, body)
	}
	var r chatResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, malformed(err)
	}
	var text strings.Builder
	for _, p := range r.Message.Content {
		if p.Type == "text" { // "thinking" parts are reasoning, not the answer
			text.WriteString(p.Text)
		}
	}
	s := text.String()
	finish := reason(FinishReason(r.FinishReason))
	if c.Type == gateway.TypeCompletions {
		return &llm.Response{Completion: &llm.CompletionResponse{
			ID: r.ID, Object: "text_completion", Model: c.Model, Usage: r.Usage.canonical(),
			Choices: []llm.CompletionChoice{{Text: s, FinishReason: finish}},
		}}, nil
	}
	msg := llm.ResponseMessage{Role: "assistant", Content: &s}
	if len(r.Message.ToolCalls) > 0 && string(r.Message.ToolCalls) != "null" {
		msg.ToolCalls = r.Message.ToolCalls
		if s == "" {
			msg.Content = nil
		}
	}
	return &llm.Response{Chat: &llm.ChatResponse{
		ID: r.ID, Object: "chat.completion", Model: c.Model, Usage: r.Usage.canonical(),
		Choices: []llm.ChatChoice{{Message: msg, FinishReason: finish}},
	}}, nil
}

func reason(r string) *string {
	if r == "" {
		return nil
	}
	return &r
}

func embedResponse(c *provider.Call, body []byte) (*llm.Response, error) {
	var r struct {
		Embeddings struct {
			Float [][]float64 `json:"float"`
		} `json:"embeddings"`
		Meta struct {
			BilledUnits *tokenCounts `json:"billed_units"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, malformed(err)
	}
	if n := len(c.Req.Embeddings.Input); len(r.Embeddings.Float) != n {
		return nil, gateway.Errorf(gateway.CodeUpstream, "provider %q returned %d embeddings for %d inputs", name, len(r.Embeddings.Float), n)
	}
	out := &llm.EmbeddingsResponse{Object: "list", Model: c.Model, Data: make([]llm.Embedding, len(r.Embeddings.Float))}
	for i, v := range r.Embeddings.Float {
		out.Data[i] = llm.Embedding{Object: "embedding", Index: i, Embedding: v}
	}
	if b := r.Meta.BilledUnits; b != nil && b.InputTokens != nil {
		n := int64(*b.InputTokens)
		out.Usage = llm.EmbeddingsUsage{PromptTokens: &n, TotalTokens: &n}
	}
	return &llm.Response{Embeddings: out}, nil
}

func malformed(err error) *gateway.Error {
	return gateway.Wrap(gateway.CodeUpstream, err, "malformed upstream response")
}
