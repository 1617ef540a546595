// Package sse is an incremental Server-Sent-Events parser shared by every provider whose
// stream is SSE (OpenAI-compatible, Anthropic, Gemini, Cohere, TGI). Upstream bytes arrive in
// arbitrary pieces, so the parser keeps partial lines between Feed calls and only returns
// events whose terminating blank line has been seen. It follows the WHATWG event-stream
// grammar: LF, CRLF and lone CR line endings, comment lines starting with ':', a single
// optional space after the field colon, and multi-line data joined with "\n".
package sse

import (
	"bytes"
	"errors"
)

// DefaultMaxLine bounds one line (and one event's data) so a hostile or broken upstream that
// never sends a newline cannot make the gateway buffer without limit.
const DefaultMaxLine = 8 << 20

// ErrTooLarge is returned when a line or an event grows beyond the parser's limit.
var ErrTooLarge = errors.New("sse: event exceeds the size limit")

// Event is one dispatched Server-Sent Event.
type Event struct {
	Event string // the "event:" field; empty means the default "message" type
	Data  []byte // data lines joined with "\n"
	ID    string // the "id:" field of this event, if any
}

// Parser frames an SSE byte stream incrementally. The zero value is ready to use.
type Parser struct {
	// MaxLine overrides DefaultMaxLine when positive.
	MaxLine int

	buf     []byte
	event   string
	id      string
	data    []byte
	hasData bool
	started bool // a byte-order mark is only skipped at the very start
}

// Feed consumes the next bytes of the stream and returns the events they complete. After an
// error the parser must not be used again.
func (p *Parser) Feed(b []byte) ([]Event, error) {
	p.buf = append(p.buf, b...)
	p.skipBOM()
	var out []Event
	for {
		line, rest, ok := cutLine(p.buf)
		if !ok {
			break
		}
		p.buf = rest
		if ev, done := p.line(line); done {
			out = append(out, ev)
		}
		if len(p.data) > p.limit() {
			return out, ErrTooLarge
		}
	}
	if len(p.buf) > p.limit() {
		return out, ErrTooLarge
	}
	// Compact so a long stream does not pin an ever-growing backing array.
	p.buf = append([]byte(nil), p.buf...)
	return out, nil
}

// End is called at EOF. It returns an event that was complete except for its terminating
// blank line (including an unterminated last line). The WHATWG algorithm drops such an event;
// providers that end their body without the final blank line still mean it, so llmgate keeps
// it — the stream decoders decide separately whether the provider said it was done.
func (p *Parser) End() (Event, bool) {
	if len(p.buf) > 0 {
		line := bytes.TrimSuffix(p.buf, []byte("\r"))
		p.buf = nil
		if ev, done := p.line(line); done {
			return ev, true
		}
	}
	return p.line(nil)
}

func (p *Parser) limit() int {
	if p.MaxLine > 0 {
		return p.MaxLine
	}
	return DefaultMaxLine
}

func (p *Parser) skipBOM() {
	if p.started || len(p.buf) == 0 {
		return
	}
	bom := []byte("\xEF\xBB\xBF")
	if len(p.buf) < len(bom) && bytes.HasPrefix(bom, p.buf) {
		return // wait for the rest: it may still be a BOM
	}
	p.buf = bytes.TrimPrefix(p.buf, bom)
	p.started = true
}

// cutLine splits off the first complete line. A CR at the very end of buf is not yet a line
// end: the LF of a CRLF pair may be in the next piece.
func cutLine(buf []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexAny(buf, "\r\n")
	if i < 0 {
		return nil, buf, false
	}
	if buf[i] == '\n' {
		return buf[:i], buf[i+1:], true
	}
	if i+1 == len(buf) {
		return nil, buf, false
	}
	if buf[i+1] == '\n' {
		return buf[:i], buf[i+2:], true
	}
	return buf[:i], buf[i+1:], true
}

// line processes one line; a blank line dispatches the pending event, if it has data.
func (p *Parser) line(line []byte) (Event, bool) {
	if len(line) == 0 {
		return p.dispatch()
	}
	if line[0] == ':' {
		return Event{}, false // comment, e.g. ": keep-alive"
	}
	field, value, _ := bytes.Cut(line, []byte(":"))
	value = bytes.TrimPrefix(value, []byte(" "))
	switch string(field) {
	case "data":
		if p.hasData {
			p.data = append(p.data, '\n')
		}
		p.data = append(p.data, value...)
		p.hasData = true
	case "event":
		p.event = string(value)
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			p.id = string(value)
		}
	}
	return Event{}, false
}

func (p *Parser) dispatch() (Event, bool) {
	ev := Event{Event: p.event, Data: p.data, ID: p.id}
	ok := p.hasData
	p.event, p.id, p.data, p.hasData = "", "", nil, false
	return ev, ok
}
