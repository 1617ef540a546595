package openaicompat

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/kit"
	"github.com/llmgate/llmgate/provider/sse"
)

// NewStreamDecoder decodes an OpenAI SSE stream: "data: {chunk}" events, a usage-only final
// chunk with empty choices (asked for by stream_options.include_usage), "data: [DONE]", and
// the legacy completions stream whose text is in choices[].text. An {"error": ...} event
// becomes a CodeUpstream error. The stream counts as finished at [DONE] or, for servers that
// omit [DONE] (MLflow, some proxies), once a choice has reported its finish_reason.
func NewStreamDecoder(providerName string) provider.StreamDecoder {
	return sse.NewDecoder(&streamHandler{provider: providerName})
}

type streamHandler struct {
	provider string
	done     bool
	finished bool
	// id and model are the last chunk's, reused while the stream repeats them (decodeChunk).
	id, model string
	// w and out are reused from one event to the next, so an event costs no allocation for
	// them: the slice OnEvent returns is valid until its next call (sse.Handler).
	w   wireChunk
	out [1]llm.Chunk
}

type wireChunk struct {
	ID      string          `json:"id"`
	Created int64           `json:"created"`
	Model   string          `json:"model"`
	Choices []wireChoice    `json:"choices"`
	Usage   *wireUsage      `json:"usage"`
	Error   json.RawMessage `json:"error"`
}

type wireChoice struct {
	Index        int       `json:"index"`
	Delta        wireDelta `json:"delta"`
	Text         *string   `json:"text"`
	FinishReason *string   `json:"finish_reason"`
}

type wireDelta struct {
	Role      string          `json:"role"`
	Content   *string         `json:"content"`
	ToolCalls json.RawMessage `json:"tool_calls"`
}

func (h *streamHandler) OnEvent(ev sse.Event) ([]llm.Chunk, error) {
	data := bytes.TrimSpace(ev.Data)
	if string(data) == "[DONE]" {
		h.done = true
		return nil, nil
	}
	if h.done {
		return nil, nil // nothing after [DONE] is meaningful
	}
	w := &h.w
	*w = wireChunk{}
	if !decodeChunk(data, w, h.id, h.model) { // the common shapes take the fast path (chunkjson.go)
		*w = wireChunk{}
		if err := decodeObject(data, w); err != nil {
			return nil, gateway.Wrap(gateway.CodeUpstream, err, "malformed upstream stream")
		}
	}
	if len(w.Error) > 0 && string(w.Error) != "null" || ev.Event == "error" {
		return nil, streamError(h.provider, data)
	}
	h.id, h.model = w.ID, w.Model
	chunk := llm.Chunk{ID: w.ID, Model: w.Model, Created: w.Created}
	for _, c := range w.Choices {
		cc := llm.ChunkChoice{Index: c.Index, Role: c.Delta.Role, ToolCalls: nonNull(c.Delta.ToolCalls)}
		switch {
		case c.Delta.Content != nil:
			cc.Content = *c.Delta.Content
		case c.Text != nil:
			cc.Content = *c.Text
		}
		if c.FinishReason != nil && *c.FinishReason != "" {
			cc.FinishReason = *c.FinishReason
			h.finished = true
		}
		chunk.Choices = append(chunk.Choices, cc)
	}
	if w.Usage != nil {
		u := w.Usage.canonical()
		chunk.Usage = &u
	}
	if len(chunk.Choices) == 0 && chunk.Usage == nil {
		return nil, nil
	}
	h.out[0] = chunk
	return h.out[:], nil
}

func (h *streamHandler) Finish() ([]llm.Chunk, error) {
	if h.done || h.finished {
		return nil, nil
	}
	return nil, gateway.Wrap(gateway.CodeUpstream, errors.New("stream ended without [DONE] or finish_reason"),
		"upstream stream ended before the answer was complete")
}

// streamError maps an error event that arrives after the 200 status: the caller's request
// was accepted, so whatever went wrong is the provider's failure.
func streamError(providerName string, data []byte) *gateway.Error {
	msg, ok := kit.SafeMessage(kit.ProviderMessage(data))
	if !ok {
		msg = "error event without details"
	}
	return gateway.Errorf(gateway.CodeUpstream, "%s stream failed: %s", providerName, msg)
}

func nonNull(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return raw
}
