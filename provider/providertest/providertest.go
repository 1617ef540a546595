// Package providertest holds helpers shared by the providers' table tests.
package providertest

import (
	"encoding/json"
	"testing"

	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

// Decode feeds transcript to d in pieces of step bytes (0 or less: all at once), then calls
// End, and returns every chunk produced. Decoders must give the same result for any step.
func Decode(d provider.StreamDecoder, transcript string, step int) ([]llm.Chunk, error) {
	if step <= 0 {
		step = max(len(transcript), 1)
	}
	var out []llm.Chunk
	for i := 0; i < len(transcript); i += step {
		chunks, err := d.Feed([]byte(transcript[i:min(i+step, len(transcript))]))
		out = append(out, chunks...)
		if err != nil {
			return out, err
		}
	}
	chunks, err := d.End()
	return append(out, chunks...), err
}

// Tools reads an OpenAI tools list as llm.Decode does, for building requests in tests.
func Tools(t testing.TB, raw string) []llm.Tool {
	t.Helper()
	var tools []llm.Tool
	mustUnmarshal(t, raw, &tools)
	return tools
}

// Choice reads an OpenAI tool_choice; "" gives nil.
func Choice(t testing.TB, raw string) *llm.ToolChoice {
	t.Helper()
	if raw == "" {
		return nil
	}
	var c llm.ToolChoice
	mustUnmarshal(t, raw, &c)
	return &c
}

// Calls reads an assistant turn's OpenAI tool_calls.
func Calls(t testing.TB, raw string) []llm.ToolCall {
	t.Helper()
	var calls []llm.ToolCall
	mustUnmarshal(t, raw, &calls)
	return calls
}

// JSON is s decoded into plain Go values, for comparing bodies with reflect.DeepEqual.
func JSON(t testing.TB, s string) any {
	t.Helper()
	var v any
	mustUnmarshal(t, s, &v)
	return v
}

func mustUnmarshal(t testing.TB, raw string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
}
