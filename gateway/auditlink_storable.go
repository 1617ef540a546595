package gateway

import (
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// NormalizeAuditEvent fills what a caller may leave empty (ID, Timestamp) and makes the event
// re-read exactly as it is hashed: a millisecond UTC timestamp, and strings valid UTF-8
// (encoding/json would otherwise rewrite invalid bytes differently on the way in and out)
// without NUL (which PostgreSQL's text rejects), each bad byte sequence becoming U+FFFD. Valid
// input is left as it is and costs no allocation; a map needing repair is replaced by a copy,
// the caller's stays untouched. Stores do it through LinkStorable, so all store alike.
func NormalizeAuditEvent(ev *AuditEvent) {
	fillAuditEvent(ev)
	repairAuditEvent(ev)
}

// fillAuditEvent gives ev an ID and a millisecond UTC timestamp.
func fillAuditEvent(ev *AuditEvent) {
	if ev.ID == "" {
		ev.ID = NewID()
	}
	if ev.Timestamp.IsZero() {
		ev.Timestamp = Now()
	}
	ev.Timestamp = ev.Timestamp.UTC().Truncate(time.Millisecond)
}

// repairAuditEvent makes ev's strings valid UTF-8 without NUL and says whether it changed any.
func repairAuditEvent(ev *AuditEvent) (changed bool) {
	for _, f := range [...]*string{&ev.ID, &ev.Kind, &ev.PerformedBy, &ev.EndpointID, &ev.EndpointType} {
		if !storable(*f) {
			*f, changed = makeStorable(*f), true
		}
	}
	for k, v := range ev.Metadata {
		if !storable(k) || !storable(v) {
			ev.Metadata = storableMap(ev.Metadata)
			return true
		}
	}
	return changed
}

// storableMap repairs md's keys and values into a new map. Two keys that repair alike keep
// the value of the one sorting first, so the outcome does not depend on map order.
func storableMap(md map[string]string) map[string]string {
	out := make(map[string]string, len(md))
	for _, k := range slices.Sorted(maps.Keys(md)) {
		if sk := makeStorable(k); !has(out, sk) {
			out[sk] = makeStorable(md[k])
		}
	}
	return out
}

func has(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

// storable reports whether s is valid UTF-8 without NUL; plain JSON answers it byte by byte.
func storable(s string) bool {
	return PlainJSON(s) || utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

func makeStorable(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
