package gateway

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"
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
	f.Add("id", "userAgent", "curl/8.5.0", "error", "bad \"x\" <&>\n\xff")
	key := AuditKey{ID: "k", Secret: []byte("secret")}
	f.Fuzz(func(t *testing.T, id, k1, v1, k2, v2 string) {
		ev := &AuditEvent{ID: id, Kind: v1, PerformedBy: k2, Timestamp: time.UnixMilli(1700000000123),
			Metadata: map[string]string{k1: v1, k2: v2}}
		wantMD, _ := json.Marshal(ev.Metadata)
		gotMD := NewLinker(key).Link("p", ev)
		if ev.Hash != referenceHash(key, "p", ev) || !bytes.Equal([]byte(gotMD), wantMD) {
			t.Fatalf("Linker differs from encoding/json for %+v", ev)
		}
	})
}

func BenchmarkLinkAccessEvent(b *testing.B) {
	l := NewLinker(AuditKey{ID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef")})
	ev := &AuditEvent{ID: "01JABCDEF", Kind: KindAccessEndpoint, Timestamp: time.Now(), PerformedBy: "u1",
		EndpointID: "ep1", EndpointType: "llm/v1/chat", Metadata: linkCases["access event"]}
	b.ReportAllocs()
	for b.Loop() {
		l.Link("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", ev)
	}
}
