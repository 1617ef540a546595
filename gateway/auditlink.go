package gateway

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
	"slices"
)

// The chain's canonical JSON is what encoding/json writes for canonicalEvent: fields in
// declaration order, metadata keys sorted, encoding/json's escaping. It is hashed for every
// event inside the store's write lock, so it is built here by appending rather than through
// reflection, byte for byte the same (auditlink_test.go compares the two, fuzzed): events
// chained before and after verify alike.

// Linker chains events under one key. It reuses its hash state and buffer from one event to
// the next, so a store makes one per group commit. Not safe for concurrent use.
type Linker struct {
	key  AuditKey
	mac  hash.Hash // HMAC-SHA256 under key, or plain SHA-256 for the legacy unkeyed chain
	buf  []byte
	sum  [sha256.Size]byte
	keys []string
}

// NewLinker returns a Linker for key (the legacy unkeyed chain when key.ID is empty).
func NewLinker(key AuditKey) *Linker {
	l := &Linker{key: key, buf: make([]byte, 0, 2048)} // an access event's canonical form fits
	if key.ID == "" {
		l.mac = sha256.New()
	} else {
		l.mac = hmac.New(sha256.New, key.Secret)
	}
	return l
}

// Link chains ev after prevHash: it sets ev.PrevHash, ev.KeyID and ev.Hash (exactly
// LinkHash's) and returns the metadata column's JSON, json.Marshal(ev.Metadata)'s bytes.
func (l *Linker) Link(prevHash string, ev *AuditEvent) (metadata string) {
	var mdStart, mdEnd int
	l.buf, mdStart, mdEnd = l.appendCanonical(l.buf[:0], ev)
	l.mac.Reset()
	if l.key.ID == "" {
		l.mac.Write([]byte(prevHash))
	} else {
		l.mac.Write([]byte("llmgate-audit-v2\x00" + l.key.ID + "\x00" + prevHash))
	}
	l.mac.Write(l.buf)
	ev.PrevHash, ev.KeyID = prevHash, l.key.ID
	ev.Hash = hex.EncodeToString(l.mac.Sum(l.sum[:0]))
	if ev.Metadata == nil {
		return "null"
	}
	return string(l.buf[mdStart:mdEnd])
}

// appendCanonical appends ev's canonical JSON and says where its metadata object is.
func (l *Linker) appendCanonical(dst []byte, ev *AuditEvent) ([]byte, int, int) {
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, ev.ID)
	dst = append(dst, `,"kind":`...)
	dst = appendJSONString(dst, ev.Kind)
	dst = append(dst, `,"timestamp":`...)
	dst = appendJSONString(dst, FormatTime(ev.Timestamp))
	dst = append(dst, `,"performedBy":`...)
	dst = appendJSONString(dst, ev.PerformedBy)
	dst = append(dst, `,"endpointId":`...)
	dst = appendJSONString(dst, ev.EndpointID)
	dst = append(dst, `,"endpointType":`...)
	dst = appendJSONString(dst, ev.EndpointType)
	dst = append(dst, `,"metadata":`...)
	start := len(dst)
	dst, l.keys = appendMetadata(dst, ev.Metadata, l.keys)
	end := len(dst)
	return append(dst, '}'), start, end
}

// AppendMetadataJSON appends json.Marshal(md)'s bytes ("null" for a nil map).
func AppendMetadataJSON(dst []byte, md map[string]string) []byte {
	if md == nil {
		return append(dst, "null"...)
	}
	dst, _ = appendMetadata(dst, md, nil)
	return dst
}

// appendMetadata appends md as a JSON object with sorted keys ({} for nil, as the canonical
// form has it), sorting in keys' storage.
func appendMetadata(dst []byte, md map[string]string, keys []string) ([]byte, []string) {
	keys = keys[:0]
	for k := range md {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		dst = appendJSONString(dst, md[k])
	}
	return append(dst, '}'), keys
}

// appendJSONString appends s as a JSON string. Printable ASCII that encoding/json leaves
// alone is copied as is; anything else (controls, quotes, backslash, the HTML characters
// encoding/json escapes, non-ASCII) goes through encoding/json itself, so the bytes never
// differ from json.Marshal's.
func appendJSONString(dst []byte, s string) []byte {
	if plainJSON(s) {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	b, _ := json.Marshal(s) // a string always encodes
	return append(dst, b...)
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
