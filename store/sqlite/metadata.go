package sqlite

import (
	"encoding/json"
	"slices"
)

// encodeMetadata returns exactly what json.Marshal(md) returns (the metadata column's
// established format: sorted keys, encoding/json's escaping), without reflection for the
// plain-ASCII strings access events are made of. It runs once per audit event, inside the
// write lock, so its cost is on every request's path.
func encodeMetadata(md map[string]string) ([]byte, error) {
	if md == nil {
		return []byte("null"), nil
	}
	keys := make([]string, 0, len(md))
	size := 2
	for k, v := range md {
		keys = append(keys, k)
		size += len(k) + len(v) + 6
	}
	slices.Sort(keys)
	out := make([]byte, 0, size)
	out = append(out, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		if out, err = appendJSONString(out, k); err != nil {
			return nil, err
		}
		out = append(out, ':')
		if out, err = appendJSONString(out, md[k]); err != nil {
			return nil, err
		}
	}
	return append(out, '}'), nil
}

// appendJSONString appends s as a JSON string. Printable ASCII that encoding/json leaves
// alone is copied as is; anything else (controls, quotes, backslash, the HTML characters
// encoding/json escapes, non-ASCII) goes through encoding/json itself, so the bytes never
// differ from json.Marshal's.
func appendJSONString(dst []byte, s string) ([]byte, error) {
	if plainJSON(s) {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"'), nil
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return append(dst, b...), nil
}

// plainJSON reports whether encoding/json writes s unchanged between quotes.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x80, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}
