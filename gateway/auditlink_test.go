package gateway

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

// canonicalEvent is the hashed form as first defined, through encoding/json: the Linker must
// produce its bytes exactly, or events chained before it would no longer verify.
type canonicalEvent struct {
	ID           string            `json:"id"`
	Kind         string            `json:"kind"`
	Timestamp    string            `json:"timestamp"`
	PerformedBy  string            `json:"performedBy"`
	EndpointID   string            `json:"endpointId"`
	EndpointType string            `json:"endpointType"`
	Metadata     map[string]string `json:"metadata"`
}

// referenceHash is the chain hash computed the original way.
func referenceHash(key AuditKey, prev string, ev *AuditEvent) string {
	md := ev.Metadata
	if md == nil {
		md = map[string]string{}
	}
	b, err := json.Marshal(canonicalEvent{ID: ev.ID, Kind: ev.Kind, Timestamp: FormatTime(ev.Timestamp),
		PerformedBy: ev.PerformedBy, EndpointID: ev.EndpointID, EndpointType: ev.EndpointType, Metadata: md})
	if err != nil {
		panic(err)
	}
	if key.ID == "" {
		h := sha256.Sum256(append([]byte(prev), b...))
		return hex.EncodeToString(h[:])
	}
	m := hmac.New(sha256.New, key.Secret)
	m.Write([]byte("llmgate-audit-v2\x00" + key.ID + "\x00" + prev))
	m.Write(b)
	return hex.EncodeToString(m.Sum(nil))
}

var linkCases = map[string]map[string]string{
	"nil":   nil,
	"empty": {},
	"access event": {
		"accessedByUsername": "ann", "accessedByUserId": "01J9Z3", "endpointName": "chat-gpt4o",
		"endpointType": "llm/v1/chat", "httpStatus": "200", "latencyMs": "12", "stream": "false",
		"userAgent": "OpenAI/Python 1.51.0", "clientIp": "127.0.0.1", "api": "openai",
	},
	"escapes":    {"error": "bad \"model\" at \\path\n\ttab\r\b\f\x01\x1f\x7f", "q": "a<b>&c"},
	"non-ascii":  {"user": "Zoë 日本 🙂", "sep": "line\u2028para\u2029end"},
	"invalid":    {"raw": "ok\xff\xfeend", "\xc3": "lone lead byte key"},
	"nul":        {"k\x00": "v\x00"},
	"sort order": {"b": "1", "B": "2", "a": "3", "": "4", "ä": "5", "a\x00": "6"},
	"payload":    {"requestPayload": `{"model":"m","messages":[{"role":"user","content":"<script>&amp;</script>"}]}`},
	"many keys":  manyKeys(60),
	"44 keys":    manyKeys(22),
}

// manyKeys has more entries than the stack arrays and the insertion sort take, many of them
// sharing their first 8 bytes, so order is decided past the prefix.
func manyKeys(n int) map[string]string {
	md := make(map[string]string, n)
	for i := range n {
		md[fmt.Sprintf("sharedPrefix%03d", (i*37)%n)] = strconv.Itoa(i)
		md[fmt.Sprintf("k%d", i)] = "v"
	}
	return md
}

func TestLinkerHashesAndEncodesExactlyAsEncodingJSON(t *testing.T) {
	keys := []AuditKey{{}, {ID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef")}}
	ts := time.Date(2026, 12, 4, 6, 7, 8, 123456789, time.UTC)
	for _, key := range keys {
		l := NewLinker(key) // one Linker for every case: reuse must not leak state between events
		for name, md := range linkCases {
			ev := &AuditEvent{ID: "id-" + name, Kind: "Kind<&>", Timestamp: ts, PerformedBy: "u\"1",
				EndpointID: "ep\x01", EndpointType: "llm/v1/chat", Metadata: md}
			want := referenceHash(key, "prev", ev)
			wantMD, _ := json.Marshal(md)
			gotMD := l.Link("prev", ev)
			if ev.Hash != want || ev.PrevHash != "prev" || ev.KeyID != key.ID {
				t.Fatalf("key %q %s: hash %s prev %q key %q; want %s", key.ID, name, ev.Hash, ev.PrevHash, ev.KeyID, want)
			}
			if gotMD != string(wantMD) || string(AppendMetadataJSON(nil, md)) != string(wantMD) {
				t.Fatalf("%s: metadata %s; want %s", name, gotMD, wantMD)
			}
			if LinkHash(key, "prev", ev) != want {
				t.Fatalf("%s: LinkHash differs from the reference", name)
			}
		}
	}
}

func FuzzLinkerMatchesEncodingJSON(f *testing.F) {
	f.Add("id", "userAgent", "curl/8.5.0", "error", "bad \"x\" <&>\n\xff", int64(1700000000123), "api", "openai")
	f.Add("", "abcdefgh1", "x", "abcdefgh", "y", int64(-62135596800000), "abcdefgh\x00", "z")
	f.Add("\u2028", "k\x00", "v", "k", "w", int64(253402300799999), "K", "\xc3")
	key := AuditKey{ID: "k", Secret: []byte("secret")}
	f.Fuzz(func(t *testing.T, id, k1, v1, k2, v2 string, ms int64, k3, v3 string) {
		ev := &AuditEvent{ID: id, Kind: v1, PerformedBy: k2, EndpointType: v3, Timestamp: time.UnixMilli(ms),
			Metadata: map[string]string{k1: v1, k2: v2, k3: v3, k1 + k2: v3, "accessedByUsername": v2, "api": k3}}
		wantMD, _ := json.Marshal(ev.Metadata)
		gotMD := NewLinker(key).Link("p", ev)
		if ev.Hash != referenceHash(key, "p", ev) || !bytes.Equal([]byte(gotMD), wantMD) {
			t.Fatalf("Linker differs from encoding/json for %+v", ev)
		}
		// Normalizing yields strings that are valid UTF-8 without NUL, leaves those alone,
		// and is idempotent, so a retried append hashes what the first attempt did;
		// LinkStorable links exactly the normalized event.
		stored := *ev
		storedMD := NewLinker(key).LinkStorable("p", &stored)
		if ev.ID == "" {
			ev.ID = stored.ID // what both would make up
		}
		if ev.Timestamp.IsZero() {
			ev.Timestamp = stored.Timestamp
		}
		NormalizeAuditEvent(ev)
		if want := AppendMetadataJSON(nil, ev.Metadata); storedMD != string(want) || stored.Hash != LinkHash(key, "p", ev) {
			t.Fatalf("LinkStorable stored %s, %s; normalizing then linking gives %s, %s", storedMD, stored.Hash, want,
				LinkHash(key, "p", ev))
		}
		for _, s := range []string{ev.ID, ev.Kind, ev.PerformedBy, ev.EndpointType} {
			if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
				t.Fatalf("normalized %q is not storable", s)
			}
		}
		for k, v := range ev.Metadata {
			if !utf8.ValidString(k+v) || strings.IndexByte(k+v, 0) >= 0 {
				t.Fatalf("normalized metadata %q: %q is not storable", k, v)
			}
		}
		before := LinkHash(key, "p", ev)
		NormalizeAuditEvent(ev)
		if LinkHash(key, "p", ev) != before {
			t.Fatalf("normalizing twice changed the event %+v", ev)
		}
	})
}

func TestNormalizeKeepsValidEventsAndRepairsBadStrings(t *testing.T) {
	md := map[string]string{"user": "Zoë", "q": "a<b>&\"c\"\n"}
	ev := &AuditEvent{Kind: "k", Metadata: md}
	NormalizeAuditEvent(ev)
	if ev.ID == "" || ev.Timestamp.IsZero() || ev.Timestamp.Location() != time.UTC || ev.Timestamp.Nanosecond()%1e6 != 0 {
		t.Fatalf("ID and timestamp not filled as stored: %+v", ev)
	}
	md["shared"] = "yes" // a valid map is kept, not copied
	if ev.Metadata["shared"] != "yes" {
		t.Fatal("a valid metadata map was copied")
	}
	bad := map[string]string{"ok": "fine", "raw\xff": "a\x00b\xc3"}
	ev = &AuditEvent{ID: "i\x00d", Kind: "\xfe", Metadata: bad}
	NormalizeAuditEvent(ev)
	want := map[string]string{"ok": "fine", "raw\uFFFD": "a\uFFFDb\uFFFD"}
	if ev.ID != "i\uFFFDd" || ev.Kind != "\uFFFD" || len(ev.Metadata) != 2 || ev.Metadata["raw\uFFFD"] != want["raw\uFFFD"] ||
		ev.Metadata["ok"] != "fine" {
		t.Fatalf("repaired event %+v; want id i\uFFFDd, kind \uFFFD, metadata %v", ev, want)
	}
	if _, ok := bad["raw\xff"]; !ok || len(bad) != 2 {
		t.Fatal("the caller's map was modified")
	}
}

func BenchmarkLinkAccessEvent(b *testing.B) {
	l := NewLinker(AuditKey{ID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef")})
	ev := &AuditEvent{ID: "01JABCDEF", Kind: KindAccessEndpoint, Timestamp: time.Now(), PerformedBy: "u1",
		EndpointID: "ep1", EndpointType: "llm/v1/chat", Metadata: linkCases["access event"]}
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		l.Link("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", ev)
	}
}

// pipelineMetadata is an access event's metadata as the pipeline writes it (pipeline/audit.go).
func pipelineMetadata() map[string]string {
	return map[string]string{"accessedByUsername": "bench", "accessedByUserId": "01JABCDEFGHJKMNPQRSTVWXYZ0",
		"apiKeyId": "01JABCDEFGHJKMNPQRSTVWXYZ1", "endpointName": "chat", "endpointId": "01JABCDEFGHJKMNPQRSTVWXYZ2",
		"endpointType": "llm/v1/chat", "modelProvider": "openai", "modelName": "gpt-4o-mini", "outcome": "success",
		"httpStatus": "200", "latencyMs": "1", "promptTokens": "9", "completionTokens": "12", "totalTokens": "21",
		"stream": "false", "requestId": "req-01JABCDEFGHJKMNPQRSTVWXYZ3", "clientIp": "127.0.0.1",
		"userAgent": "OpenAI/Python 1.99.9", "api": "openai", "organizationIds": "", "cost": "0.000012", "currency": "USD"}
}

// pipelineEvent is an access event as the pipeline writes one.
func pipelineEvent() *AuditEvent {
	return &AuditEvent{ID: "01JABCDEFGHJKMNPQRSTVWXYZ4", Kind: KindAccessEndpoint, Timestamp: time.Now(),
		PerformedBy: "01JABCDEFGHJKMNPQRSTVWXYZ0", EndpointID: "01JABCDEFGHJKMNPQRSTVWXYZ2", EndpointType: "llm/v1/chat",
		Metadata: pipelineMetadata()}
}

func BenchmarkLinkPipelineEvent(b *testing.B) {
	l := NewLinker(AuditKey{ID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef")})
	ev := pipelineEvent()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		l.Link("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", ev)
	}
}

func BenchmarkNormalizePipelineEvent(b *testing.B) {
	ev := pipelineEvent()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		NormalizeAuditEvent(ev)
	}
}

// reportCPU adds cpu-ns/op, the process's CPU time (user and system) per iteration: on a
// shared machine it moves less than ns/op, the wall time, which waits for the CPU.
func reportCPU(b *testing.B) func() {
	start := cpuTime(b)
	return func() { b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op") }
}

func cpuTime(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
