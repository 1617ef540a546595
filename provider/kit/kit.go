// Package kit is what every provider translator shares whatever its wire: the mapping of an
// upstream's error answer (status, Retry-After, a message safe to relay) to a gateway error,
// malformed-answer errors, URL joining, and the chat/completions reshaping for providers that
// serve completions through their chat API. OpenAI's own wire lives in provider/openaicompat.
package kit

import "github.com/llmgate/llmgate/llm"

// JoinURL appends path to base without doubling or dropping the slash between them.
func JoinURL(base, path string) string {
	for len(base) > 0 && base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	return base + path
}

// ChatFromPrompt turns a completions request into a one-user-message chat request, for
// providers that only serve chat (MLflow does the same for them).
func ChatFromPrompt(r *llm.CompletionRequest) *llm.ChatRequest {
	return &llm.ChatRequest{
		Messages: []llm.Message{{Role: "user", Content: llm.StringContent(r.Prompt)}},
		Params:   r.Params,
		Extra:    r.Extra,
	}
}

// CompletionFromChat re-shapes a chat answer as a completions answer, for providers that
// serve completions through their chat API.
func CompletionFromChat(r *llm.ChatResponse) *llm.CompletionResponse {
	out := &llm.CompletionResponse{ID: r.ID, Object: "text_completion", Created: r.Created, Model: r.Model, Usage: r.Usage,
		Choices: make([]llm.CompletionChoice, len(r.Choices))}
	for i, c := range r.Choices {
		out.Choices[i] = llm.CompletionChoice{Index: c.Index, FinishReason: c.FinishReason}
		if c.Message.Content != nil {
			out.Choices[i].Text = *c.Message.Content
		}
	}
	return out
}
