package sse

import (
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

// Handler turns the events of one provider stream into canonical chunks.
type Handler interface {
	// OnEvent translates one complete event. A provider error event is returned as a
	// *gateway.Error.
	OnEvent(ev Event) ([]llm.Chunk, error)
	// Finish is called once at EOF; it errors if the provider never said it was done.
	Finish() ([]llm.Chunk, error)
}

// NewDecoder adapts h to provider.StreamDecoder, doing the SSE framing so a provider only
// writes the per-event translation.
func NewDecoder(h Handler) provider.EventStreamDecoder { return &decoder{h: h} }

type decoder struct {
	p Parser
	h Handler
}

func (d *decoder) Feed(b []byte) ([]llm.Chunk, error) {
	events, err := d.p.Feed(b)
	out, herr := d.handle(events)
	if herr != nil {
		return out, herr
	}
	if err != nil {
		return out, gateway.Wrap(gateway.CodeUpstream, err, "malformed upstream stream")
	}
	return out, nil
}

// FeedEach is Feed handing over each event's chunks as soon as they are translated
// (provider.EventStreamDecoder).
func (d *decoder) FeedEach(b []byte, emit func([]llm.Chunk) error) error {
	events, err := d.p.Feed(b)
	for _, ev := range events {
		chunks, herr := d.h.OnEvent(ev)
		if len(chunks) > 0 {
			if eerr := emit(chunks); eerr != nil {
				return eerr
			}
		}
		if herr != nil {
			return herr
		}
	}
	if err != nil {
		return gateway.Wrap(gateway.CodeUpstream, err, "malformed upstream stream")
	}
	return nil
}

func (d *decoder) End() ([]llm.Chunk, error) {
	var events []Event
	if ev, ok := d.p.End(); ok {
		events = append(events, ev)
	}
	out, err := d.handle(events)
	if err != nil {
		return out, err
	}
	tail, err := d.h.Finish()
	return append(out, tail...), err
}

func (d *decoder) handle(events []Event) ([]llm.Chunk, error) {
	var out []llm.Chunk
	for _, ev := range events {
		chunks, err := d.h.OnEvent(ev)
		out = append(out, chunks...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}
