package gateway

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash"
	"slices"
	"strings"
	"sync"
)

// The chain's canonical JSON is what encoding/json writes for canonicalEvent: fields in
// declaration order, metadata keys sorted, encoding/json's escaping. It is hashed for every
// event inside the store's write lock, so it is built here by appending rather than through
// reflection, byte for byte the same (auditlink_test.go compares the two, fuzzed): events
// chained before and after verify alike.

// Linker chains events under one key. It reuses its hash state and buffers from one event to
// the next, and stores keep them from one group commit to the next (AcquireLinker). Not safe
// for concurrent use.
type Linker struct {
	key    AuditKey
	mac    hash.Hash // HMAC-SHA256 under key, or plain SHA-256 for the legacy unkeyed chain
	prefix []byte    // what precedes prevHash in the hashed message
	buf    []byte    // the hashed message: prefix, prevHash, canonical JSON
	sum    [sha256.Size]byte
	hex    [2 * sha256.Size]byte
	plain  bool // every string of the last event linked was plain JSON (PlainJSON)
}

// NewLinker returns a Linker for key (the legacy unkeyed chain when key.ID is empty).
func NewLinker(key AuditKey) *Linker {
	l := &Linker{key: key, buf: make([]byte, 0, 2048)} // an access event's canonical form fits
	if key.ID == "" {
		l.mac = sha256.New()
	} else {
		l.mac = hmac.New(sha256.New, key.Secret)
		l.prefix = []byte("llmgate-audit-v2\x00" + key.ID + "\x00")
	}
	return l
}

// Key is the key the Linker chains under.
func (l *Linker) Key() AuditKey { return l.key }

// linkers keeps Linkers, their hash state and buffer, from one group commit to the next.
var linkers sync.Pool

// AcquireLinker returns a Linker for key, a pooled one when it chains under the same key;
// Release gives it back once the store is done with it.
func AcquireLinker(key AuditKey) *Linker {
	if l, ok := linkers.Get().(*Linker); ok && l.key.ID == key.ID && bytes.Equal(l.key.Secret, key.Secret) {
		return l
	}
	return NewLinker(key)
}

// Release returns l to AcquireLinker's pool; l must not be used afterwards.
func (l *Linker) Release() { linkers.Put(l) }

// Link chains ev after prevHash: it sets ev.PrevHash, ev.KeyID and ev.Hash (exactly
// LinkHash's) and returns the metadata column's JSON, json.Marshal(ev.Metadata)'s bytes.
func (l *Linker) Link(prevHash string, ev *AuditEvent) (metadata string) {
	l.buf = append(append(l.buf[:0], l.prefix...), prevHash...)
	var mdStart, mdEnd int
	l.buf, mdStart, mdEnd = l.appendCanonical(l.buf, ev)
	l.mac.Reset()
	l.mac.Write(l.buf)
	hex.Encode(l.hex[:], l.mac.Sum(l.sum[:0]))
	ev.PrevHash, ev.KeyID, ev.Hash = prevHash, l.key.ID, string(l.hex[:])
	if ev.Metadata == nil {
		return "null"
	}
	return string(l.buf[mdStart:mdEnd])
}

// LinkStorable normalizes ev as NormalizeAuditEvent does, then links it (Link); stores call
// it for every event they append. Linking looks at every string byte by byte anyway, and an
// event whose strings are all plain JSON is valid UTF-8 without NUL, so the common event is
// walked once; only one with other strings is checked, repaired if need be, and linked again.
func (l *Linker) LinkStorable(prevHash string, ev *AuditEvent) (metadata string) {
	fillAuditEvent(ev)
	metadata = l.Link(prevHash, ev)
	if l.plain || !repairAuditEvent(ev) {
		return metadata
	}
	return l.Link(prevHash, ev)
}

// canonicalTime is FormatTime's layout: the canonical timestamp is plain ASCII (digits, '-',
// 'T', ':', '.', 'Z'), which encoding/json writes unescaped.
const canonicalTime = "2006-01-02T15:04:05.000Z"

// appendCanonical appends ev's canonical JSON and says where its metadata object is.
func (l *Linker) appendCanonical(dst []byte, ev *AuditEvent) ([]byte, int, int) {
	var p [6]bool
	dst = append(dst, `{"id":`...)
	dst, p[0] = appendJSONString(dst, ev.ID)
	dst = append(dst, `,"kind":`...)
	dst, p[1] = appendJSONString(dst, ev.Kind)
	dst = append(dst, `,"timestamp":"`...)
	dst = ev.Timestamp.UTC().AppendFormat(dst, canonicalTime)
	dst = append(dst, `","performedBy":`...)
	dst, p[2] = appendJSONString(dst, ev.PerformedBy)
	dst = append(dst, `,"endpointId":`...)
	dst, p[3] = appendJSONString(dst, ev.EndpointID)
	dst = append(dst, `,"endpointType":`...)
	dst, p[4] = appendJSONString(dst, ev.EndpointType)
	dst = append(dst, `,"metadata":`...)
	start := len(dst)
	dst, p[5] = appendMetadata(dst, ev.Metadata)
	end := len(dst)
	l.plain = p == [6]bool{true, true, true, true, true, true}
	return append(dst, '}'), start, end
}

// AppendMetadataJSON appends json.Marshal(md)'s bytes ("null" for a nil map).
func AppendMetadataJSON(dst []byte, md map[string]string) []byte {
	if md == nil {
		return append(dst, "null"...)
	}
	dst, _ = appendMetadata(dst, md)
	return dst
}

// appendMetadata appends md as a JSON object with sorted keys ({} for nil, as the canonical
// form has it) and says whether every key and value was plain JSON. The map is walked once,
// the values coming along with the keys, into arrays on the stack; what gets sorted is an
// array without pointers: filling and sorting cost no GC write barriers.
func appendMetadata(dst []byte, md map[string]string) ([]byte, bool) {
	if len(md) > maxStackKeys {
		kv, keys := make([]string, 0, 2*len(md)), make([]sortKey, 0, len(md))
		for k, v := range md {
			keys = append(keys, sortKey{prefix: keyPrefix(k), at: len(kv)})
			kv = append(kv, k, v)
		}
		return appendSorted(dst, keys, kv)
	}
	var kv [2 * maxStackKeys]string // key, value, key, value...
	var keys [maxStackKeys]sortKey
	n := 0
	for k, v := range md { // indexing the arrays themselves: stack stores need no write barrier
		keys[n] = sortKey{prefix: keyPrefix(k), at: 2 * n}
		kv[2*n], kv[2*n+1] = k, v
		n++
	}
	return appendSorted(dst, keys[:n], kv[:2*n])
}

// maxStackKeys is how many metadata entries appendMetadata sorts on the stack (an access
// event has about 25).
const maxStackKeys = 40

func appendSorted(dst []byte, keys []sortKey, kv []string) ([]byte, bool) {
	sortKeys(keys, kv)
	all := true
	dst = append(dst, '{')
	for i, sk := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		var pk, pv bool
		dst, pk = appendJSONString(dst, kv[sk.at])
		dst = append(dst, ':')
		dst, pv = appendJSONString(dst, kv[sk.at+1])
		all = all && pk && pv
	}
	return append(dst, '}'), all
}

// sortKey places one metadata key: its first 8 bytes as a big-endian number, zero-padded
// (keys whose prefixes differ compare as their prefixes do), and where it is in kv.
type sortKey struct {
	prefix uint64
	at     int
}

func keyPrefix(k string) uint64 {
	if len(k) >= 8 {
		return binary.BigEndian.Uint64([]byte(k[:8]))
	}
	var b [8]byte
	copy(b[:], k)
	return binary.BigEndian.Uint64(b[:])
}

// sortKeys sorts keys as encoding/json sorts map keys (byte-wise), comparing whole keys in
// kv only when prefixes tie: insertion sort for the few dozen keys an event carries, the
// standard library's sort beyond.
func sortKeys(keys []sortKey, kv []string) {
	less := func(a, b sortKey) bool {
		if a.prefix != b.prefix {
			return a.prefix < b.prefix
		}
		return kv[a.at] < kv[b.at]
	}
	if len(keys) > 48 {
		slices.SortFunc(keys, func(a, b sortKey) int {
			if less(a, b) {
				return -1
			}
			return 1 // map keys are distinct
		})
		return
	}
	for i := 1; i < len(keys); i++ {
		x := keys[i]
		j := i
		for ; j > 0 && less(x, keys[j-1]); j-- {
			keys[j] = keys[j-1]
		}
		keys[j] = x
	}
}

// appendJSONString appends s as a JSON string. Printable ASCII that encoding/json leaves
// alone is copied as is; anything else (controls, quotes, backslash, the HTML characters
// encoding/json escapes, non-ASCII) goes through encoding/json itself, so the bytes never
// differ from json.Marshal's. It says whether s was plain.
func appendJSONString(dst []byte, s string) ([]byte, bool) {
	if PlainJSON(s) {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"'), true
	}
	b, _ := json.Marshal(s) // a string always encodes
	return append(dst, b...), false
}

// PlainJSON reports whether encoding/json writes s unchanged between quotes: printable ASCII
// other than '"', '\\', '<', '>' and '&'. Such a string is also valid UTF-8 without NUL.
func PlainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if !plainByte[s[i]] {
			return false
		}
	}
	return true
}

// plainByte[c] says whether encoding/json copies byte c of a string unchanged.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = !strings.ContainsRune(`"\<>&`, rune(c))
	}
	return t
}()
