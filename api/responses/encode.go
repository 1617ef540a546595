package responses

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
)

// usage is the Responses API's usage object.
type usage struct {
	InputTokens         int64          `json:"input_tokens"`
	InputTokensDetails  map[string]int `json:"input_tokens_details"`
	OutputTokens        int64          `json:"output_tokens"`
	OutputTokensDetails map[string]int `json:"output_tokens_details"`
	TotalTokens         int64          `json:"total_tokens"`
}

func toUsage(u llm.Usage) *usage {
	out := &usage{InputTokensDetails: map[string]int{"cached_tokens": 0}, OutputTokensDetails: map[string]int{"reasoning_tokens": 0}}
	if u.PromptTokens != nil {
		out.InputTokens = *u.PromptTokens
	}
	if u.CompletionTokens != nil {
		out.OutputTokens = *u.CompletionTokens
	}
	out.TotalTokens = out.InputTokens + out.OutputTokens
	if u.TotalTokens != nil {
		out.TotalTokens = *u.TotalTokens
	}
	return out
}

// response is the Responses API's response object. Nothing is stored, so store is false.
type response struct {
	ID                string         `json:"id"`
	Object            string         `json:"object"`
	CreatedAt         int64          `json:"created_at"`
	Status            string         `json:"status"`
	Error             *errorObject   `json:"error"`
	IncompleteDetails map[string]any `json:"incomplete_details"`
	Model             string         `json:"model"`
	Output            []any          `json:"output"`
	ParallelToolCalls bool           `json:"parallel_tool_calls"`
	PreviousID        *string        `json:"previous_response_id"`
	Store             bool           `json:"store"`
	Text              map[string]any `json:"text"`
	Tools             []any          `json:"tools"`
	ToolChoice        any            `json:"tool_choice"`
	Usage             *usage         `json:"usage"`
	Metadata          map[string]any `json:"metadata"`
}

type errorObject struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func newResponse(model string) *response {
	return &response{ID: "resp_" + gateway.NewID(), Object: "response", CreatedAt: time.Now().Unix(), Status: "in_progress",
		Model: model, Output: []any{}, ParallelToolCalls: true, Text: map[string]any{"format": map[string]string{"type": "text"}},
		Tools: []any{}, ToolChoice: "auto", Metadata: map[string]any{}}
}

// finish sets the final status from the canonical finish reason: a cut answer is
// "incomplete" with its reason, as the Responses API reports it.
func (r *response) finish(reason string, u llm.Usage) {
	r.Status = "completed"
	switch reason {
	case llm.FinishLength:
		r.Status, r.IncompleteDetails = "incomplete", map[string]any{"reason": "max_output_tokens"}
	case llm.FinishContentFilter:
		r.Status, r.IncompleteDetails = "incomplete", map[string]any{"reason": "content_filter"}
	}
	r.Usage = toUsage(u)
}

type outputText struct {
	Type        string `json:"type"`
	Text        string `json:"text"`
	Annotations []any  `json:"annotations"`
}

func newOutputText(text string) outputText {
	return outputText{Type: "output_text", Text: text, Annotations: []any{}}
}

type messageItem struct {
	Type    string       `json:"type"`
	ID      string       `json:"id"`
	Status  string       `json:"status"`
	Role    string       `json:"role"`
	Content []outputText `json:"content"`
}

type callItem struct {
	Type      string `json:"type"`
	ID        string `json:"id"`
	CallID    string `json:"call_id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
	Status    string `json:"status"`
}

func itemID(prefix string) string { return prefix + "_" + gateway.NewID() }

// toResponse renders a chat answer's first choice: a message item with its text (when any,
// or when there is nothing else), then a function_call item per tool call.
func toResponse(c *llm.ChatResponse) *response {
	r := newResponse(c.Model)
	if c.Created != 0 {
		r.CreatedAt = c.Created
	}
	finish := llm.FinishStop
	if len(c.Choices) > 0 {
		ch := c.Choices[0]
		calls := functionCalls(ch.Message.ToolCalls)
		if text := ch.Message.Content; (text != nil && *text != "") || len(calls) == 0 {
			t := ""
			if text != nil {
				t = *text
			}
			r.Output = append(r.Output, messageItem{Type: "message", ID: itemID("msg"), Status: "completed", Role: "assistant",
				Content: []outputText{newOutputText(t)}})
		}
		for _, call := range calls {
			r.Output = append(r.Output, call)
		}
		if ch.FinishReason != nil {
			finish = *ch.FinishReason
		}
	}
	r.finish(finish, c.Usage)
	return r
}

func functionCalls(raw json.RawMessage) []callItem {
	if llm.Absent(raw) {
		return nil
	}
	var calls []struct {
		ID       string `json:"id"`
		Function struct {
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		} `json:"function"`
	}
	if json.Unmarshal(raw, &calls) != nil {
		return nil
	}
	out := make([]callItem, len(calls))
	for i, c := range calls {
		out[i] = callItem{Type: "function_call", ID: "fc_" + strings.TrimPrefix(c.ID, "call_"), CallID: c.ID,
			Name: c.Function.Name, Arguments: c.Function.Arguments, Status: "completed"}
	}
	return out
}
