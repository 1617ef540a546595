// Package llm holds the canonical request, response and stream-chunk schemas of llmgate's
// query path. They are MLflow's llm/v1 schemas, which are OpenAI's: surfaces decode into them,
// providers translate from and to them. Fields a schema does not name are kept in Extra and
// forwarded upstream where the provider accepts them, as MLflow does.
package llm

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/internal/jsonobj"
)

// Usage is token accounting; nil fields mean the provider reported nothing.
type Usage struct {
	PromptTokens     *int64 `json:"prompt_tokens"`
	CompletionTokens *int64 `json:"completion_tokens"`
	TotalTokens      *int64 `json:"total_tokens"`
}

// NewUsage builds a Usage from known counts, deriving the total.
func NewUsage(prompt, completion int64) Usage {
	t := prompt + completion
	return Usage{PromptTokens: &prompt, CompletionTokens: &completion, TotalTokens: &t}
}

// Message is one chat turn. Content is kept raw: a string, a list of content parts, or null.
// ToolCalls are an assistant turn's calls (see tools.go).
type Message struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content,omitempty"`
	Name       string          `json:"name,omitempty"`
	ToolCalls  []ToolCall      `json:"tool_calls,omitempty"`
	ToolCallID string          `json:"tool_call_id,omitempty"`
}

// Text returns the message's text: the string content, or its text parts joined. ok is false
// when the content holds non-text parts a text-only provider cannot carry.
func (m *Message) Text() (text string, ok bool) {
	c := bytes.TrimSpace(m.Content)
	if len(c) == 0 || string(c) == "null" {
		return "", true
	}
	if c[0] == '"' {
		var s string
		if sc := jsonobj.NewScanner(c); sc.Str(&s) && sc.AtEnd() {
			return s, true
		}
		if err := json.Unmarshal(c, &s); err != nil {
			return "", false
		}
		return s, true
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(c, &parts); err != nil {
		return "", false
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type != "text" {
			return "", false
		}
		b.WriteString(p.Text)
	}
	return b.String(), true
}

// StringContent returns a raw JSON string for s, for building messages.
func StringContent(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

// StreamOptions is OpenAI's stream_options.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// Params are the generation knobs shared by chat and completions.
type Params struct {
	Temperature   *float64       `json:"temperature,omitempty"`
	TopP          *float64       `json:"top_p,omitempty"`
	N             *int           `json:"n,omitempty"`
	Stop          []string       `json:"stop,omitempty"`
	MaxTokens     *int           `json:"max_tokens,omitempty"`
	Stream        bool           `json:"stream,omitempty"`
	StreamOptions *StreamOptions `json:"stream_options,omitempty"`
	// ResponseFormat is OpenAI's response_format (see tools.go).
	ResponseFormat *ResponseFormat `json:"response_format,omitempty"`
}

// ChatRequest is an llm/v1/chat request. Tools and ToolChoice are OpenAI's,
// parsed and validated by Decode (see tools.go).
type ChatRequest struct {
	Messages   []Message   `json:"messages"`
	Tools      []Tool      `json:"tools,omitempty"`
	ToolChoice *ToolChoice `json:"tool_choice,omitempty"`
	Params
	// Extra holds every field not named above, forwarded verbatim where the provider allows.
	Extra map[string]json.RawMessage `json:"-"`
}

// CompletionRequest is an llm/v1/completions request.
type CompletionRequest struct {
	Prompt string `json:"prompt"`
	Params
	Extra map[string]json.RawMessage `json:"-"`
}

// EmbeddingsRequest is an llm/v1/embeddings request. Input is always a list; InputIsString
// remembers that the caller sent a bare string.
type EmbeddingsRequest struct {
	Input         []string                   `json:"-"`
	InputIsString bool                       `json:"-"`
	Extra         map[string]json.RawMessage `json:"-"`
}

// Request is one decoded query of any type; exactly one of the pointers is set.
type Request struct {
	Type       gateway.EndpointType
	Chat       *ChatRequest
	Completion *CompletionRequest
	Embeddings *EmbeddingsRequest
	// Native is the body as the caller sent it, when its surface speaks a provider's own wire
	// (Anthropic's Messages API). A provider of that wire sends it on instead of translating
	// the canonical request, so nothing the canonical form has no place for is lost; every
	// other provider ignores it. The canonical request is still what limits, validation and
	// metering read.
	Native *Native
}

// Native is a request or an answer in one provider API's own wire format.
type Native struct {
	API  string // e.g. NativeAnthropic
	Body []byte
}

// NativeAnthropic names Anthropic's Messages API in Native.API.
const NativeAnthropic = "anthropic"

// NativeFor returns r's native body when it is in api's format, else nil.
func (r *Request) NativeFor(api string) []byte {
	if r == nil || r.Native == nil || r.Native.API != api {
		return nil
	}
	return r.Native.Body
}

// Stream reports whether the caller asked for a stream.
func (r *Request) Stream() bool {
	switch {
	case r.Chat != nil:
		return r.Chat.Stream
	case r.Completion != nil:
		return r.Completion.Stream
	}
	return false
}

// Params returns the generation parameters (nil for embeddings).
func (r *Request) Params() *Params {
	switch {
	case r.Chat != nil:
		return &r.Chat.Params
	case r.Completion != nil:
		return &r.Completion.Params
	}
	return nil
}

// ExtraFields returns the unnamed fields of whichever request is set.
func (r *Request) ExtraFields() map[string]json.RawMessage {
	switch {
	case r.Chat != nil:
		return r.Chat.Extra
	case r.Completion != nil:
		return r.Completion.Extra
	case r.Embeddings != nil:
		return r.Embeddings.Extra
	}
	return nil
}

// ResponseMessage is the assistant message of a chat choice.
type ResponseMessage struct {
	Role      string          `json:"role"`
	Content   *string         `json:"content"`
	ToolCalls json.RawMessage `json:"tool_calls,omitempty"`
}

// ChatChoice is one choice of a chat response.
type ChatChoice struct {
	Index        int             `json:"index"`
	Message      ResponseMessage `json:"message"`
	FinishReason *string         `json:"finish_reason"`
}

// ChatResponse is an llm/v1/chat response ("chat.completion").
type ChatResponse struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []ChatChoice `json:"choices"`
	Usage   Usage        `json:"usage"`
}

// CompletionChoice is one choice of a completions response.
type CompletionChoice struct {
	Index        int     `json:"index"`
	Text         string  `json:"text"`
	FinishReason *string `json:"finish_reason"`
}

// CompletionResponse is an llm/v1/completions response ("text_completion").
type CompletionResponse struct {
	ID      string             `json:"id"`
	Object  string             `json:"object"`
	Created int64              `json:"created"`
	Model   string             `json:"model"`
	Choices []CompletionChoice `json:"choices"`
	Usage   Usage              `json:"usage"`
}

// Embedding is one vector, in input order.
type Embedding struct {
	Object    string    `json:"object"`
	Index     int       `json:"index"`
	Embedding []float64 `json:"embedding"`
}

// EmbeddingsUsage has no completion tokens.
type EmbeddingsUsage struct {
	PromptTokens *int64 `json:"prompt_tokens"`
	TotalTokens  *int64 `json:"total_tokens"`
}

// EmbeddingsResponse is an llm/v1/embeddings response ("list").
type EmbeddingsResponse struct {
	Object string          `json:"object"`
	Data   []Embedding     `json:"data"`
	Model  string          `json:"model"`
	Usage  EmbeddingsUsage `json:"usage"`
}

// Response is a complete answer of any type; exactly one pointer is set.
type Response struct {
	Chat       *ChatResponse
	Completion *CompletionResponse
	Embeddings *EmbeddingsResponse
	// Native is the provider's answer as it came, set when the request was native
	// (Request.Native) and the provider speaks that wire; the surface of that wire writes it
	// instead of rendering the canonical answer.
	Native *Native
}

// Model returns the model whichever response names.
func (r *Response) Model() string {
	switch {
	case r.Chat != nil:
		return r.Chat.Model
	case r.Completion != nil:
		return r.Completion.Model
	case r.Embeddings != nil:
		return r.Embeddings.Model
	}
	return ""
}

// Usage returns the token counts of whichever response is set.
func (r *Response) Usage() Usage {
	switch {
	case r.Chat != nil:
		return r.Chat.Usage
	case r.Completion != nil:
		return r.Completion.Usage
	case r.Embeddings != nil:
		return Usage{PromptTokens: r.Embeddings.Usage.PromptTokens, TotalTokens: r.Embeddings.Usage.TotalTokens}
	}
	return Usage{}
}

// ChunkChoice is one choice's increment in a stream chunk.
type ChunkChoice struct {
	Index        int
	Role         string          // set on the first chunk of a choice
	Content      string          // text increment
	ToolCalls    json.RawMessage // OpenAI-shaped tool call deltas, passed through
	FinishReason string          // set on the last chunk of a choice
}

// Chunk is one provider-neutral stream increment. Surfaces render it in their own framing
// (MLflow's chat/text_completion chunks or OpenAI's).
type Chunk struct {
	ID      string
	Model   string
	Created int64
	Choices []ChunkChoice
	// Usage is set on the chunk that carries the final token counts.
	Usage *Usage
	// Native is a frame of the caller's own wire (a whole SSE event), set when the request
	// was native and the provider speaks that wire: the surface of that wire writes it after
	// the chunk's text. Text itself stays in Choices so that it is scrubbed across frames.
	Native []byte
	// BlockEnd marks a Native frame that closes a block of text: text held back from the
	// choices (see the pipeline's scrubber) must go out before it.
	BlockEnd bool
}

// Finish reasons towards clients.
const (
	FinishStop          = "stop"
	FinishLength        = "length"
	FinishContentFilter = "content_filter"
	FinishToolCalls     = "tool_calls"
)
