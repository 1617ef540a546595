package openaicompat

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decodeChunk decodes the stream chunks OpenAI-compatible servers send, without reflection:
// it is on every streamed event's path, the first one's included. It takes only inputs whose
// decoding it knows to equal encoding/json's into a wireChunk — plain strings (no escapes),
// integers, null, exact member names, each once, and nothing but whitespace after the object
// — and declines (false) everything else, which then goes through json.Unmarshal; an error or
// a tool call, for one, always does. FuzzChunkFastPathMatchesEncodingJSON holds it to that.
//
// id and model are the previous chunk's: a stream repeats them in every chunk, so an equal
// value is that string again instead of a new one.
func decodeChunk(data []byte, w *wireChunk, id, model string) bool {
	s := chunkScanner{data: data}
	ok := s.object(func(key []byte) bool {
		switch string(key) {
		case "id":
			return s.strAs(&w.ID, id)
		case "model":
			return s.strAs(&w.Model, model)
		case "created":
			return s.int64(&w.Created)
		case "choices":
			return s.choices(&w.Choices)
		case "usage":
			return s.usage(&w.Usage)
		}
		return s.unknown(key, "id", "model", "created", "choices", "usage", "error")
	})
	s.space()
	return ok && s.i == len(s.data)
}

// chunkScanner reads one JSON text strictly; any method returning false means "decline".
type chunkScanner struct {
	data  []byte
	i     int
	depth int
}

const maxChunkDepth = 32

func (s *chunkScanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *chunkScanner) peek() byte {
	s.space()
	if s.i < len(s.data) {
		return s.data[s.i]
	}
	return 0
}

// object reads an object, calling member for each member's value with the scanner on it.
// Keys must be plain ASCII strings, each at most once.
func (s *chunkScanner) object(member func(key []byte) bool) bool {
	if s.peek() != '{' || s.depth >= maxChunkDepth {
		return false
	}
	s.i++
	s.depth++
	defer func() { s.depth-- }()
	var seenBuf [8][]byte
	seen := seenBuf[:0]
	if s.peek() == '}' {
		s.i++
		return true
	}
	for {
		key, ok := s.rawString()
		if !ok {
			return false
		}
		for _, k := range seen {
			if string(k) == string(key) {
				return false // encoding/json merges repeated members; leave that to it
			}
		}
		seen = append(seen, key)
		if s.peek() != ':' {
			return false
		}
		s.i++
		if !member(key) {
			return false
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// rawString reads a string with no escapes, no control characters and valid UTF-8: its bytes
// are then its value.
func (s *chunkScanner) rawString() ([]byte, bool) {
	if s.peek() != '"' {
		return nil, false
	}
	start := s.i + 1
	for j := start; j < len(s.data); j++ {
		switch c := s.data[j]; {
		case c == '"':
			s.i = j + 1
			v := s.data[start:j]
			return v, utf8.Valid(v)
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// null consumes a null literal if one is next.
func (s *chunkScanner) null() bool {
	if s.peek() == 'n' && strings.HasPrefix(string(s.data[s.i:min(len(s.data), s.i+4)]), "null") {
		s.i += 4
		return true
	}
	return false
}

// str reads a string into v; null leaves v as it is (as encoding/json does).
func (s *chunkScanner) str(v *string) bool { return s.strAs(v, "") }

// strAs is str using known for a value equal to it.
func (s *chunkScanner) strAs(v *string, known string) bool {
	if s.null() {
		return true
	}
	raw, ok := s.rawString()
	switch {
	case ok && string(raw) == known:
		*v = known
	case ok:
		*v = string(raw)
	}
	return ok
}

// strPtr reads a string into a new *string; null makes it nil.
func (s *chunkScanner) strPtr(v **string) bool {
	if s.null() {
		*v = nil
		return true
	}
	raw, ok := s.rawString()
	if ok {
		str := string(raw)
		*v = &str
	}
	return ok
}

// integer reads an integer literal (no fraction or exponent) that fits in 64 bits.
func (s *chunkScanner) integer() (int64, bool) {
	s.space()
	start := s.i
	if s.i < len(s.data) && s.data[s.i] == '-' {
		s.i++
	}
	digits := s.i
	for s.i < len(s.data) && s.data[s.i] >= '0' && s.data[s.i] <= '9' {
		s.i++
	}
	if s.i == digits || s.data[digits] == '0' && s.i-digits > 1 {
		return 0, false
	}
	if s.i < len(s.data) && (s.data[s.i] == '.' || s.data[s.i] == 'e' || s.data[s.i] == 'E') {
		return 0, false
	}
	n, err := strconv.ParseInt(string(s.data[start:s.i]), 10, 64)
	return n, err == nil
}

// int64 reads an integer into v; null leaves v as it is.
func (s *chunkScanner) int64(v *int64) bool {
	if s.null() {
		return true
	}
	n, ok := s.integer()
	if ok {
		*v = n
	}
	return ok
}

func (s *chunkScanner) int64Ptr(v **int64) bool {
	if s.null() {
		*v = nil
		return true
	}
	n, ok := s.integer()
	if ok {
		*v = &n
	}
	return ok
}

func (s *chunkScanner) choices(v *[]wireChoice) bool {
	if s.null() {
		*v = nil
		return true
	}
	if s.peek() != '[' {
		return false
	}
	s.i++
	out := []wireChoice{}
	if s.peek() == ']' {
		s.i++
		*v = out
		return true
	}
	for {
		var c wireChoice
		ok := s.object(func(key []byte) bool {
			switch string(key) {
			case "index":
				var n int64
				ok := s.int64(&n)
				c.Index = int(n)
				return ok && int64(c.Index) == n
			case "delta":
				return s.delta(&c.Delta)
			case "text":
				return s.strPtr(&c.Text)
			case "finish_reason":
				return s.strPtr(&c.FinishReason)
			}
			return s.unknown(key, "index", "delta", "text", "finish_reason")
		})
		if !ok {
			return false
		}
		out = append(out, c)
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			*v = out
			return true
		default:
			return false
		}
	}
}

func (s *chunkScanner) delta(d *wireDelta) bool {
	if s.null() {
		return true
	}
	return s.object(func(key []byte) bool {
		switch string(key) {
		case "role":
			return s.str(&d.Role)
		case "content":
			return s.strPtr(&d.Content)
		}
		return s.unknown(key, "role", "content", "tool_calls")
	})
}

func (s *chunkScanner) usage(v **wireUsage) bool {
	if s.null() {
		*v = nil
		return true
	}
	u := &wireUsage{}
	ok := s.object(func(key []byte) bool {
		switch string(key) {
		case "prompt_tokens":
			return s.int64Ptr(&u.PromptTokens)
		case "completion_tokens":
			return s.int64Ptr(&u.CompletionTokens)
		case "total_tokens":
			return s.int64Ptr(&u.TotalTokens)
		}
		return s.unknown(key, "prompt_tokens", "completion_tokens", "total_tokens")
	})
	if ok {
		*v = u
	}
	return ok
}

// unknown skips the value of a member the wire type does not have. A key that names one of
// the type's fields in another case (encoding/json matches those) declines, as do the fields
// listed that the fast path leaves to encoding/json (errors, tool calls).
func (s *chunkScanner) unknown(key []byte, fields ...string) bool {
	for _, f := range fields {
		if bytes.EqualFold(key, []byte(f)) {
			return false
		}
	}
	for i := 0; i < len(key); i++ {
		if key[i] >= utf8.RuneSelf {
			return false // Unicode case folding is encoding/json's to judge
		}
	}
	return s.skip()
}

// skip reads any value it can vouch for: plain strings, numbers, literals, arrays, objects.
func (s *chunkScanner) skip() bool {
	switch c := s.peek(); {
	case c == '"':
		_, ok := s.rawString()
		return ok
	case c == '{':
		return s.object(func([]byte) bool { return s.skip() })
	case c == '[':
		if s.depth >= maxChunkDepth {
			return false
		}
		s.i++
		s.depth++
		defer func() { s.depth-- }()
		if s.peek() == ']' {
			s.i++
			return true
		}
		for {
			if !s.skip() {
				return false
			}
			switch s.peek() {
			case ',':
				s.i++
			case ']':
				s.i++
				return true
			default:
				return false
			}
		}
	case c == 'n':
		return s.null()
	case c == 't' || c == 'f':
		for _, lit := range []string{"true", "false"} {
			if strings.HasPrefix(string(s.data[s.i:min(len(s.data), s.i+len(lit))]), lit) {
				s.i += len(lit)
				return true
			}
		}
		return false
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	return false
}

// number reads a JSON number (RFC 8259 grammar).
func (s *chunkScanner) number() bool {
	d := s.data
	if s.i < len(d) && d[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(d) && d[s.i] == '0':
		s.i++
	case s.i < len(d) && d[s.i] >= '1' && d[s.i] <= '9':
		for s.i < len(d) && d[s.i] >= '0' && d[s.i] <= '9' {
			s.i++
		}
	default:
		return false
	}
	if s.i < len(d) && d[s.i] == '.' {
		s.i++
		if !s.digits() {
			return false
		}
	}
	if s.i < len(d) && (d[s.i] == 'e' || d[s.i] == 'E') {
		s.i++
		if s.i < len(d) && (d[s.i] == '+' || d[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

func (s *chunkScanner) digits() bool {
	start := s.i
	for s.i < len(s.data) && s.data[s.i] >= '0' && s.data[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}
