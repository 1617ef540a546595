package pipeline

import (
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/redact"
)

// Everything derived from the upstream passes through the call's scrubber (see package
// redact) before it is written, audited or logged: an upstream may echo the credential it was
// sent in an error message, an answer or a stream, in any encoding. The scrubber is nil when
// the endpoint has no credential, and every step below is then free.

// buildScrubber collects the credential values of cfg: the resolved secrets, any key the
// provider calls secret, and passwords in URL userinfo of plain values.
func (x *exchange) buildScrubber(cfg map[string]string) {
	var values []string
	for k, v := range cfg {
		_, stored := x.ep.Secrets[k]
		switch {
		case stored || x.spec.IsSecret(k):
			values = append(values, v)
		case strings.Contains(v, "@"):
			if u, err := url.Parse(strings.TrimSpace(v)); err == nil && u.User != nil {
				if p, ok := u.User.Password(); ok {
					values = append(values, p)
				}
			}
		}
	}
	x.credentials = values
	x.scrub = x.p.scrubbers.get(values)
}

// addMinted adds the credentials transport derived while sending (see
// provider.HTTPRequest.Minted) to the call's scrubber. Tokens are reused until they expire, so
// the cached scrubber for the enlarged set is found again on the next calls.
func (x *exchange) addMinted(minted []string) {
	values := x.credentials
	for _, v := range minted {
		if v != "" && !slices.Contains(values, v) {
			values = append(slices.Clip(values), v)
		}
	}
	if len(values) == len(x.credentials) {
		return
	}
	x.credentials = values
	x.scrub = x.p.scrubbers.get(slices.Clone(values))
}

// scrubberCache keeps the scrubbers of recent credential sets: building one costs tens of
// microseconds, looking it up well under one. It holds only values the secret resolver's
// cache holds anyway, and is emptied when full, so rotated credentials do not pile up.
type scrubberCache struct {
	mu sync.Mutex
	m  map[string]*redact.Scrubber
}

// maxCachedScrubbers bounds the cache; one entry per distinct credential set in use.
const maxCachedScrubbers = 512

func (c *scrubberCache) get(values []string) *redact.Scrubber {
	if len(values) == 0 {
		return nil
	}
	sort.Strings(values)
	key := strings.Join(values, "\x00")
	c.mu.Lock()
	s, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return s
	}
	s = redact.New(values...)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedScrubbers {
		c.m = make(map[string]*redact.Scrubber)
	}
	c.m[key] = s
	c.mu.Unlock()
	return s
}

// scrubError returns err with the credentials removed from its message and cause.
func (x *exchange) scrubError(err *gateway.Error) *gateway.Error {
	if x.scrub == nil || err == nil {
		return err
	}
	clean := *err
	clean.Message = x.scrub.String(err.Message)
	if err.Err != nil {
		if text := err.Err.Error(); x.scrub.Contains(text) {
			clean.Err = errors.New(x.scrub.String(text))
		}
	}
	return &clean
}

// scrubResponse removes the credentials from every text field of a complete answer.
func (x *exchange) scrubResponse(r *llm.Response) {
	s := x.scrub
	if s == nil {
		return
	}
	switch {
	case r.Chat != nil:
		c := r.Chat
		c.ID, c.Object, c.Model = s.String(c.ID), s.String(c.Object), s.String(c.Model)
		for i := range c.Choices {
			m := &c.Choices[i].Message
			m.Role = s.String(m.Role)
			if m.Content != nil {
				text := s.String(*m.Content)
				m.Content = &text
			}
			m.ToolCalls = scrubRaw(s, m.ToolCalls)
			c.Choices[i].FinishReason = scrubPtr(s, c.Choices[i].FinishReason)
		}
	case r.Completion != nil:
		c := r.Completion
		c.ID, c.Object, c.Model = s.String(c.ID), s.String(c.Object), s.String(c.Model)
		for i := range c.Choices {
			c.Choices[i].Text = s.String(c.Choices[i].Text)
			c.Choices[i].FinishReason = scrubPtr(s, c.Choices[i].FinishReason)
		}
	case r.Embeddings != nil:
		e := r.Embeddings
		e.Object, e.Model = s.String(e.Object), s.String(e.Model)
		for i := range e.Data {
			e.Data[i].Object = s.String(e.Data[i].Object)
		}
	}
	if r.Native != nil {
		r.Native.Body = scrubRaw(s, r.Native.Body)
	}
}

func scrubPtr(s *redact.Scrubber, p *string) *string {
	if p == nil {
		return nil
	}
	v := s.String(*p)
	return &v
}

// scrubRaw scrubs passed-through JSON; should a replacement break its syntax, the value
// becomes a JSON string saying it was redacted.
func scrubRaw(s *redact.Scrubber, raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return raw
	}
	clean := s.Bytes(raw)
	if len(clean) == len(raw) && string(clean) == string(raw) {
		return raw
	}
	if !json.Valid(clean) {
		return json.RawMessage(`"` + redact.Marker + `"`)
	}
	return clean
}

// chunkScrubber scrubs a stream: each choice's text through its own redact.Stream (a secret
// split across chunks is still found; up to redact.Fragment-1 bytes are held back), other
// fields chunk by chunk.
type chunkScrubber struct {
	s       *redact.Scrubber
	choices map[int]*redact.Stream
	out     []llm.Chunk // chunks' result, reused from event to event
}

// chunk scrubs c in place and returns the text still held for the choices c finishes
// (appended to c's own text when c carries some, else sent just before c, so a finish-only
// chunk stays finish-only), and whether c has anything
// left to send: a chunk that carried only text now all held back has not.
func (cs *chunkScrubber) chunk(c *llm.Chunk) (flushed *llm.Chunk, send bool) {
	s := cs.s
	c.ID, c.Model = s.String(c.ID), s.String(c.Model)
	if len(c.Native) > 0 {
		// A native frame is scrubbed whole; text, the part an echo is split across, comes
		// through the choices' streams, and at a block's end what they hold goes out first.
		c.Native = s.Bytes(c.Native)
		if c.BlockEnd {
			flushed = cs.rest(c.ID, c.Model)
		}
	}
	send = len(c.Choices) == 0 || c.Usage != nil
	for i := range c.Choices {
		ch := &c.Choices[i]
		st := cs.choices[ch.Index]
		if st == nil {
			st = s.NewStream()
			cs.choices[ch.Index] = st
		}
		had := ch.Content != ""
		ch.Content = st.Next(ch.Content)
		if ch.FinishReason != "" {
			if text := st.Flush(); text != "" && had {
				ch.Content += text // the held tail follows this chunk's own released text
			} else if text != "" {
				if flushed == nil {
					flushed = &llm.Chunk{ID: c.ID, Model: c.Model, Created: c.Created}
				}
				flushed.Choices = append(flushed.Choices, llm.ChunkChoice{Index: ch.Index, Content: text})
			}
		}
		ch.Role, ch.FinishReason = s.String(ch.Role), s.String(ch.FinishReason)
		ch.ToolCalls = scrubRaw(s, ch.ToolCalls)
		if !had || ch.Content != "" || ch.Role != "" || len(ch.ToolCalls) > 0 || ch.FinishReason != "" {
			send = true
		}
	}
	return flushed, send
}

// chunks scrubs chunks and drops those left with nothing to send, into cs.out: what it
// returns is valid until the next call (the stream renders it at once, and copies a chunk it
// holds back).
func (cs *chunkScrubber) chunks(chunks []llm.Chunk) []llm.Chunk {
	out := cs.out[:0]
	for i := range chunks {
		flushed, send := cs.chunk(&chunks[i])
		if flushed != nil {
			out = append(out, *flushed)
		}
		if send {
			out = append(out, chunks[i])
		}
	}
	cs.out = out
	return out
}

// rest returns a chunk with the text still held back for choices that never finished, or nil.
func (cs *chunkScrubber) rest(id, model string) *llm.Chunk {
	var out *llm.Chunk
	for idx, st := range cs.choices {
		if text := st.Flush(); text != "" {
			if out == nil {
				out = &llm.Chunk{ID: cs.s.String(id), Model: cs.s.String(model)}
			}
			out.Choices = append(out.Choices, llm.ChunkChoice{Index: idx, Content: text})
		}
	}
	return out
}
