package redact

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

const key = "tok_9f8e/7d6c+5b4a=3f2e1d" // no "sk-" prefix; '/', '+', '=' make every encoding differ

func TestScrubsEveryForm(t *testing.T) {
	s := New(key)
	jsonForm, _ := json.Marshal(key + "<")
	cases := map[string]string{
		"raw":            "invalid key " + key + " given",
		"without prefix": "invalid key " + key[4:],
		"query-escaped":  "GET /v1?key=" + url.QueryEscape(key),
		"path-escaped":   "see https://h/x/Authorization:Bearer%20" + url.PathEscape(key) + "/y",
		"lower-hex":      "see " + strings.ToLower(url.QueryEscape(key)),
		"json":           "body: " + string(jsonForm),
		"base64":         "b64 " + base64.StdEncoding.EncodeToString([]byte(key)),
		"base64url":      "b64 " + base64.RawURLEncoding.EncodeToString([]byte(key)),
		"basic auth":     "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("user:"+key)),
		"bearer base64":  base64.StdEncoding.EncodeToString([]byte("Bearer " + key)),
		"fragment":       "…" + key[5:17] + "…",
		"hex":            "0x" + hexOf(key),
	}
	for name, text := range cases {
		got := s.String(text)
		if !strings.Contains(got, Marker) {
			t.Errorf("%s: %q not redacted: %q", name, text, got)
		}
		for i := 0; i+Fragment <= len(key); i++ {
			if strings.Contains(got, key[i:i+Fragment]) {
				t.Errorf("%s: fragment %q survives in %q", name, key[i:i+Fragment], got)
			}
		}
	}
}

func hexOf(s string) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(digits[s[i]>>4])
		b.WriteByte(digits[s[i]&15])
	}
	return b.String()
}

func TestLeavesOrdinaryTextAlone(t *testing.T) {
	s := New(key, "hunter2!")
	text := `{"choices":[{"message":{"content":"The token bucket refills at 9 per second."}}]}`
	if got := s.String(text); got != text {
		t.Fatalf("changed ordinary text: %q", got)
	}
	if got := s.String("pw hunter2! and hunter2"); got != "pw "+Marker+" and hunter2" {
		t.Fatalf("short secret: %q", got)
	}
}

func TestAdjacentAndRepeatedOccurrencesGiveOneMarkerEach(t *testing.T) {
	s := New(key)
	got := s.String("a " + key + key + " b " + key)
	if got != "a "+Marker+" b "+Marker {
		t.Fatalf("got %q", got)
	}
}

func TestTooShortValuesAndNilScrubber(t *testing.T) {
	if New("abc", "", "  ") != nil {
		t.Fatal("values under MinSecret must give no scrubber")
	}
	var s *Scrubber
	if s.String("x "+key) != "x "+key || string(s.Bytes([]byte("b"))) != "b" {
		t.Fatal("nil scrubber must pass text through")
	}
	st := s.NewStream()
	if st.Next("abc") != "abc" || st.Flush() != "" {
		t.Fatal("nil stream must pass through")
	}
}

func TestJSONCredentialFileContributesItsSecretFields(t *testing.T) {
	pk := "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
	doc, _ := json.Marshal(map[string]string{"type": "service_account", "private_key": pk, "private_key_id": "a1b2c3d4e5f6a7b8",
		"token_uri": "https://oauth2.googleapis.com/token"})
	s := New(string(doc))
	if got := s.String("see https://oauth2.googleapis.com/token for service_account"); strings.Contains(got, Marker) {
		t.Fatalf("structural fields must not be secrets: %q", got)
	}
	if got := s.String("key id a1b2c3d4e5f6a7b8, body MIIEvQIBADANBgkq"); strings.Count(got, Marker) != 2 {
		t.Fatalf("secret fields not redacted: %q", got)
	}
}

func TestURLPasswordIsASecret(t *testing.T) {
	s := New("https://svc:pa55w0rd-x@llm.internal/v1")
	if got := s.String("auth failed for pa55w0rd-x"); got != "auth failed for "+Marker {
		t.Fatalf("got %q", got)
	}
}

// TestStreamFindsASecretSplitAcrossPieces feeds the key in every two-piece split and in
// single bytes: no piece of it may come out, and all other text must, in order.
func TestStreamFindsASecretSplitAcrossPieces(t *testing.T) {
	s := New(key)
	text := "before " + key + " after ✓"
	want := "before " + Marker + " after ✓"
	for cut := 0; cut <= len(text); cut++ {
		st := s.NewStream()
		got := st.Next(text[:cut]) + st.Next(text[cut:]) + st.Flush()
		if got != want {
			t.Fatalf("split at %d: %q", cut, got)
		}
	}
	st := s.NewStream()
	var out strings.Builder
	for i := 0; i < len(text); i++ {
		piece := st.Next(text[i : i+1])
		out.WriteString(piece)
	}
	out.WriteString(st.Flush())
	if out.String() != want {
		t.Fatalf("byte by byte: %q", out.String())
	}
}

func TestStreamNeverSplitsACharacter(t *testing.T) {
	s := New(key)
	st := s.NewStream()
	for _, piece := range []string{"ééééééééééé", "ü"} {
		if out := st.Next(piece); !utf8Valid(out) {
			t.Fatalf("emitted a broken character: %q", out)
		}
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "?") == s }

// TestLinearTime: scrubbing 8 MB costs O(n), not O(n·secrets·len).
func TestLinearTime(t *testing.T) {
	s := New(key, "another-credential-value-123456", "hunter2!")
	big := strings.Repeat("lorem ipsum dolor sit amet ", 8<<20/27)
	if got := s.String(big); got != big {
		t.Fatal("changed")
	}
}

func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = New("sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z")
	}
}

func BenchmarkString2KB(b *testing.B) {
	s := New("sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z")
	text := strings.Repeat(`{"content":"hello world, this is a normal answer."}`, 40)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = s.String(text)
	}
}

// BenchmarkStreamPiece is the cost of one streamed text piece ("token") with a 1.7 KB
// private key among the secrets, the largest credential llmgate handles.
func BenchmarkStreamPiece(b *testing.B) {
	pem := "-----BEGIN PRIVATE KEY-----\n" + strings.Repeat("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n", 32) + "-----END PRIVATE KEY-----\n"
	doc, _ := json.Marshal(map[string]string{"type": "service_account", "private_key": pem})
	st := New(string(doc), key).NewStream()
	words := strings.Fields("the quick brown fox jumps over the lazy dog and keeps running far away")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = st.Next(" " + words[i%len(words)])
	}
}
