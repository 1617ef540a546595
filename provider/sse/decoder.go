package sse

import (
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

// Handler turns the events of one provider stream into canonical chunks.
type Handler interface {
	// OnEvent translates one complete event. A provider error event is returned as a
	// *gateway.Error. The slice (not the chunks in it) may be the handler's own, reused by
	// its next call: callers copy the chunks they keep.
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
	var out []llm.Chunk
	err := d.FeedEach(b, func(chunks []llm.Chunk) error {
		out = append(out, chunks...)
		return nil
	})
	return out, err
}

// FeedEach is Feed handing over each event's chunks as soon as the event is read and
// translated (provider.EventStreamDecoder): the events after it are not even parsed yet.
func (d *decoder) FeedEach(b []byte, emit func([]llm.Chunk) error) error {
	var stop error // the handler's or emit's, returned as it is
	err := d.p.each(b, func(ev Event) error {
		chunks, herr := d.h.OnEvent(ev)
		if len(chunks) > 0 {
			if eerr := emit(chunks); eerr != nil {
				stop = eerr
				return eerr
			}
		}
		stop = herr
		return herr
	})
	if stop != nil {
		return stop
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
