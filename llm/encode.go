package llm

import (
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends r as json.Encoder with HTML escaping off writes it (as the surfaces'
// WriteJSON does), without the trailing newline and without reflection: the answer of every
// unstreamed chat query is written this way. ok is false, and b returned as it was, when r
// holds tool calls, which are raw JSON encoding/json checks and compacts; the caller then
// encodes r with encoding/json. FuzzChatResponseAppendJSONMatchesEncoder holds it to that.
func (r *ChatResponse) AppendJSON(b []byte) (out []byte, ok bool) {
	for i := range r.Choices {
		if len(r.Choices[i].Message.ToolCalls) > 0 {
			return b, false
		}
	}
	b = append(b, `{"id":`...)
	b = appendJSONString(b, r.ID)
	b = append(b, `,"object":`...)
	b = appendJSONString(b, r.Object)
	b = append(b, `,"created":`...)
	b = strconv.AppendInt(b, r.Created, 10)
	b = append(b, `,"model":`...)
	b = appendJSONString(b, r.Model)
	b = append(b, `,"choices":`...)
	if r.Choices == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, c := range r.Choices {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"index":`...)
			b = strconv.AppendInt(b, int64(c.Index), 10)
			b = append(b, `,"message":{"role":`...)
			b = appendJSONString(b, c.Message.Role)
			b = append(b, `,"content":`...)
			b = appendStringPtr(b, c.Message.Content)
			b = append(b, `},"finish_reason":`...)
			b = appendStringPtr(b, c.FinishReason)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = appendIntPtr(b, r.Usage.PromptTokens)
	b = append(b, `,"completion_tokens":`...)
	b = appendIntPtr(b, r.Usage.CompletionTokens)
	b = append(b, `,"total_tokens":`...)
	b = appendIntPtr(b, r.Usage.TotalTokens)
	return append(b, "}}"...), true
}

func appendStringPtr(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendJSONString(b, *s)
}

func appendIntPtr(b []byte, n *int64) []byte {
	if n == nil {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, *n, 10)
}

// plainByte marks the bytes a JSON string holds as they are: ASCII but for control
// characters, quote and backslash.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONString appends s quoted as encoding/json writes a string with HTML escaping off:
// quote, backslash and control characters escaped (\b \f \n \r \t by name, others as
// \u00XX), each byte of invalid UTF-8 as \ufffd, and U+2028 and U+2029 as \u2028 and \u2029
// (JavaScript reads them as line ends).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	done := 0 // s[:done] is in b
	for i := 0; i < len(s); {
		c := s[i]
		if plainByte[c] {
			i++
			continue
		}
		var esc string
		size := 1
		switch c {
		case '"':
			esc = `\"`
		case '\\':
			esc = `\\`
		case '\b':
			esc = `\b`
		case '\f':
			esc = `\f`
		case '\n':
			esc = `\n`
		case '\r':
			esc = `\r`
		case '\t':
			esc = `\t`
		default:
			if c < 0x20 {
				esc = `\u00` + hex[c>>4:c>>4+1] + hex[c&0xf:c&0xf+1]
				break
			}
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				esc = `\ufffd`
			case r == '\u2028':
				esc = `\u2028`
			case r == '\u2029':
				esc = `\u2029`
			default:
				i += size
				continue
			}
		}
		b = append(b, s[done:i]...)
		b = append(b, esc...)
		i += size
		done = i
	}
	b = append(b, s[done:]...)
	return append(b, '"')
}
