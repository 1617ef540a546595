package sqlite

import (
	"bytes"
	"encoding/json"
	"testing"
)

// The metadata column must keep json.Marshal's exact bytes: rows written before and after
// encodeMetadata existed are read and compared alike.
func TestEncodeMetadataMatchesEncodingJSON(t *testing.T) {
	cases := map[string]map[string]string{
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
	for name, md := range cases {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(md)
			if err != nil {
				t.Fatal(err)
			}
			got, err := encodeMetadata(md)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("encodeMetadata = %s\nwant            %s", got, want)
			}
		})
	}
}

func FuzzEncodeMetadataMatchesEncodingJSON(f *testing.F) {
	f.Add("userAgent", "curl/8.5.0", "error", "bad \"x\" <&>\n\xff")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		md := map[string]string{k1: v1, k2: v2}
		want, _ := json.Marshal(md)
		got, err := encodeMetadata(md)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("encodeMetadata = %s, %v; want %s", got, err, want)
		}
	})
}
