// Package openaicompat holds the OpenAI wire format every OpenAI-compatible provider shares:
// request bodies built from the canonical llm request, response and SSE stream parsing, and
// the mapping of OpenAI-style error answers to safe gateway errors. The openai provider and
// every provider that speaks the same wire (Mistral, Together, Databricks, LiteLLM, TGI's
// Messages API, ...) configure a Translator here instead of re-implementing it.
package openaicompat

import (
	"encoding/json"
	"fmt"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

// Path returns the path OpenAI serves endpoint type t on, relative to the API base.
func Path(t gateway.EndpointType) string {
	switch t {
	case gateway.TypeCompletions:
		return "/completions"
	case gateway.TypeEmbeddings:
		return "/embeddings"
	}
	return "/chat/completions"
}

// Body builds the JSON body for c: the typed fields of the canonical request with its Extra
// fields merged at the top level, "model" set to the endpoint's model (omitted when empty, as
// for Azure where the deployment decides), and for streams "stream": true plus
// "stream_options": {"include_usage": true} so the final chunk carries token counts.
func Body(c *provider.Call) ([]byte, error) {
	r := c.Req
	switch {
	case c.Type == gateway.TypeChat && r.Chat != nil:
		return ChatBody(c.Model, r.Chat)
	case c.Type == gateway.TypeCompletions && r.Completion != nil:
		return CompletionBody(c.Model, r.Completion)
	case c.Type == gateway.TypeEmbeddings && r.Embeddings != nil:
		return EmbeddingsBody(c.Model, r.Embeddings)
	}
	return nil, gateway.Errorf(gateway.CodeInvalid, "request does not match endpoint type %s", c.Type)
}

// ChatBody builds a /chat/completions body.
func ChatBody(model string, r *llm.ChatRequest) ([]byte, error) {
	return merge(model, r, r.Extra, r.Stream)
}

// CompletionBody builds a legacy /completions body.
func CompletionBody(model string, r *llm.CompletionRequest) ([]byte, error) {
	return merge(model, r, r.Extra, r.Stream)
}

// EmbeddingsBody builds an /embeddings body; input is always sent as a list.
func EmbeddingsBody(model string, r *llm.EmbeddingsRequest) ([]byte, error) {
	typed := struct {
		Input []string `json:"input"`
	}{Input: r.Input}
	if typed.Input == nil {
		typed.Input = []string{}
	}
	return merge(model, typed, r.Extra, false)
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

func merge(model string, typed any, extra map[string]json.RawMessage, stream bool) ([]byte, error) {
	fields := make(map[string]json.RawMessage, len(extra)+4)
	for k, v := range extra {
		fields[k] = v
	}
	raw, err := json.Marshal(typed)
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeInvalid, err, "request cannot be encoded")
	}
	var named map[string]json.RawMessage
	if err := json.Unmarshal(raw, &named); err != nil {
		return nil, gateway.Wrap(gateway.CodeInternal, err, "internal error")
	}
	for k, v := range named {
		fields[k] = v
	}
	delete(fields, "model")
	if model != "" {
		fields["model"] = mustJSON(model)
	}
	delete(fields, "stream")
	delete(fields, "stream_options")
	if stream {
		fields["stream"] = json.RawMessage("true")
		fields["stream_options"] = json.RawMessage(`{"include_usage":true}`)
	}
	out, err := json.Marshal(fields)
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeInvalid, fmt.Errorf("encode body: %w", err), "request cannot be encoded")
	}
	return out, nil
}

func mustJSON(s string) json.RawMessage {
	b, _ := json.Marshal(s) // a string always encodes
	return b
}
