package openaicompat

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
)

// benchAnswer is fakeupstream's unstreamed chat answer to make bench's query.
var benchAnswer = []byte(`{"choices":[{"finish_reason":"stop","index":0,"logprobs":null,"message":{"content":"echo: How far is the moon from the earth in kilometres?","role":"assistant"}}],"created":1796363304,"id":"fake-1796363304123456789","model":"gpt-4o-mini","object":"chat.completion","usage":{"completion_tokens":11,"prompt_tokens":11,"total_tokens":22}}`)

// BenchmarkParseChat is the decoding of one unstreamed chat answer.
func BenchmarkParseChat(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseResponse(gateway.TypeChat, "m", benchAnswer); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChatBody is the encoding of make bench's query for the upstream.
func BenchmarkChatBody(b *testing.B) {
	r := &llm.ChatRequest{Messages: []llm.Message{{Role: "user", Content: llm.StringContent("How far is the moon from the earth in kilometres?")}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ChatBody("gpt-4o-mini", r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseEmbeddings is the decoding of one 1536-dimension embedding answer.
func BenchmarkParseEmbeddings(b *testing.B) {
	var vec strings.Builder
	for i := range 1536 {
		if i > 0 {
			vec.WriteByte(',')
		}
		vec.WriteString(strconv.FormatFloat(math.Sin(float64(i))/10, 'f', -1, 64))
	}
	body := []byte(`{"object":"list","data":[{"object":"embedding","index":0,"embedding":[` + vec.String() + `]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":5,"total_tokens":5}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseResponse(gateway.TypeEmbeddings, "m", body); err != nil {
			b.Fatal(err)
		}
	}
}
