package gemini

import (
	"encoding/json"
	"strings"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

// generateResponse is a GenerateContentResponse, also one event of a stream.
type generateResponse struct {
	Candidates []struct {
		Index        int      `json:"index"`
		Content      *content `json:"content"`
		FinishReason string   `json:"finishReason"`
	} `json:"candidates"`
	PromptFeedback *struct {
		BlockReason string `json:"blockReason"`
	} `json:"promptFeedback"`
	UsageMetadata *usageMetadata `json:"usageMetadata"`
	ModelVersion  string         `json:"modelVersion"`
	ResponseID    string         `json:"responseId"`
	Error         *apiError      `json:"error"`
}

type usageMetadata struct {
	PromptTokenCount     *int64 `json:"promptTokenCount"`
	CandidatesTokenCount *int64 `json:"candidatesTokenCount"`
	ThoughtsTokenCount   *int64 `json:"thoughtsTokenCount"`
	TotalTokenCount      *int64 `json:"totalTokenCount"`
}

// usage converts Gemini's counts. Thinking tokens are billed as output, so they count as
// completion tokens (as Gemini's own OpenAI-compatible endpoint does); candidatesTokenCount is
// omitted when the answer is empty, which means zero.
func (u *usageMetadata) usage() llm.Usage {
	if u == nil || u.PromptTokenCount == nil {
		return llm.Usage{}
	}
	completion := deref(u.CandidatesTokenCount) + deref(u.ThoughtsTokenCount)
	out := llm.NewUsage(*u.PromptTokenCount, completion)
	if u.TotalTokenCount != nil {
		out.TotalTokens = u.TotalTokenCount
	}
	return out
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// FinishReason maps Gemini's finishReason onto the client vocabulary. Safety-type stops become
// content_filter (MLflow merely lowercases them, which no OpenAI client understands); an
// empty reason means the candidate is still going.
func FinishReason(r string) string {
	switch r {
	case "":
		return ""
	case "MAX_TOKENS":
		return llm.FinishLength
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "LANGUAGE":
		return llm.FinishContentFilter
	}
	return llm.FinishStop
}

// text joins a candidate's text parts, leaving out thought summaries.
func (c *content) text() string {
	if c == nil {
		return ""
	}
	var b strings.Builder
	for _, p := range c.Parts {
		if !p.Thought {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

func (t *Translator) Response(c *provider.Call, body []byte) (*llm.Response, error) {
	if c.Type == gateway.TypeEmbeddings {
		return t.embedResponse(c, body)
	}
	var r generateResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, malformed(err)
	}
	if r.Error != nil {
		return nil, r.Error.gatewayError(t.Provider, r.Error.Code)
	}
	model := r.ModelVersion
	if model == "" {
		model = c.Model
	}
	outcomes, err := r.outcomes()
	if err != nil {
		return nil, malformed(err)
	}
	if c.Type == gateway.TypeCompletions {
		return &llm.Response{Completion: r.completion(model, outcomes)}, nil
	}
	return &llm.Response{Chat: r.chat(model, outcomes)}, nil
}

// outcome is one candidate reduced to text, tool calls and finish reason. A prompt blocked
// before any candidate exists yields one empty content_filter choice, so clients see why.
type outcome struct {
	text, finish string
	toolCalls    json.RawMessage
}

func (r *generateResponse) outcomes() ([]outcome, error) {
	if len(r.Candidates) == 0 && r.PromptFeedback != nil && r.PromptFeedback.BlockReason != "" {
		return []outcome{{finish: llm.FinishContentFilter}}, nil
	}
	out := make([]outcome, len(r.Candidates))
	for i, cand := range r.Candidates {
		calls, err := cand.Content.toolCalls(0)
		if err != nil {
			return nil, err
		}
		out[i] = outcome{text: cand.Content.text(), finish: toolFinish(cand.FinishReason, len(calls) > 0)}
		if len(calls) > 0 {
			if out[i].toolCalls, err = json.Marshal(withoutIndex(calls)); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// withoutIndex drops the stream-only index from complete tool calls.
func withoutIndex(calls []toolCallDelta) []openAIToolCall {
	out := make([]openAIToolCall, len(calls))
	for i, c := range calls {
		out[i] = c.openAIToolCall
	}
	return out
}

func (r *generateResponse) chat(model string, outcomes []outcome) *llm.ChatResponse {
	resp := &llm.ChatResponse{ID: r.ResponseID, Object: "chat.completion", Model: model, Usage: r.UsageMetadata.usage(), Choices: []llm.ChatChoice{}}
	for i, o := range outcomes {
		msg := llm.ResponseMessage{Role: "assistant", ToolCalls: o.toolCalls}
		if o.text != "" || o.toolCalls == nil { // a pure tool call has null content, as OpenAI's
			text := o.text
			msg.Content = &text
		}
		resp.Choices = append(resp.Choices, llm.ChatChoice{Index: i, Message: msg, FinishReason: reason(o.finish)})
	}
	return resp
}

func (r *generateResponse) completion(model string, outcomes []outcome) *llm.CompletionResponse {
	resp := &llm.CompletionResponse{ID: r.ResponseID, Object: "text_completion", Model: model, Usage: r.UsageMetadata.usage(), Choices: []llm.CompletionChoice{}}
	for i, o := range outcomes {
		resp.Choices = append(resp.Choices, llm.CompletionChoice{Index: i, Text: o.text, FinishReason: reason(o.finish)})
	}
	return resp
}

func reason(r string) *string {
	if r == "" {
		return nil
	}
	return &r
}
