// Package redact removes credential values from text that came from an upstream provider
// before it reaches a caller, the audit trail or a log. Pattern filters (does this look like
// "sk-…"?) miss keys of any other shape and keys an upstream echoes encoded, so a Scrubber is
// built per call from the values actually resolved for that call and finds them by value:
//
//   - the raw value and its encoded forms: URL query and path escaping (upper- and lower-case
//     hex), JSON string escaping (with and without HTML escaping, with "\/"), hexadecimal, and
//     standard and URL-safe base64 at every byte alignment, so the value is also found inside
//     encodings of longer strings such as basic auth's base64("user:" + secret) or
//     base64("Bearer " + key);
//   - any fragment of at least Fragment (12) bytes of any of these forms, so a key with its
//     prefix cut off, or a piece of it, is found too.
//
// Values shorter than MinSecret (6) bytes are not scrubbed: replacing every "admin" in an
// answer protects nothing. Values of MinSecret to Fragment-1 bytes are matched whole (in every
// form). A value holding a JSON object (a service-account file) contributes its credential
// fields, not the whole document, whose structural text would match ordinary JSON.
//
// Matching is one pass over the text with a rolling hash of Fragment-byte windows, a bit-set
// pre-filter and a set lookup: O(len(text)) whatever the number of secrets. Matches are
// replaced by Marker, overlapping and adjacent ones by a single Marker. The package does no
// I/O.
package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/llmgate/llmgate/gateway"
)

// Marker replaces every credential occurrence.
const Marker = "[REDACTED]"

// Fragment is the window length: any run of this many bytes of a secret (in any of its
// forms) is redacted. Twelve characters of a random key carry ~70 bits; shorter pieces are
// not treated as the key, so a key that happens to contain a ten-letter word ("databricks")
// does not erase that word from every answer.
const Fragment = 12

// MinSecret is the shortest value treated as a secret.
const MinSecret = 6

// hashBase is the multiplier of the polynomial rolling hash (arithmetic mod 2^64).
const hashBase = 0x100000001b3

// Scrubber finds the secrets it was built from. A nil *Scrubber scrubs nothing at no cost, so
// callers need no branch when a call has no credentials. Safe for concurrent use.
type Scrubber struct {
	grams  map[uint64]struct{} // hashes of every Fragment-byte window of every form
	filter []uint64            // bit set over the low bits of those hashes
	mask   uint64
	exact  [][]byte // forms shorter than Fragment, matched whole
	joined []byte   // every form, NUL-separated: what a held-back tail is checked against
	pow    uint64   // hashBase^(Fragment-1)
}

// New builds a scrubber for values; it returns nil when none of them is long enough to be
// treated as a secret.
func New(values ...string) *Scrubber {
	var secrets []string
	for _, v := range values {
		secrets = append(secrets, secretParts(v)...)
	}
	s := &Scrubber{grams: map[uint64]struct{}{}}
	seen := map[string]bool{}
	for _, v := range secrets {
		for _, f := range forms(v) {
			if seen[f] {
				continue
			}
			seen[f] = true
			s.joined = append(append(s.joined, f...), 0)
			if len(f) >= Fragment {
				s.addGrams(f)
			} else if len(f) >= MinSecret {
				s.exact = append(s.exact, []byte(f))
			}
		}
	}
	if len(s.grams) == 0 && len(s.exact) == 0 {
		return nil
	}
	s.buildFilter()
	s.pow = 1
	for i := 0; i < Fragment-1; i++ {
		s.pow *= hashBase
	}
	return s
}

// secretParts returns what of a configured value is secret: the value itself, its URL
// userinfo password, or the credential fields of a JSON object.
func secretParts(v string) []string {
	v = strings.TrimSpace(v)
	if len(v) < MinSecret {
		return nil
	}
	if strings.HasPrefix(v, "{") {
		var obj map[string]any
		if json.Unmarshal([]byte(v), &obj) == nil {
			return jsonSecrets(obj)
		}
	}
	out := []string{v}
	if strings.Contains(v, "://") && strings.Contains(v, "@") {
		if u, err := url.Parse(v); err == nil && u.User != nil {
			if p, ok := u.User.Password(); ok && len(p) >= MinSecret {
				out = append(out, p)
			}
		}
	}
	return out
}

// jsonSecrets collects the string fields of obj (at any depth) whose names say credential.
func jsonSecrets(obj map[string]any) []string {
	var out []string
	for k, v := range obj {
		switch t := v.(type) {
		case string:
			if secretField(k) && len(t) >= MinSecret {
				out = append(out, t)
			}
		case map[string]any:
			out = append(out, jsonSecrets(t)...)
		}
	}
	return out
}

// secretField reports a JSON field holding a credential; addresses such as "token_uri" are
// not, though their names mention one.
func secretField(k string) bool {
	if strings.HasSuffix(k, "_uri") || strings.HasSuffix(k, "_url") {
		return false
	}
	return gateway.IsSecretKey(k) || k == "private_key_id" || k == "refresh_token"
}

// forms lists the encodings of v an upstream might echo.
func forms(v string) []string {
	q, p := url.QueryEscape(v), url.PathEscape(v)
	out := []string{v, q, p, lowerHex(q), lowerHex(p), hex.EncodeToString([]byte(v))}
	out = append(out, jsonForms(v)...)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		out = append(out, enc.EncodeToString([]byte(v)))
		// Inside the encoding of a longer string the value starts at any byte alignment;
		// only whole 3-byte groups encode independently of their neighbours.
		for k := 0; k < 3 && k < len(v); k++ {
			rest := v[k:]
			if whole := len(rest) / 3 * 3; whole > 0 {
				out = append(out, enc.EncodeToString([]byte(rest[:whole])))
			}
		}
	}
	return out
}

func jsonForms(v string) []string {
	var out []string
	plain, _ := json.Marshal(v)
	out = append(out, string(plain[1:len(plain)-1]))
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	noHTML := strings.TrimSuffix(buf.String(), "\n")
	noHTML = noHTML[1 : len(noHTML)-1]
	out = append(out, noHTML, strings.ReplaceAll(noHTML, "/", `\/`))
	return out
}

// lowerHex lower-cases the hex digits of percent escapes.
func lowerHex(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = toLower(b[i+1]), toLower(b[i+2])
		}
	}
	return string(b)
}

func toLower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func (s *Scrubber) addGrams(f string) {
	var h uint64
	pow := uint64(1)
	for i := 0; i < Fragment-1; i++ {
		pow *= hashBase
	}
	for i := 0; i < len(f); i++ {
		if i >= Fragment {
			h -= uint64(f[i-Fragment]) * pow
		}
		h = h*hashBase + uint64(f[i])
		if i >= Fragment-1 {
			s.grams[h] = struct{}{}
		}
	}
}

func (s *Scrubber) buildFilter() {
	bits := 1024
	for bits < 16*len(s.grams) {
		bits <<= 1
	}
	s.filter = make([]uint64, bits/64)
	s.mask = uint64(bits - 1)
	for h := range s.grams {
		b := mix(h) & s.mask
		s.filter[b/64] |= 1 << (b % 64)
	}
}

// mix spreads the hash's high bits into the low ones the filter indexes.
func mix(h uint64) uint64 { return h ^ h>>29 ^ h>>47 }

// span is a half-open byte range [from, to) holding a secret.
type span struct{ from, to int }

// find returns the merged ranges of b that hold a secret, in order.
func (s *Scrubber) find(b []byte) []span {
	var out []span
	add := func(from, to int) {
		if n := len(out); n > 0 && from <= out[n-1].to {
			out[n-1].to = max(out[n-1].to, to)
			return
		}
		out = append(out, span{from, to})
	}
	var h uint64
	for i := 0; i < len(b); i++ {
		if i >= Fragment {
			h -= uint64(b[i-Fragment]) * s.pow
		}
		h = h*hashBase + uint64(b[i])
		if i < Fragment-1 {
			continue
		}
		if f := mix(h) & s.mask; s.filter[f/64]&(1<<(f%64)) == 0 {
			continue
		}
		if _, ok := s.grams[h]; ok {
			add(i+1-Fragment, i+1)
		}
	}
	if len(s.exact) > 0 {
		out = s.findExact(b, out)
	}
	return out
}

// findExact adds the occurrences of the short forms to spans (kept sorted and merged).
func (s *Scrubber) findExact(b []byte, spans []span) []span {
	var extra []span
	for _, needle := range s.exact {
		for off := 0; ; {
			i := bytes.Index(b[off:], needle)
			if i < 0 {
				break
			}
			extra = append(extra, span{off + i, off + i + len(needle)})
			off += i + 1
		}
	}
	if len(extra) == 0 {
		return spans
	}
	all := append(spans, extra...)
	sortSpans(all)
	merged := all[:1]
	for _, sp := range all[1:] {
		last := &merged[len(merged)-1]
		if sp.from <= last.to {
			last.to = max(last.to, sp.to)
			continue
		}
		merged = append(merged, sp)
	}
	return merged
}

func sortSpans(s []span) {
	for i := 1; i < len(s); i++ { // insertion sort: few spans, mostly sorted
		for j := i; j > 0 && s[j].from < s[j-1].from; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// String returns text with every secret replaced by Marker; text itself when there is none.
func (s *Scrubber) String(text string) string {
	if s == nil || len(text) < MinSecret {
		return text
	}
	spans := s.find(unsafeBytes(text))
	if len(spans) == 0 {
		return text
	}
	return string(render(nil, []byte(text), 0, len(text), spans, false))
}

// Bytes returns b with every secret replaced by Marker; b itself when there is none.
func (s *Scrubber) Bytes(b []byte) []byte {
	if s == nil || len(b) < MinSecret {
		return b
	}
	spans := s.find(b)
	if len(spans) == 0 {
		return b
	}
	return render(nil, b, 0, len(b), spans, false)
}

// Contains reports whether text holds a secret.
func (s *Scrubber) Contains(text string) bool {
	return s != nil && len(s.find(unsafeBytes(text))) > 0
}

// render appends b[from:to] to dst with the spans replaced by Marker. inSpan says the byte
// before from was already redacted (so a span continuing it adds no second Marker); the
// returned slice is dst.
func render(dst, b []byte, from, to int, spans []span, inSpan bool) []byte {
	pos := from
	for _, sp := range spans {
		if sp.to <= from || sp.from >= to {
			continue
		}
		start, end := max(sp.from, from), min(sp.to, to)
		dst = append(dst, b[pos:start]...)
		if !(inSpan && start == from) {
			dst = append(dst, Marker...)
		}
		pos = end
	}
	return append(dst, b[pos:to]...)
}

// unsafeBytes views s as bytes without copying; find only reads them.
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// Stream scrubs text that arrives in pieces (one choice of a streamed answer), so a secret
// split across pieces is still found. It holds back the end of what it has seen only when
// that end could be the beginning of a secret (it occurs in one of the forms), at most
// Fragment-1 bytes, until the next piece or Flush decides; ordinary text passes at once. Not
// safe for concurrent use.
type Stream struct {
	s *Scrubber
	// buf holds the text not yet emitted, preceded by up to Fragment-1 bytes already emitted
	// (the context a secret continuing across the boundary is matched with).
	buf     []byte
	emitted int  // bytes of buf already emitted
	inSpan  bool // the last emitted byte was redacted
}

// NewStream returns a stream scrubber; with a nil Scrubber it passes text through at once.
func (s *Scrubber) NewStream() *Stream { return &Stream{s: s} }

// Next takes the next piece and returns the text that is now safe to emit (possibly "").
func (st *Stream) Next(piece string) string {
	if st.s == nil {
		return piece
	}
	st.buf = append(st.buf, piece...)
	cut := st.holdFrom()
	for cut > st.emitted && cut < len(st.buf) && !utf8.RuneStart(st.buf[cut]) {
		cut-- // never split a character between two pieces
	}
	if cut <= st.emitted {
		return ""
	}
	return st.emit(cut)
}

// holdFrom returns where the tail that may start a secret begins: the longest suffix shorter
// than Fragment that occurs in a form. Every window starting before it is complete, so what
// precedes it is decided.
//
// A suffix that occurs in no form has no longer suffix that does, so lengths are tried from
// the shortest up and the search stops at the first miss: ordinary text costs one or two
// scans of the forms per piece.
func (st *Stream) holdFrom() int {
	held := 0
	for n := 1; n <= min(Fragment-1, len(st.buf)-st.emitted); n++ {
		if !bytes.Contains(st.s.joined, st.buf[len(st.buf)-n:]) {
			break
		}
		held = n
	}
	return len(st.buf) - held
}

// Flush returns everything held back; call it when the text ends.
func (st *Stream) Flush() string {
	if st.s == nil || len(st.buf) == st.emitted {
		return ""
	}
	return st.emit(len(st.buf))
}

func (st *Stream) emit(cut int) string {
	spans := st.s.find(st.buf)
	out := render(nil, st.buf, st.emitted, cut, spans, st.inSpan)
	st.inSpan = false
	for _, sp := range spans {
		if sp.from < cut && sp.to >= cut {
			st.inSpan = true
		}
	}
	keep := max(cut-(Fragment-1), 0)
	st.buf = append(st.buf[:0], st.buf[keep:]...)
	st.emitted = cut - keep
	return string(out)
}
