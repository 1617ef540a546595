package httpkit

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
)

// FuzzRequestDecoding covers what every surface does with a caller's raw request before any
// surface-specific decoding: the API key from the credential headers and the JSON-object body
// check. A key is at most what the headers carried; a refused body is a 400 whose message
// stays short whatever the body (it never echoes the body back).
func FuzzRequestDecoding(f *testing.F) {
	f.Add("Bearer sk-abc", "", []byte(`{"messages":[{"role":"user","content":"hi"}]}`))
	f.Add("Basic dXNlcjpwYXNz", "k", []byte(`{"a":1} {"b":2}`))
	f.Add("basic Og==", "", []byte(`{"temperature":"hot"}`))
	f.Add("Token x", "", []byte(` [1] `))
	f.Fuzz(func(t *testing.T, authorization, apiKey string, body []byte) {
		r := &http.Request{Header: http.Header{}}
		r.Header.Set("Authorization", authorization)
		r.Header.Set("Api-Key", apiKey)
		key := APIKey(r)
		if len(key) > len(authorization)+len(apiKey) {
			t.Fatalf("key of %d bytes from %d header bytes", len(key), len(authorization)+len(apiKey))
		}
		if key != strings.TrimSpace(key) && !strings.HasPrefix(strings.ToLower(strings.TrimSpace(authorization)), "basic") {
			t.Fatalf("key %q keeps surrounding spaces", key)
		}
		var into struct {
			Model       string          `json:"model"`
			Temperature *float64        `json:"temperature"`
			Messages    json.RawMessage `json:"messages"`
		}
		for _, v := range []any{&map[string]any{}, &into} {
			err := UnmarshalObject(body, v)
			if err == nil {
				continue
			}
			var gerr *gateway.Error
			if !errors.As(err, &gerr) || gerr.Code != gateway.CodeInvalid {
				t.Fatalf("refusal %T %v is not an invalid-input gateway error", err, err)
			}
			if len(gerr.Message) > 512 {
				t.Fatalf("a %d-byte body gave a %d-byte message", len(body), len(gerr.Message))
			}
		}
	})
}
