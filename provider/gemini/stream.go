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
	finished bool
}

func newStreamState(providerName, model string) *streamState {
	return &streamState{provider: providerName, model: model, started: map[int]bool{}, open: map[int]bool{}}
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
		chunk.Choices = append(chunk.Choices, s.choice(cand.Index, cand.Content.text(), FinishReason(cand.FinishReason)))
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

func (s *streamState) choice(index int, text, finish string) llm.ChunkChoice {
	ch := llm.ChunkChoice{Index: index, Content: text, FinishReason: finish}
	if !s.started[index] {
		s.started[index] = true
		ch.Role = "assistant"
	}
	s.open[index] = finish == ""
	return ch
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
