package anthropic

import (
	"encoding/json"
	"errors"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/kit"
	"github.com/llmgate/llmgate/provider/sse"
)

// Stream decodes the Messages streaming events: message_start (id, model, input tokens),
// content_block_start of tool_use blocks and content_block_delta text or tool input (as
// OpenAI tool_calls deltas), message_delta (stop_reason, output tokens), message_stop; ping
// is ignored and an error event fails the stream.
func (Translator) Stream(c *provider.Call) provider.StreamDecoder {
	return sse.NewDecoder(&streamHandler{model: c.Model, native: native(c)})
}

type streamHandler struct {
	id, model   string
	native      bool // relay each event's frame too (see native.go)
	inputTokens *int64
	stopped     bool
	// toolCalls maps a tool_use content block's index to its ordinal among tool calls, the
	// index OpenAI's tool_calls deltas carry.
	toolCalls map[int]int
}

type streamEvent struct {
	Type    string `json:"type"`
	Message *struct {
		ID    string     `json:"id"`
		Model string     `json:"model"`
		Usage *wireUsage `json:"usage"`
	} `json:"message"`
	Index        int `json:"index"`
	ContentBlock *struct {
		Type string `json:"type"`
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"content_block"`
	Delta *struct {
		Type        string `json:"type"`
		Text        string `json:"text"`
		PartialJSON string `json:"partial_json"`
		StopReason  string `json:"stop_reason"`
	} `json:"delta"`
	Usage *wireUsage `json:"usage"`
	Error *struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

func (h *streamHandler) OnEvent(ev sse.Event) ([]llm.Chunk, error) {
	var e streamEvent
	if err := json.Unmarshal(ev.Data, &e); err != nil {
		return nil, gateway.Wrap(gateway.CodeUpstream, err, "malformed upstream stream")
	}
	chunks, err := h.canonical(e)
	if err != nil || !h.native {
		return chunks, err
	}
	kind := e.Type
	if e.Type == "content_block_delta" && e.Delta != nil && e.Delta.Type == "text_delta" {
		kind = "text_delta"
	}
	return nativeChunks(ev.Event, ev.Data, kind, chunks, llm.Chunk{ID: h.id, Model: h.model}), nil
}

// canonical decodes one event into chat chunks.
func (h *streamHandler) canonical(e streamEvent) ([]llm.Chunk, error) {
	chunk := llm.Chunk{ID: h.id, Model: h.model}
	switch e.Type {
	case "message_start":
		if e.Message != nil {
			h.id, chunk.ID = e.Message.ID, e.Message.ID
			if e.Message.Model != "" {
				h.model, chunk.Model = e.Message.Model, e.Message.Model
			}
			if e.Message.Usage != nil {
				h.inputTokens = e.Message.Usage.InputTokens
			}
		}
		chunk.Choices = []llm.ChunkChoice{{Role: "assistant"}}
	case "content_block_start":
		if e.ContentBlock == nil || e.ContentBlock.Type != "tool_use" {
			return nil, nil // text blocks start empty; their text comes in deltas
		}
		choice, err := h.toolCallStart(e.Index, e.ContentBlock.ID, e.ContentBlock.Name)
		if err != nil {
			return nil, err
		}
		chunk.Choices = []llm.ChunkChoice{choice}
	case "content_block_delta":
		if e.Delta == nil {
			return nil, nil
		}
		switch e.Delta.Type {
		case "text_delta":
			chunk.Choices = []llm.ChunkChoice{{Content: e.Delta.Text}}
		case "input_json_delta":
			choice, err := h.toolCallArguments(e.Index, e.Delta.PartialJSON)
			if err != nil {
				return nil, err
			}
			chunk.Choices = []llm.ChunkChoice{choice}
		default:
			return nil, nil // thinking and signature deltas have no place in the chat schema
		}
	case "message_delta":
		return h.messageDelta(e, chunk), nil
	case "message_stop":
		h.stopped = true
		return nil, nil
	case "error":
		return nil, streamError(e)
	default:
		return nil, nil // ping, content_block_stop, future events
	}
	return []llm.Chunk{chunk}, nil
}

// messageDelta yields the finish chunk and, like OpenAI's include_usage chunk, a separate
// usage chunk with no choices.
func (h *streamHandler) messageDelta(e streamEvent, chunk llm.Chunk) []llm.Chunk {
	var out []llm.Chunk
	if e.Delta != nil && e.Delta.StopReason != "" {
		finish := chunk
		finish.Choices = []llm.ChunkChoice{{FinishReason: finishReason(e.Delta.StopReason)}}
		out = append(out, finish)
	}
	if e.Usage != nil {
		u := usage(h.inputTokens, e.Usage.OutputTokens)
		chunk.Usage = &u
		out = append(out, chunk)
	}
	return out
}

func streamError(e streamEvent) *gateway.Error {
	if e.Error == nil {
		return gateway.Errorf(gateway.CodeUpstream, "anthropic stream failed")
	}
	if e.Error.Type == "rate_limit_error" {
		return gateway.Errorf(gateway.CodeRateLimited, "anthropic rate limit exceeded, retry later")
	}
	msg, ok := kit.SafeMessage(e.Error.Message)
	if !ok {
		msg = e.Error.Type
	}
	return gateway.Errorf(gateway.CodeUpstream, "anthropic stream failed: %s", msg)
}

func (h *streamHandler) Finish() ([]llm.Chunk, error) {
	if h.stopped {
		return nil, nil
	}
	return nil, gateway.Wrap(gateway.CodeUpstream, errors.New("stream ended before message_stop"),
		"upstream stream ended before the answer was complete")
}

// streamToolCall is one OpenAI tool_calls delta entry; ID, Type and Name only on the first.
type streamToolCall struct {
	Index    int    `json:"index"`
	ID       string `json:"id,omitempty"`
	Type     string `json:"type,omitempty"`
	Function struct {
		Name      string `json:"name,omitempty"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// toolCallStart opens a tool call: its id, name and empty arguments, as OpenAI's first delta.
func (h *streamHandler) toolCallStart(block int, id, name string) (llm.ChunkChoice, error) {
	if h.toolCalls == nil {
		h.toolCalls = map[int]int{}
	}
	if _, dup := h.toolCalls[block]; dup {
		return llm.ChunkChoice{}, gateway.Errorf(gateway.CodeUpstream, "malformed upstream stream: content block %d started twice", block)
	}
	ordinal := len(h.toolCalls)
	h.toolCalls[block] = ordinal
	call := streamToolCall{Index: ordinal, ID: id, Type: "function"}
	call.Function.Name = name
	return toolCallChoice(call)
}

// toolCallArguments forwards a piece of a tool call's input JSON as an arguments increment.
func (h *streamHandler) toolCallArguments(block int, partial string) (llm.ChunkChoice, error) {
	ordinal, ok := h.toolCalls[block]
	if !ok {
		return llm.ChunkChoice{}, gateway.Errorf(gateway.CodeUpstream, "malformed upstream stream: tool input for content block %d that is not a tool_use", block)
	}
	call := streamToolCall{Index: ordinal}
	call.Function.Arguments = partial
	return toolCallChoice(call)
}

func toolCallChoice(call streamToolCall) (llm.ChunkChoice, error) {
	b, err := json.Marshal([]streamToolCall{call})
	if err != nil {
		return llm.ChunkChoice{}, gateway.Wrap(gateway.CodeUpstream, err, "malformed upstream stream")
	}
	return llm.ChunkChoice{ToolCalls: b}, nil
}
