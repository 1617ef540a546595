package cohere

import (
	"encoding/json"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/sse"
)

// event is one v2 chat stream event. Content and tool-call deltas share delta.message but
// with different shapes, so the message is decoded per event type.
type event struct {
	Type  string `json:"type"`
	ID    string `json:"id"`
	Index int    `json:"index"`
	Delta struct {
		Message      json.RawMessage `json:"message"`
		FinishReason string          `json:"finish_reason"`
		Usage        *usage          `json:"usage"`
	} `json:"delta"`
}

// streamState re-frames v2 events: message-start opens the one choice, content-delta and
// tool-call-* carry increments, message-end closes it with finish_reason and usage. Other
// events (content-start/end, tool-plan-delta, citation-*) carry nothing a client chunk holds.
type streamState struct {
	model string
	id    string
	done  bool
}

// OnEvent translates one event; the data's "type" repeats the SSE event name.
func (s *streamState) OnEvent(e sse.Event) ([]llm.Chunk, error) {
	var ev event
	if err := json.Unmarshal(e.Data, &ev); err != nil {
		return nil, malformed(err)
	}
	switch ev.Type {
	case "message-start":
		s.id = ev.ID
		return s.chunk(llm.ChunkChoice{Role: "assistant"}), nil
	case "content-delta":
		var m struct {
			Content struct {
				Text string `json:"text"`
			} `json:"content"`
		}
		if err := json.Unmarshal(ev.Delta.Message, &m); err != nil {
			return nil, malformed(err)
		}
		return s.chunk(llm.ChunkChoice{Content: m.Content.Text}), nil
	case "tool-call-start", "tool-call-delta":
		return s.toolCall(ev)
	case "message-end":
		return s.end(ev)
	}
	return nil, nil
}

func (s *streamState) chunk(ch llm.ChunkChoice) []llm.Chunk {
	return []llm.Chunk{{ID: s.id, Model: s.model, Choices: []llm.ChunkChoice{ch}}}
}

// toolCall re-frames Cohere's tool call increments as OpenAI tool_calls deltas: the start
// event carries id, type and name; deltas carry argument fragments.
func (s *streamState) toolCall(ev event) ([]llm.Chunk, error) {
	var m struct {
		ToolCalls map[string]json.RawMessage `json:"tool_calls"`
	}
	if err := json.Unmarshal(ev.Delta.Message, &m); err != nil {
		return nil, malformed(err)
	}
	delta := map[string]any{"index": ev.Index}
	for k, v := range m.ToolCalls {
		delta[k] = v
	}
	b, err := json.Marshal([]any{delta})
	if err != nil {
		return nil, malformed(err)
	}
	return s.chunk(llm.ChunkChoice{ToolCalls: b}), nil
}

func (s *streamState) end(ev event) ([]llm.Chunk, error) {
	// ERROR means generation broke off; the caller must not take the partial text as whole.
	if ev.Delta.FinishReason == "ERROR" {
		return nil, gateway.Errorf(gateway.CodeUpstream, "provider %q failed mid-stream", name)
	}
	s.done = true
	chunks := s.chunk(llm.ChunkChoice{FinishReason: FinishReason(ev.Delta.FinishReason)})
	if u := ev.Delta.Usage.canonical(); u.PromptTokens != nil {
		chunks[0].Usage = &u
	}
	return chunks, nil
}

// Finish reports a stream cut before message-end.
func (s *streamState) Finish() ([]llm.Chunk, error) {
	if !s.done {
		return nil, gateway.Errorf(gateway.CodeUpstream, "provider %q stream ended before message-end", name)
	}
	return nil, nil
}

func (Translator) Stream(c *provider.Call) provider.StreamDecoder {
	return sse.NewDecoder(&streamState{model: c.Model})
}
