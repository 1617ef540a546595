package pipeline

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/redact"
)

// streamReadSize is how much upstream stream is read at once; small enough that each provider
// event is passed on as soon as it arrives, since Read returns what is available.
const streamReadSize = 16 << 10

// maxPooledFrame bounds the frame buffers kept for reuse (one read's frames rarely pass it).
const maxPooledFrame = 64 << 10

// streamBuffers are a stream's read buffer and frame buffer, reused across streams so that a
// stream does not allocate (and the collector clear) 16 KiB each time.
type streamBuffers struct{ read, frame []byte }

var streamPool = sync.Pool{New: func() any {
	return &streamBuffers{read: make([]byte, streamReadSize), frame: make([]byte, 0, 1024)}
}}

// streamer re-frames an upstream stream chunk by chunk. Headers go out with the first frame,
// so a stream that fails before producing anything still gets a proper JSON error.
type streamer struct {
	x       *exchange
	enc     StreamEncoder
	started bool
	// frame holds the frames rendered and not yet written (see send).
	frame []byte
	// held is a finish-only chunk kept back one step so that a usage-only chunk right behind
	// it (OpenAI, Anthropic, Bedrock send usage last) rides on it: every surface then ends with
	// one chunk that carries both the finish reason and the usage.
	held *llm.Chunk
	// scrub removes credentials from the chunks (nil when the call has none); last keeps the
	// id and model of the latest chunk for the text it still holds at the end.
	scrub *chunkScrubber
	last  llm.Chunk
	// onEvent is relayEvent as FeedEach's emit, and failed what stopped it (feed).
	onEvent func([]llm.Chunk) error
	failed  *gateway.Error
}

// stream relays the upstream stream. It never buffers the answer beyond one read: what each
// read completes is written and flushed before the next read (see feed).
func (x *exchange) stream(ctx context.Context, cancel context.CancelFunc, call *provider.Call, body io.Reader) *gateway.Error {
	bufs := streamPool.Get().(*streamBuffers)
	s := &streamer{x: x, enc: x.q.streamEncoder(x.req), frame: bufs.frame[:0]}
	defer func() {
		if cap(s.frame) <= maxPooledFrame {
			bufs.frame = s.frame[:0]
		}
		streamPool.Put(bufs)
	}()
	if x.scrub != nil {
		s.scrub = &chunkScrubber{s: x.scrub, choices: map[int]*redact.Stream{}}
	}
	dec := x.spec.Translator.Stream(call)
	buf := bufs.read
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if err := s.feed(dec, buf[:n]); err != nil {
				if err.Code == codeClientGone {
					cancel() // the client is gone: stop the provider's generation at once
				}
				return s.broken(err)
			}
		}
		switch {
		case rerr == io.EOF:
			return s.end(dec)
		case rerr != nil:
			return s.broken(x.upstreamFailure(ctx, rerr))
		}
	}
}

// feed decodes one read of the upstream stream and relays the chunks it completes. The
// stream's first frame goes out as soon as its event is translated (an EventStreamDecoder
// hands events over one by one), so it does not wait for the rest of the read; after that, the
// frames of one read go out in one write and flush: none waits for more upstream bytes, and a
// burst of events costs one system call, not one each.
func (s *streamer) feed(dec provider.StreamDecoder, b []byte) *gateway.Error {
	var failed *gateway.Error // ours: a malformed chunk, or the client gone
	var err error             // the decoder's
	if ed, ok := dec.(provider.EventStreamDecoder); ok {
		if s.onEvent == nil {
			s.onEvent = s.relayEvent // bound once per stream: a read allocates no closure
		}
		s.failed = nil
		err = ed.FeedEach(b, s.onEvent)
		failed = s.failed
	} else {
		var chunks []llm.Chunk
		chunks, err = dec.Feed(b)
		failed = s.relay(chunks)
	}
	// What was rendered is already accounted for (metered, kept for the estimate): it goes out
	// before whatever stopped the read.
	if werr := s.send(); werr != nil {
		return werr
	}
	if failed != nil {
		return failed
	}
	if err != nil {
		return streamError(err)
	}
	return nil
}

// relayEvent relays the chunks of one event for feed (FeedEach's emit), sending the stream's
// first frame at once; what stops it is kept in s.failed.
func (s *streamer) relayEvent(chunks []llm.Chunk) error {
	s.failed = s.relay(chunks)
	if s.failed == nil && !s.started {
		s.failed = s.send()
	}
	if s.failed != nil {
		return s.failed
	}
	return nil
}

// end relays what the decoder still holds at EOF, then finishes the stream.
func (s *streamer) end(dec provider.StreamDecoder) *gateway.Error {
	chunks, err := dec.End()
	if cerr := s.x.checkChunks(chunks); cerr != nil {
		return s.broken(cerr)
	}
	chunks = s.clean(chunks)
	if err == nil && s.scrub != nil {
		chunks = append(chunks, s.rest()...)
	}
	s.emit(chunks)
	if err != nil {
		if werr := s.send(); werr != nil {
			return s.broken(werr)
		}
		return s.broken(streamError(err))
	}
	s.flushHeld()
	if werr := s.send(); werr != nil {
		return s.broken(werr)
	}
	return s.finish()
}

// relay checks and scrubs chunks and renders their frames into s.frame.
func (s *streamer) relay(chunks []llm.Chunk) *gateway.Error {
	if err := s.x.checkChunks(chunks); err != nil {
		return err
	}
	s.emit(s.clean(chunks))
	return nil
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

// emit renders the frames of chunks into s.frame and accounts for what they carry.
func (s *streamer) emit(chunks []llm.Chunk) {
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
				continue // rendered by flushHeld with the usage on it
			}
			s.flushHeld()
		}
		if finishOnly(c) {
			held := *c
			s.held = &held
			continue
		}
		s.render(c)
	}
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

// flushHeld renders the held finish chunk, if any.
func (s *streamer) flushHeld() {
	if s.held == nil {
		return
	}
	c := s.held
	s.held = nil
	s.render(c)
}

func (s *streamer) render(c *llm.Chunk) {
	s.frame = s.enc.AppendChunk(s.frame, s.x.ep.Type, c, s.x.includeUsage)
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

// send writes the rendered frames and flushes them (Sink.Frame); an error means the client
// left.
func (s *streamer) send() *gateway.Error {
	if len(s.frame) == 0 {
		return nil
	}
	s.start()
	err := s.x.out.Frame(s.frame)
	s.frame = s.frame[:0]
	if err != nil {
		return &gateway.Error{Code: codeClientGone, Message: "client closed the stream", Err: err}
	}
	return nil
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
	s.frame = s.enc.AppendEnd(s.frame)
	_ = s.send()
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
	pending := len(s.frame)
	s.frame = s.enc.AppendStreamError(s.frame, err)
	if len(s.frame) == pending {
		_ = s.send()
		s.x.out.Abort()
		return
	}
	_ = s.send()
}
