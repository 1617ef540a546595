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
	scanned int // buf[:scanned] holds no line end not yet cut
	event   string
	id      string
	data    []byte
	hasData bool
	started bool // a byte-order mark is only skipped at the very start
}

// Feed consumes the next bytes of the stream and returns the events they complete. After an
// error the parser must not be used again. Each byte is scanned for a line end once and
// copied a bounded number of times, so a long line costs linear time.
func (p *Parser) Feed(b []byte) ([]Event, error) {
	var out []Event
	err := p.each(b, func(ev Event) error {
		out = append(out, ev)
		return nil
	})
	return out, err
}

// each is Feed calling fn with each event as soon as its blank line is read; an error from fn
// stops it and is returned as it is. When no partial line is pending, b is scanned where it
// lies and only the partial line it ends with is kept: a stream's bytes are not copied into
// the parser on their way through.
func (p *Parser) each(b []byte, fn func(Event) error) error {
	if !p.started && len(p.buf) == 0 && len(b) >= len(bom) {
		b = bytes.TrimPrefix(b, bom)
		p.started = true
	}
	own := p.buf[:0]
	borrowed := len(p.buf) == 0 && p.started
	if borrowed {
		p.buf, p.scanned = b, 0 // events copy what they keep (line), so b may be scanned in place
	} else {
		p.buf = append(p.buf, b...)
		p.skipBOM()
	}
	start := 0
	var err error
	for err == nil {
		line, next, ok := p.cutLine(start)
		if !ok {
			break
		}
		start = next
		if ev, done := p.line(line); done {
			err = fn(ev)
		}
		if err == nil && len(p.data) > p.limit() {
			err = ErrTooLarge
		}
	}
	if err == nil && len(p.buf)-start > p.limit() {
		err = ErrTooLarge
	}
	if borrowed {
		p.scanned -= start
		p.buf = append(own, p.buf[start:]...) // the partial line, into the parser's own buffer
		return err
	}
	p.compact(start)
	return err
}

// compact drops the consumed lines. What remains began in this Feed unless no line ended,
// then nothing moves. A large backing array is let go once little of it is used, so a long
// stream does not pin the memory of its longest line.
func (p *Parser) compact(start int) {
	if start == 0 {
		return
	}
	rest := p.buf[start:]
	p.scanned -= start
	if cap(p.buf) > 64<<10 && len(rest) < cap(p.buf)/4 {
		p.buf = append([]byte(nil), rest...)
		return
	}
	p.buf = append(p.buf[:0], rest...)
}

// End is called at EOF. It returns an event that was complete except for its terminating
// blank line (including an unterminated last line). The WHATWG algorithm drops such an event;
// providers that end their body without the final blank line still mean it, so llmgate keeps
// it — the stream decoders decide separately whether the provider said it was done.
func (p *Parser) End() (Event, bool) {
	if len(p.buf) > 0 {
		line := bytes.TrimSuffix(p.buf, []byte("\r"))
		p.buf, p.scanned = nil, 0
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

// bom is the UTF-8 byte-order mark a stream may start with.
var bom = []byte("\xEF\xBB\xBF")

func (p *Parser) skipBOM() {
	if p.started || len(p.buf) == 0 {
		return
	}
	if len(p.buf) < len(bom) && bytes.HasPrefix(bom, p.buf) {
		return // wait for the rest: it may still be a BOM
	}
	p.buf = bytes.TrimPrefix(p.buf, bom)
	p.started, p.scanned = true, 0
}

// cutLine splits off the first complete line at or after start, searching only bytes not
// searched before. A CR at the very end of buf is not yet a line end: the LF of a CRLF pair
// may be in the next piece.
func (p *Parser) cutLine(start int) (line []byte, next int, ok bool) {
	from := max(start, p.scanned)
	i := bytes.IndexAny(p.buf[from:], "\r\n")
	if i < 0 {
		p.scanned = len(p.buf)
		return nil, start, false
	}
	i += from
	p.scanned = i
	buf := p.buf
	switch {
	case buf[i] == '\n':
		next = i + 1
	case i+1 == len(buf):
		return nil, start, false // a lone CR so far; look at it again with the next piece
	case buf[i+1] == '\n':
		next = i + 2
	default:
		next = i + 1
	}
	p.scanned = next
	return buf[start:i], next, true
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
