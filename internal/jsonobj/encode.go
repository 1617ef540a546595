package jsonobj

import "unicode/utf8"

// plainByte marks the bytes a JSON string holds as they are: ASCII but for control
// characters, quote and backslash (and, with HTML escaping, <, > and &).
var plainByte, plainByteHTML = func() (t, h [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
		h[c] = t[c] && c != '<' && c != '>' && c != '&'
	}
	return t, h
}()

// AppendString appends s quoted as encoding/json writes a string, without reflection: quote,
// backslash and control characters escaped (\b \f \n \r \t by name, others as \u00XX), each
// byte of invalid UTF-8 as \ufffd, U+2028 and U+2029 as \u2028 and \u2029, and with html
// (json.Marshal's default; an Encoder's SetEscapeHTML(false) turns it off) <, > and & as
// \u003c, \u003e and \u0026. FuzzAppendStringMatchesEncoder holds it to encoding/json.
func AppendString(b []byte, s string, html bool) []byte {
	const hex = "0123456789abcdef"
	plain := &plainByte
	if html {
		plain = &plainByteHTML
	}
	b = append(b, '"')
	done := 0 // s[:done] is in b
	for i := 0; i < len(s); {
		c := s[i]
		if plain[c] {
			i++
			continue
		}
		size := 1
		b = append(b, s[done:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			if c < utf8.RuneSelf { // another control character, or <, >, & with html
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
				break
			}
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				b = append(b, `\ufffd`...)
			case r == '\u2028' || r == '\u2029':
				b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			default:
				b = append(b, s[i:i+size]...)
			}
		}
		i += size
		done = i
	}
	b = append(b, s[done:]...)
	return append(b, '"')
}
