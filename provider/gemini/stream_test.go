package gemini

import (
	"reflect"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider/providertest"
)

// decodeAll feeds the transcript in pieces of size n (0 = whole) and returns every chunk.

// Transcript shape from ai.google.dev streamGenerateContent with alt=sse: CRLF-framed events,
// cumulative usageMetadata on every event, finishReason and final counts on the last.
const streamTranscript = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Le ciel\"}],\"role\": \"model\"}}],\"usageMetadata\": {\"promptTokenCount\": 8,\"totalTokenCount\": 8},\"modelVersion\": \"gemini-2.0-flash\",\"responseId\": \"r-1\"}\r\n\r\n" +
	"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" est bleu 🌤\"}],\"role\": \"model\"}}],\"usageMetadata\": {\"promptTokenCount\": 8,\"totalTokenCount\": 8},\"modelVersion\": \"gemini-2.0-flash\",\"responseId\": \"r-1\"}\r\n\r\n" +
	"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \".\"}],\"role\": \"model\"},\"finishReason\": \"STOP\"}],\"usageMetadata\": {\"promptTokenCount\": 8,\"candidatesTokenCount\": 6,\"totalTokenCount\": 14},\"modelVersion\": \"gemini-2.0-flash\",\"responseId\": \"r-1\"}\r\n\r\n"

func TestStreamWholeAndByteByByte(t *testing.T) {
	c := chatCall(&llm.ChatRequest{Params: llm.Params{Stream: true}})
	var reference []llm.Chunk
	for _, n := range []int{0, 1, 7} {
		chunks, err := providertest.Decode(Spec.Translator.Stream(c), streamTranscript, n)
		if err != nil {
			t.Fatalf("split %d: %v", n, err)
		}
		if len(chunks) != 3 {
			t.Fatalf("split %d: got %d chunks", n, len(chunks))
		}
		var text strings.Builder
		for _, ch := range chunks {
			text.WriteString(ch.Choices[0].Content)
		}
		if text.String() != "Le ciel est bleu 🌤." {
			t.Fatalf("split %d: text %q", n, text.String())
		}
		first, last := chunks[0].Choices[0], chunks[2]
		if first.Role != "assistant" || chunks[1].Choices[0].Role != "" || chunks[0].ID != "r-1" || chunks[0].Model != "gemini-2.0-flash" {
			t.Fatalf("split %d: first chunks wrong: %+v", n, chunks[:2])
		}
		if chunks[0].Usage != nil || chunks[1].Usage != nil {
			t.Fatal("usage must only arrive with the final chunk")
		}
		if last.Choices[0].FinishReason != "stop" || last.Usage == nil {
			t.Fatalf("last chunk %+v", last)
		}
		assertUsage(t, *last.Usage, []int64{8, 6, 14})
		if reference == nil {
			reference = chunks
		} else if !reflect.DeepEqual(reference, chunks) {
			t.Fatalf("split %d decodes differently", n)
		}
	}
}

func TestStreamMaxTokensWithoutUsage(t *testing.T) {
	transcript := "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"abc\"}],\"role\":\"model\"},\"finishReason\":\"MAX_TOKENS\"}]}\n\n"
	chunks, err := providertest.Decode(Spec.Translator.Stream(completionCall(&llm.CompletionRequest{})), transcript, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 1 || chunks[0].Choices[0].FinishReason != "length" || chunks[0].Usage != nil {
		t.Fatalf("got %+v", chunks)
	}
}

func TestStreamFailures(t *testing.T) {
	tests := []struct {
		name, transcript string
		code             gateway.Code
	}{
		{"truncated before finishReason", streamTranscript[:strings.Index(streamTranscript, "\r\n\r\n")+4], gateway.CodeUpstream},
		{"empty stream", "", gateway.CodeUpstream},
		{"in-band error event", "data: {\"error\":{\"code\":503,\"message\":\"The model is overloaded. Please try again later.\",\"status\":\"UNAVAILABLE\"}}\r\n\r\n", gateway.CodeUpstream},
		{"in-band quota error", "data: {\"error\":{\"code\":429,\"message\":\"Resource has been exhausted\",\"status\":\"RESOURCE_EXHAUSTED\"}}\n\n", gateway.CodeRateLimited},
		{"garbage", "data: {not json}\n\n", gateway.CodeUpstream},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := providertest.Decode(Spec.Translator.Stream(chatCall(&llm.ChatRequest{})), tc.transcript, 3)
			if gateway.ErrorCode(err) != tc.code {
				t.Fatalf("want %s, got %v", tc.code, err)
			}
		})
	}
}

func FuzzStreamNeverPanics(f *testing.F) {
	f.Add([]byte(streamTranscript))
	f.Add([]byte("data: {\"candidates\":[{\"index\":-5}]}\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d := Spec.Translator.Stream(chatCall(&llm.ChatRequest{}))
		_, _ = d.Feed(b)
		_, _ = d.End()
	})
}
