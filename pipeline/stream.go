package pipeline

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/redact"
)

// streamReadSize is how much upstream stream is read at once; small enough that each provider
// event is passed on as soon as it arrives, since Read returns what is available.
const streamReadSize = 16 << 10

// streamer re-frames an upstream stream chunk by chunk. Headers go out with the first frame,
// so a stream that fails before producing anything still gets a proper JSON error.
type streamer struct {
	x       *exchange
	enc     StreamEncoder
	started bool
	frame   []byte
	// held is a finish-only chunk kept back one step so that a usage-only chunk right behind
	// it (OpenAI, Anthropic, Bedrock send usage last) rides on it: every surface then ends with
	// one chunk that carries both the finish reason and the usage.
	held *llm.Chunk
	// scrub removes credentials from the chunks (nil when the call has none); last keeps the
	// id and model of the latest chunk for the text it still holds at the end.
	scrub *chunkScrubber
	last  llm.Chunk
}

// stream relays the upstream stream. It never buffers the answer: every decoded chunk is
// written and flushed before the next read.
func (x *exchange) stream(ctx context.Context, cancel context.CancelFunc, call *provider.Call, body io.Reader) *gateway.Error {
	s := &streamer{x: x, enc: x.q.streamEncoder(x.req), frame: make([]byte, 0, 1024)}
	if x.scrub != nil {
		s.scrub = &chunkScrubber{s: x.scrub, choices: map[int]*redact.Stream{}}
	}
	dec := x.spec.Translator.Stream(call)
	buf := make([]byte, streamReadSize)
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			chunks, err := dec.Feed(buf[:n])
			if cerr := x.checkChunks(chunks); cerr != nil {
				return s.broken(cerr)
			}
			if werr := s.emit(s.clean(chunks)); werr != nil {
				cancel() // the client is gone: stop the provider's generation at once
				return s.broken(&gateway.Error{Code: codeClientGone, Message: "client closed the stream", Err: werr})
			}
			if err != nil {
				return s.broken(streamError(err))
			}
		}
		switch {
		case rerr == io.EOF:
			chunks, err := dec.End()
			if cerr := x.checkChunks(chunks); cerr != nil {
				return s.broken(cerr)
			}
			chunks = s.clean(chunks)
			if err == nil && s.scrub != nil {
				chunks = append(chunks, s.rest()...)
			}
			if werr := s.emit(chunks); werr != nil {
				return s.broken(&gateway.Error{Code: codeClientGone, Message: "client closed the stream", Err: werr})
			}
			if err != nil {
				return s.broken(streamError(err))
			}
			if werr := s.flushHeld(); werr != nil {
				return s.broken(&gateway.Error{Code: codeClientGone, Message: "client closed the stream", Err: werr})
			}
			return s.finish()
		case rerr != nil:
			return s.broken(x.upstreamFailure(ctx, rerr))
		}
	}
}

// checkChunks validates translated chunks (llm.CheckChunk) before any is relayed.
func (x *exchange) checkChunks(chunks []llm.Chunk) *gateway.Error {
	for i := range chunks {
		if err := llm.CheckChunk(&chunks[i], x.req); err != nil {
			return gateway.Wrap(gateway.CodeUpstream, err, "malformed upstream stream: "+err.Error())
		}
	}
	return nil
}

func streamError(err error) *gateway.Error {
	if e := gateway.AsError(err); e.Code != gateway.CodeInternal {
		return e
	}
	return gateway.Wrap(gateway.CodeUpstream, err, "malformed upstream stream")
}

// clean removes the credentials from chunks (see chunkScrubber).
func (s *streamer) clean(chunks []llm.Chunk) []llm.Chunk {
	if s.scrub == nil || len(chunks) == 0 {
		return chunks
	}
	s.last.ID, s.last.Model = chunks[len(chunks)-1].ID, chunks[len(chunks)-1].Model
	return s.scrub.chunks(chunks)
}

// rest is the text the scrubber still holds for choices that never finished.
func (s *streamer) rest() []llm.Chunk {
	if c := s.scrub.rest(s.last.ID, s.last.Model); c != nil {
		return []llm.Chunk{*c}
	}
	return nil
}

// emit writes the frames of chunks and flushes them.
func (s *streamer) emit(chunks []llm.Chunk) error {
	x := s.x
	for i := range chunks {
		c := &chunks[i]
		if c.Usage != nil {
			mergeUsage(&x.usage, c.Usage)
		}
		if c.Model != "" {
			x.responseModel = c.Model
		}
		for _, ch := range c.Choices {
			x.keepSent(ch.Content)
			if x.ep.LogPayloads {
				x.responseText = append(x.responseText, ch.Content...)
			}
		}
		if s.held != nil {
			if len(c.Choices) == 0 && c.Usage != nil {
				s.held.Usage = c.Usage
				continue // written by flushHeld with the usage on it
			}
			if err := s.flushHeld(); err != nil {
				return err
			}
		}
		if finishOnly(c) {
			held := *c
			s.held = &held
			continue
		}
		if err := s.writeChunk(c); err != nil {
			return err
		}
	}
	return nil
}

// finishOnly reports a chunk that only closes its choices (no text, no tool calls, no usage).
func finishOnly(c *llm.Chunk) bool {
	if len(c.Choices) == 0 || c.Usage != nil {
		return false
	}
	for _, ch := range c.Choices {
		if ch.FinishReason == "" || ch.Content != "" || len(ch.ToolCalls) > 0 {
			return false
		}
	}
	return true
}

// flushHeld writes the held finish chunk, if any.
func (s *streamer) flushHeld() error {
	if s.held == nil {
		return nil
	}
	c := s.held
	s.held = nil
	return s.writeChunk(c)
}

func (s *streamer) writeChunk(c *llm.Chunk) error {
	s.frame = s.enc.AppendChunk(s.frame[:0], s.x.ep.Type, c, s.x.includeUsage)
	return s.write(s.frame)
}

// mergeUsage keeps counts already seen when a later chunk reports only some of them
// (Anthropic sends input tokens first and output tokens at the end).
func mergeUsage(dst, src *llm.Usage) {
	if src.PromptTokens != nil {
		dst.PromptTokens = src.PromptTokens
	}
	if src.CompletionTokens != nil {
		dst.CompletionTokens = src.CompletionTokens
	}
	if src.TotalTokens != nil {
		dst.TotalTokens = src.TotalTokens
	}
}

func (s *streamer) write(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	s.start()
	return s.x.out.Frame(p)
}

func (s *streamer) start() {
	if s.started {
		return
	}
	s.started = true
	s.x.firstByte = time.Since(s.x.start)
	s.x.out.StartStream()
}

// finish audits the completed stream, then writes the end marker: the event is durable
// before the final frame.
func (s *streamer) finish() *gateway.Error {
	s.start()
	if err := s.x.audit(gateway.OutcomeSuccess, http.StatusOK, nil); err != nil {
		s.tell(err)
		return nil
	}
	_ = s.write(s.enc.AppendEnd(s.frame[:0]))
	return nil
}

// broken ends a failed stream. Before the first frame the error is returned for a normal
// JSON answer; after it, the event is audited and the surface's error frame (if any) sent.
func (s *streamer) broken(err *gateway.Error) *gateway.Error {
	err = s.x.scrubError(err)
	if !s.started {
		return err
	}
	status := http.StatusOK
	if err.Code == codeClientGone {
		status = statusClientGone
	}
	_ = s.x.audit(outcomeOf(err.Code), status, err)
	if err.Code != codeClientGone {
		s.tell(err)
	}
	return nil
}

// tell lets the client know its stream broke, in the surface's error frame. A surface without
// one (MLflow's server just drops the connection) gets the answer aborted (Sink.Abort) once
// the request is accounted for: a cleanly ended body would read as a complete answer.
func (s *streamer) tell(err *gateway.Error) {
	frame := s.enc.AppendStreamError(s.frame[:0], err)
	if len(frame) == 0 {
		s.x.out.Abort()
		return
	}
	_ = s.write(frame)
}
