package tgi

import (
	"encoding/json"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/sse"
)

// streamEvent is one /generate_stream event: a token, and on the last event the full
// generated_text and details; or an in-band error.
type streamEvent struct {
	Token *struct {
		Text    string `json:"text"`
		Special bool   `json:"special"`
	} `json:"token"`
	Details   *details `json:"details"`
	Error     string   `json:"error"`
	ErrorType string   `json:"error_type"`
}

// generateStream re-frames TGI's token events. Special tokens (e.g. "</s>") are control
// tokens, not text, so they are left out; details on the last event end the stream.
type generateStream struct {
	model   string
	started bool
	done    bool
}

// OnEvent translates one event.
func (s *generateStream) OnEvent(e sse.Event) ([]llm.Chunk, error) {
	var ev streamEvent
	if err := json.Unmarshal(e.Data, &ev); err != nil {
		return nil, malformed(err)
	}
	if ev.Error != "" {
		return nil, streamError(ev.Error, ev.ErrorType)
	}
	ch := llm.ChunkChoice{}
	if !s.started {
		s.started = true
		ch.Role = "assistant"
	}
	if ev.Token != nil && !ev.Token.Special {
		ch.Content = ev.Token.Text
	}
	chunk := llm.Chunk{Model: s.model}
	if ev.Details != nil {
		s.done = true
		ch.FinishReason = FinishReason(ev.Details.FinishReason)
		if u := ev.Details.usage(); u.CompletionTokens != nil {
			chunk.Usage = &u
		}
	}
	chunk.Choices = []llm.ChunkChoice{ch}
	return []llm.Chunk{chunk}, nil
}

// Finish reports a stream cut before the details event.
func (s *generateStream) Finish() ([]llm.Chunk, error) {
	if !s.done {
		return nil, gateway.Errorf(gateway.CodeUpstream, "provider %q stream ended before the final details event", name)
	}
	return nil, nil
}

func (Translator) Stream(c *provider.Call) provider.StreamDecoder {
	if c.Type == gateway.TypeChat {
		return messagesAPI.Stream(c)
	}
	return sse.NewDecoder(&generateStream{model: c.Model})
}
