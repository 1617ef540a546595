package tgi

import (
	"reflect"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider/providertest"
)

// /generate_stream transcript as TGI sends it (no space after "data:"); the final event carries
// generated_text and details, and the eos token is special.
const transcript = "data:{\"index\":1,\"token\":{\"id\":10,\"text\":\" Deep\",\"logprob\":-0.1,\"special\":false},\"generated_text\":null,\"details\":null}\n\n" +
	"data:{\"index\":2,\"token\":{\"id\":11,\"text\":\" learning ✓\",\"logprob\":-0.2,\"special\":false},\"generated_text\":null,\"details\":null}\n\n" +
	"data:{\"index\":3,\"token\":{\"id\":2,\"text\":\"</s>\",\"logprob\":-0.01,\"special\":true},\"generated_text\":\" Deep learning ✓\",\"details\":{\"finish_reason\":\"eos_token\",\"generated_tokens\":3,\"seed\":null,\"input_length\":6}}\n\n"

func TestGenerateStream(t *testing.T) {
	var reference []llm.Chunk
	for _, n := range []int{0, 1, 9} {
		chunks, err := providertest.Decode(Spec.Translator.Stream(completion(&llm.CompletionRequest{})), transcript, n)
		if err != nil {
			t.Fatal(err)
		}
		var text strings.Builder
		for _, c := range chunks {
			text.WriteString(c.Choices[0].Content)
		}
		if len(chunks) != 3 || text.String() != " Deep learning ✓" || chunks[0].Choices[0].Role != "assistant" {
			t.Fatalf("split %d: %d chunks, text %q", n, len(chunks), text.String())
		}
		last := chunks[2]
		if last.Choices[0].FinishReason != "stop" || last.Usage == nil || *last.Usage.PromptTokens != 6 || *last.Usage.TotalTokens != 9 {
			t.Fatalf("last %+v", last)
		}
		if reference == nil {
			reference = chunks
		} else if !reflect.DeepEqual(reference, chunks) {
			t.Fatalf("split %d decodes differently", n)
		}
	}
}

func TestGenerateStreamFailures(t *testing.T) {
	tests := map[string]struct {
		transcript string
		code       gateway.Code
	}{
		"cut before details":       {transcript[:strings.LastIndex(transcript, "data:")], gateway.CodeUpstream},
		"in-band generation error": {"data:{\"error\":\"Request failed during generation: Server error: out of memory\",\"error_type\":\"generation\"}\n\n", gateway.CodeUpstream},
		"in-band overload":         {"data:{\"error\":\"Model is overloaded\",\"error_type\":\"overloaded\"}\n\n", gateway.CodeRateLimited},
		"garbage":                  {"data:<html>\n\n", gateway.CodeUpstream},
	}
	for name, tc := range tests {
		if _, err := providertest.Decode(Spec.Translator.Stream(completion(&llm.CompletionRequest{})), tc.transcript, 4); gateway.ErrorCode(err) != tc.code {
			t.Fatalf("%s: want %s, got %v", name, tc.code, err)
		}
	}
}

func FuzzGenerateStreamNeverPanics(f *testing.F) {
	f.Add([]byte(transcript))
	f.Fuzz(func(t *testing.T, b []byte) {
		d := Spec.Translator.Stream(completion(&llm.CompletionRequest{}))
		_, _ = d.Feed(b)
		_, _ = d.End()
	})
}
