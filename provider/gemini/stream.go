package gemini

import (
	"encoding/json"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/sse"
)

// streamState turns streamGenerateContent events (each a whole GenerateContentResponse
// holding the next text increment) into chunks. Gemini sends no terminator: the stream is
// complete once every candidate has a finishReason.
type streamState struct {
	provider string
	model    string
	started  map[int]bool
	open     map[int]bool
	calls    map[int]int // tool calls sent so far, per candidate
	finished bool
}

func newStreamState(providerName, model string) *streamState {
	return &streamState{provider: providerName, model: model, started: map[int]bool{}, open: map[int]bool{}, calls: map[int]int{}}
}

// OnEvent handles one SSE event; its data is a whole GenerateContentResponse.
func (s *streamState) OnEvent(ev sse.Event) ([]llm.Chunk, error) {
	var r generateResponse
	if err := json.Unmarshal(ev.Data, &r); err != nil {
		return nil, malformed(err)
	}
	if r.Error != nil {
		return nil, r.Error.gatewayError(s.provider, r.Error.Code)
	}
	chunk := llm.Chunk{ID: r.ResponseID, Model: r.ModelVersion}
	if chunk.Model == "" {
		chunk.Model = s.model
	}
	if len(r.Candidates) == 0 && r.PromptFeedback != nil && r.PromptFeedback.BlockReason != "" {
		chunk.Choices = []llm.ChunkChoice{{Role: "assistant", FinishReason: llm.FinishContentFilter}}
		s.finished = true
	}
	for _, cand := range r.Candidates {
		ch, err := s.choice(cand.Index, cand.Content, cand.FinishReason)
		if err != nil {
			return nil, malformed(err)
		}
		chunk.Choices = append(chunk.Choices, ch)
	}
	if s.allDone() || s.finished {
		s.finished = true
		if u := r.UsageMetadata.usage(); u.PromptTokens != nil {
			chunk.Usage = &u
		}
	}
	if len(chunk.Choices) == 0 && chunk.Usage == nil {
		return nil, nil
	}
	return []llm.Chunk{chunk}, nil
}

// choice renders one candidate's increment. Gemini sends each functionCall whole, so every
// call becomes one complete tool call delta, numbered across the candidate's stream.
func (s *streamState) choice(index int, c *content, geminiReason string) (llm.ChunkChoice, error) {
	calls, err := c.toolCalls(s.calls[index])
	if err != nil {
		return llm.ChunkChoice{}, err
	}
	s.calls[index] += len(calls)
	finish := toolFinish(geminiReason, s.calls[index] > 0)
	ch := llm.ChunkChoice{Index: index, Content: c.text(), FinishReason: finish}
	if len(calls) > 0 {
		if ch.ToolCalls, err = json.Marshal(calls); err != nil {
			return llm.ChunkChoice{}, err
		}
	}
	if !s.started[index] {
		s.started[index] = true
		ch.Role = "assistant"
	}
	s.open[index] = finish == ""
	return ch, nil
}

func (s *streamState) allDone() bool {
	if len(s.open) == 0 {
		return false
	}
	for _, open := range s.open {
		if open {
			return false
		}
	}
	return true
}

// Finish reports a stream cut before every candidate finished.
func (s *streamState) Finish() ([]llm.Chunk, error) {
	if !s.finished {
		return nil, gateway.Errorf(gateway.CodeUpstream, "provider %q stream ended before the answer was complete", s.provider)
	}
	return nil, nil
}

func (t *Translator) Stream(c *provider.Call) provider.StreamDecoder {
	return sse.NewDecoder(newStreamState(t.Provider, c.Model))
}
