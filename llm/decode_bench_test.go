package llm

import (
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
)

// benchBody is the query make bench sends on the OpenAI surface (json.Marshal of a map, so
// its members are sorted).
var benchBody = []byte(`{"messages":[{"content":"How far is the moon from the earth in kilometres?","role":"user"}],"model":"chat","stream":false}`)

// BenchmarkOpenAIQueryDecode is the request-side JSON work of one OpenAI-surface query: the
// endpoint's name read from the body, then the body decoded for a chat endpoint.
func BenchmarkOpenAIQueryDecode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ModelName(benchBody); err != nil {
			b.Fatal(err)
		}
		if _, err := DecodeOpenAI(gateway.TypeChat, benchBody); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenAIQueryDecodeLarge is BenchmarkOpenAIQueryDecode for a 1 MB message with
// escapes and non-ASCII text, where the cost is per byte.
func BenchmarkOpenAIQueryDecodeLarge(b *testing.B) {
	body := []byte(`{"model":"chat","messages":[{"role":"user","content":"` + strings.Repeat(`Ein Absatz \"zitiert\" über Sätze.\n`, 1<<20/36) + `"}]}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ModelName(body); err != nil {
			b.Fatal(err)
		}
		if _, err := DecodeOpenAI(gateway.TypeChat, body); err != nil {
			b.Fatal(err)
		}
	}
}
