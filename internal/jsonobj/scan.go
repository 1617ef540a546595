package jsonobj

import (
	"bytes"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Scanner reads one JSON text without reflection, for the decoders on the query path (a
// request body, an upstream answer, a stream chunk), where encoding/json's reflection and
// its second validating pass cost more than the gateway's own work. It is strict and it
// declines: any method returning false means the input is malformed or is something its
// caller does not vouch for, and the caller then hands the whole input to encoding/json,
// whose result and error stand. What it accepts it accepts exactly as encoding/json does
// (the grammar of RFC 8259, strings with any bytes but control characters, invalid UTF-8
// replaced by U+FFFD when unquoted); fuzz tests hold each fast decoder to that.
type Scanner struct {
	data  []byte
	i     int
	depth int
}

// maxDepth bounds nesting; deeper input is declined (encoding/json allows 10000).
const maxDepth = 512

// NewScanner returns a Scanner at the start of data.
func NewScanner(data []byte) Scanner { return Scanner{data: data} }

// Space skips white space.
func (s *Scanner) Space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// Peek skips white space and returns the next byte, 0 at the end.
func (s *Scanner) Peek() byte {
	s.Space()
	if s.i < len(s.data) {
		return s.data[s.i]
	}
	return 0
}

// AtEnd reports whether nothing but white space is left.
func (s *Scanner) AtEnd() bool {
	s.Space()
	return s.i == len(s.data)
}

// Object reads an object, calling member for each member with its key's value (unquoted if
// need be) and the scanner on the member's value; member must consume that value. Repeated
// keys are passed on as they come.
func (s *Scanner) Object(member func(key []byte) bool) bool { return s.object(member, false) }

// ObjectOnce is Object declining an object that repeats a key exactly: encoding/json merges
// a repeated member into the value the first one decoded, which a fast decoder rarely does.
func (s *Scanner) ObjectOnce(member func(key []byte) bool) bool { return s.object(member, true) }

func (s *Scanner) object(member func(key []byte) bool, once bool) bool {
	if s.Peek() != '{' || s.depth >= maxDepth {
		return false
	}
	s.i++
	s.depth++
	defer func() { s.depth-- }()
	var seenBuf [16][]byte // an OpenAI answer has 8 or 9 members
	seen := seenBuf[:0]
	if s.Peek() == '}' {
		s.i++
		return true
	}
	for {
		key, ok := s.Key()
		if !ok {
			return false
		}
		if once {
			for _, k := range seen {
				if bytes.Equal(k, key) {
					return false
				}
			}
			seen = append(seen, key)
		}
		if s.Peek() != ':' {
			return false
		}
		s.i++
		if !member(key) {
			return false
		}
		switch s.Peek() {
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

// Array reads an array, calling item with the scanner on each item; item must consume it.
func (s *Scanner) Array(item func() bool) bool {
	if s.Peek() != '[' || s.depth >= maxDepth {
		return false
	}
	s.i++
	s.depth++
	defer func() { s.depth-- }()
	if s.Peek() == ']' {
		s.i++
		return true
	}
	for {
		if !item() {
			return false
		}
		switch s.Peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

// String reads a string, returning the bytes between its quotes; plain reports that they are
// its value as they are (no escapes, valid UTF-8), else Unquote gives the value.
func (s *Scanner) String() (raw []byte, plain, ok bool) {
	if s.Peek() != '"' {
		return nil, false, false
	}
	start := s.i + 1
	plain = true
	for j := start; j < len(s.data); j++ {
		switch c := s.data[j]; {
		case c == '"':
			s.i = j + 1
			raw = s.data[start:j]
			return raw, plain && utf8.Valid(raw), true
		case c < 0x20:
			return nil, false, false
		case c == '\\':
			n := escapeLen(s.data[j:])
			if n == 0 {
				return nil, false, false
			}
			plain = false
			j += n - 1
		}
	}
	return nil, false, false
}

// escapeLen is the length of the valid escape sequence e starts with, 0 if it is not one.
func escapeLen(e []byte) int {
	if len(e) < 2 {
		return 0
	}
	switch e[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		if len(e) >= 6 && hex4(e[2:6]) >= 0 {
			return 6
		}
	}
	return 0
}

func hex4(h []byte) rune {
	var r rune
	for _, c := range h[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// Unquote returns the value of a string's raw bytes as String read them: escapes resolved, a
// lone or broken surrogate and each byte of invalid UTF-8 replaced by U+FFFD, as
// encoding/json does.
func Unquote(raw []byte) []byte {
	out := make([]byte, 0, len(raw))
	for r := 0; r < len(raw); {
		c := raw[r]
		switch {
		case c == '\\':
			out, r = appendEscape(out, raw, r)
		case c < utf8.RuneSelf:
			out = append(out, c)
			r++
		default:
			rr, size := utf8.DecodeRune(raw[r:])
			out = utf8.AppendRune(out, rr)
			r += size
		}
	}
	return out
}

// appendEscape appends the value of the (valid) escape at raw[r] and returns where the next
// byte is.
func appendEscape(out, raw []byte, r int) ([]byte, int) {
	switch c := raw[r+1]; c {
	case 'b':
		return append(out, '\b'), r + 2
	case 'f':
		return append(out, '\f'), r + 2
	case 'n':
		return append(out, '\n'), r + 2
	case 'r':
		return append(out, '\r'), r + 2
	case 't':
		return append(out, '\t'), r + 2
	case 'u':
	default:
		return append(out, c), r + 2
	}
	rr := hex4(raw[r+2:])
	r += 6
	if utf16.IsSurrogate(rr) {
		next := rune(-1)
		if r+6 <= len(raw) && raw[r] == '\\' && raw[r+1] == 'u' {
			next = hex4(raw[r+2:])
		}
		if dec := utf16.DecodeRune(rr, next); dec != utf8.RuneError {
			return utf8.AppendRune(out, dec), r + 6
		}
		rr = utf8.RuneError
	}
	return utf8.AppendRune(out, rr), r
}

// Key reads an object key, returning its value.
func (s *Scanner) Key() ([]byte, bool) {
	raw, plain, ok := s.String()
	if ok && !plain {
		raw = Unquote(raw)
	}
	return raw, ok
}

// Null consumes a null literal if one is next.
func (s *Scanner) Null() bool { return s.literal("null") }

func (s *Scanner) literal(lit string) bool {
	if s.Peek() == lit[0] && len(s.data)-s.i >= len(lit) && string(s.data[s.i:s.i+len(lit)]) == lit {
		s.i += len(lit)
		return true
	}
	return false
}

// Str reads a string into v; null leaves v as it is (as encoding/json does).
func (s *Scanner) Str(v *string) bool { return s.StrAs(v, "") }

// StrAs is Str using known for a value equal to it, saving the copy.
func (s *Scanner) StrAs(v *string, known string) bool {
	if s.Null() {
		return true
	}
	raw, plain, ok := s.String()
	switch {
	case !ok:
	case !plain:
		*v = string(Unquote(raw))
	case string(raw) == known:
		*v = known
	default:
		*v = string(raw)
	}
	return ok
}

// StrPtr reads a string into a new *string; null makes it nil.
func (s *Scanner) StrPtr(v **string) bool {
	if s.Null() {
		*v = nil
		return true
	}
	var str string
	if !s.Str(&str) {
		return false
	}
	*v = &str
	return true
}

// Integer reads an integer literal (no fraction or exponent) that fits in 64 bits.
func (s *Scanner) Integer() (int64, bool) {
	s.Space()
	start := s.i
	if !s.Number() {
		return 0, false
	}
	n, err := strconv.ParseInt(string(s.data[start:s.i]), 10, 64)
	return n, err == nil
}

// Int64 reads an integer into v; null leaves v as it is.
func (s *Scanner) Int64(v *int64) bool {
	if s.Null() {
		return true
	}
	n, ok := s.Integer()
	if ok {
		*v = n
	}
	return ok
}

// Int64Ptr reads an integer into a new *int64; null makes it nil.
func (s *Scanner) Int64Ptr(v **int64) bool {
	if s.Null() {
		*v = nil
		return true
	}
	n, ok := s.Integer()
	if ok {
		*v = &n
	}
	return ok
}

// Float64 reads a number into v as encoding/json does (strconv.ParseFloat, refusing what is
// out of range); null leaves v as it is.
func (s *Scanner) Float64(v *float64) bool {
	if s.Null() {
		return true
	}
	s.Space()
	start := s.i
	if !s.Number() {
		return false
	}
	f, err := strconv.ParseFloat(string(s.data[start:s.i]), 64)
	if err != nil {
		return false
	}
	*v = f
	return true
}

// Value reads any value and returns its bytes.
func (s *Scanner) Value() ([]byte, bool) {
	s.Space()
	start := s.i
	ok := s.Skip()
	return s.data[start:s.i], ok
}

// Unknown skips the value of a member a decoder has no field for. encoding/json matches keys
// to fields regardless of case, so a key equal to one of fields in another case, or one with
// non-ASCII letters (Unicode case folding is encoding/json's to judge), declines.
func (s *Scanner) Unknown(key []byte, fields ...string) bool {
	for i := 0; i < len(key); i++ {
		if key[i] >= utf8.RuneSelf {
			return false
		}
	}
	for _, f := range fields {
		if bytes.EqualFold(key, []byte(f)) {
			return false
		}
	}
	return s.Skip()
}

// Skip reads any value.
func (s *Scanner) Skip() bool {
	switch c := s.Peek(); {
	case c == '"':
		_, _, ok := s.String()
		return ok
	case c == '{':
		return s.Object(func([]byte) bool { return s.Skip() })
	case c == '[':
		return s.Array(s.Skip)
	case c == 'n':
		return s.Null()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == '-' || c >= '0' && c <= '9':
		return s.Number()
	}
	return false
}

// Number reads a JSON number.
func (s *Scanner) Number() bool {
	d := s.data
	s.Space()
	if s.i < len(d) && d[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(d) && d[s.i] == '0':
		s.i++
	case s.i < len(d) && d[s.i] >= '1' && d[s.i] <= '9':
		s.digits()
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

func (s *Scanner) digits() bool {
	start := s.i
	for s.i < len(s.data) && s.data[s.i] >= '0' && s.data[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}
