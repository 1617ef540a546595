package anthropic

import (
	"encoding/json"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
)

// streamEncoder renders canonical chunks as the Messages API's events. Anthropic numbers the
// content blocks of a message and opens and closes each one, so the encoder remembers the open
// block, which tool call (by OpenAI's tool_calls index) lives in which block, and the stop
// reason and usage for the closing message_delta, which AppendEnd writes once the pipeline
// has recorded the answer.
type streamEncoder struct {
	started bool
	open    int    // index of the open block, -1 when none
	kind    string // "text" or "tool_use" for the open block
	next    int    // index the next block gets
	tools   map[int]int
	stop    string
	usage   llm.Usage
	// native: the provider relays its own events (llm.Chunk.Native); see native.go.
	native    bool
	textBlock int    // index of the native text block text deltas belong to
	tail      []byte // the native message_delta and message_stop, written by AppendEnd
}

func newStreamEncoder() *streamEncoder { return &streamEncoder{open: -1, tools: map[int]int{}} }

// toolDelta is one entry of an OpenAI tool_calls delta.
type toolDelta struct {
	Index    int    `json:"index"`
	ID       string `json:"id"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// AppendChunk writes message_start before the first content, then per choice 0 (Messages
// answers have one): text as text_delta in a text block, tool calls as tool_use blocks fed
// by input_json_delta. Other choices cannot occur (the surface never asks for n > 1).
func (e *streamEncoder) AppendChunk(dst []byte, _ gateway.EndpointType, c *llm.Chunk, _ bool) []byte {
	if !e.started && c.Native != nil {
		e.started, e.native = true, true
	}
	if e.native {
		return e.appendNative(dst, c)
	}
	if c.Usage != nil {
		mergeUsage(&e.usage, c.Usage)
	}
	if !e.started {
		e.started = true
		dst = e.appendStart(dst, c)
	}
	for _, ch := range c.Choices {
		if ch.Index != 0 {
			continue
		}
		if ch.Content != "" {
			dst = e.appendText(dst, ch.Content)
		}
		if len(ch.ToolCalls) > 0 {
			dst = e.appendToolCalls(dst, ch.ToolCalls)
		}
		if ch.FinishReason != "" {
			e.stop = stopReason(ch.FinishReason)
		}
	}
	return dst
}

func mergeUsage(dst, src *llm.Usage) {
	if src.PromptTokens != nil {
		dst.PromptTokens = src.PromptTokens
	}
	if src.CompletionTokens != nil {
		dst.CompletionTokens = src.CompletionTokens
	}
}

func (e *streamEncoder) appendStart(dst []byte, c *llm.Chunk) []byte {
	m := message{ID: messageID(c.ID), Type: "message", Role: "assistant", Model: c.Model, Content: []any{},
		Usage: toWireUsage(e.usage)}
	return appendEvent(dst, "message_start", map[string]any{"type": "message_start", "message": m})
}

func (e *streamEncoder) appendText(dst []byte, text string) []byte {
	if e.kind != "text" {
		dst = e.openBlock(dst, "text", textBlock{Type: "text", Text: ""})
	}
	return appendEvent(dst, "content_block_delta", map[string]any{"type": "content_block_delta", "index": e.open,
		"delta": map[string]string{"type": "text_delta", "text": text}})
}

func (e *streamEncoder) appendToolCalls(dst []byte, raw json.RawMessage) []byte {
	var deltas []toolDelta
	if json.Unmarshal(raw, &deltas) != nil {
		return dst
	}
	for _, d := range deltas {
		if d.ID != "" {
			dst = e.openBlock(dst, "tool_use", toolUseBlock{Type: "tool_use", ID: d.ID, Name: d.Function.Name, Input: json.RawMessage(`{}`)})
			e.tools[d.Index] = e.open
		}
		index, ok := e.tools[d.Index]
		if !ok || d.Function.Arguments == "" {
			continue // arguments for a call never opened carry nothing a client could place
		}
		dst = appendEvent(dst, "content_block_delta", map[string]any{"type": "content_block_delta", "index": index,
			"delta": map[string]string{"type": "input_json_delta", "partial_json": d.Function.Arguments}})
	}
	return dst
}

// openBlock closes the open block and starts a new one.
func (e *streamEncoder) openBlock(dst []byte, kind string, start any) []byte {
	dst = e.closeBlock(dst)
	e.open, e.kind = e.next, kind
	e.next++
	return appendEvent(dst, "content_block_start", map[string]any{"type": "content_block_start", "index": e.open, "content_block": start})
}

func (e *streamEncoder) closeBlock(dst []byte) []byte {
	if e.open < 0 {
		return dst
	}
	dst = appendEvent(dst, "content_block_stop", map[string]any{"type": "content_block_stop", "index": e.open})
	e.open, e.kind = -1, ""
	return dst
}

// AppendStreamError is Anthropic's in-stream error event.
func (e *streamEncoder) AppendStreamError(dst []byte, err *gateway.Error) []byte {
	return appendEvent(dst, "error", envelope(status(err), err))
}

// AppendEnd closes the open block and the message: message_delta with the stop reason and
// the final usage (input tokens too, which message_start could not know yet), message_stop.
func (e *streamEncoder) AppendEnd(dst []byte) []byte {
	if e.native && len(e.tail) > 0 {
		return append(dst, e.tail...)
	}
	if !e.started {
		e.started = true
		dst = e.appendStart(dst, &llm.Chunk{})
	}
	dst = e.closeBlock(dst)
	stop := e.stop
	if stop == "" {
		stop = "end_turn"
	}
	dst = appendEvent(dst, "message_delta", map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": stop, "stop_sequence": nil}, "usage": toWireUsage(e.usage)})
	return appendEvent(dst, "message_stop", map[string]any{"type": "message_stop"})
}
