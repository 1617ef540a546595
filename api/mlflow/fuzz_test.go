package mlflow

import (
	"testing"

	"github.com/llmgate/llmgate/gateway"
)

// FuzzPageToken decodes MLflow's search page tokens (base64 of {"index": N}), the one
// caller-supplied value the surface parses itself: a token is a non-negative index or a 400
// whose message quotes a bounded prefix of the token; a token the surface issued reads back.
func FuzzPageToken(f *testing.F) {
	for _, seed := range []string{pageToken(0), pageToken(40), "eyJpbmRleCI6IC0xfQ==", "eyJpbmRleCI6MX0", "%%%", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		idx, err := parsePageToken(tok)
		if err != nil {
			if err.Code != gateway.CodeInvalid || err.Field != "page_token" || len(err.Message) > 128 {
				t.Fatalf("token %q refused with %+v", tok, err)
			}
			return
		}
		if idx < 0 {
			t.Fatalf("token %q gave index %d", tok, idx)
		}
		if back, err := parsePageToken(pageToken(idx)); err != nil || back != idx {
			t.Fatalf("index %d does not round-trip: %d %v", idx, back, err)
		}
	})
}
