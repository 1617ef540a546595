package anthropic

import (
	"encoding/json"
	"errors"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/openaicompat"
	"github.com/llmgate/llmgate/provider/sse"
)

// Stream decodes the Messages streaming events: message_start (id, model, input tokens),
// content_block_delta text, message_delta (stop_reason, output tokens), message_stop; ping is
// ignored and an error event fails the stream.
func (Translator) Stream(c *provider.Call) provider.StreamDecoder {
	return sse.NewDecoder(&streamHandler{model: c.Model})
}

type streamHandler struct {
	id, model   string
	inputTokens *int64
	stopped     bool
}

type streamEvent struct {
	Type    string `json:"type"`
	Message *struct {
		ID    string     `json:"id"`
		Model string     `json:"model"`
		Usage *wireUsage `json:"usage"`
	} `json:"message"`
	Delta *struct {
		Type       string `json:"type"`
		Text       string `json:"text"`
		StopReason string `json:"stop_reason"`
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
	case "content_block_delta":
		if e.Delta == nil || e.Delta.Type != "text_delta" {
			return nil, nil // tool input / thinking deltas carry no text
		}
		chunk.Choices = []llm.ChunkChoice{{Content: e.Delta.Text}}
	case "message_delta":
		return h.messageDelta(e, chunk), nil
	case "message_stop":
		h.stopped = true
		return nil, nil
	case "error":
		return nil, streamError(e)
	default:
		return nil, nil // ping, content_block_start, content_block_stop, future events
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
	msg, ok := openaicompat.SafeMessage(e.Error.Message)
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
