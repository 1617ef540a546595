// Package providertest holds helpers shared by the providers' table tests.
package providertest

import (
	"encoding/json"
	"reflect"
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

// WeatherTools is the tools list the providers' tool tests send: one function with a JSON
// Schema (OpenAI's documentation example) and one without parameters.
const WeatherTools = `[{"type":"function","function":{"name":"get_weather","description":"Get the current weather in a given location",
	"parameters":{"type":"object","properties":{"location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"}},"required":["location"]}}},
	{"type":"function","function":{"name":"get_time"}}]`

// ToolRequest is a chat request offering WeatherTools with tool_choice choice ("" for none).
func ToolRequest(t testing.TB, choice string, msgs ...llm.Message) *llm.ChatRequest {
	t.Helper()
	return &llm.ChatRequest{Messages: msgs, Tools: Tools(t, WeatherTools), ToolChoice: Choice(t, choice)}
}

// ToolConversation is a second-round exchange as an OpenAI client sends it: a system prompt, a
// question, the assistant's text with two parallel calls, both results (the second as text
// parts), a follow-up question, a call-only turn and its result. ids name the three calls;
// last is the last result's text.
func ToolConversation(t testing.TB, ids [3]string, last string) []llm.Message {
	t.Helper()
	text := func(role, s string) llm.Message { return llm.Message{Role: role, Content: llm.StringContent(s)} }
	return []llm.Message{
		text("system", "Be terse."), text("user", "Weather and time in SF?"),
		{Role: "assistant", Content: llm.StringContent("Let me check both."), ToolCalls: []llm.ToolCall{
			{ID: ids[0], Name: "get_weather", Arguments: json.RawMessage(`{"location": "San Francisco, CA"}`)},
			{ID: ids[1], Name: "get_time", Arguments: json.RawMessage(`{}`)}}},
		{Role: "tool", ToolCallID: ids[0], Content: llm.StringContent("15 degrees")},
		{Role: "tool", ToolCallID: ids[1], Content: json.RawMessage(`[{"type":"text","text":"14:05 PST"}]`)},
		text("user", "And now?"),
		{Role: "assistant", Content: json.RawMessage(`null`), ToolCalls: []llm.ToolCall{{ID: ids[2], Name: "get_time", Arguments: json.RawMessage(`{}`)}}},
		{Role: "tool", ToolCallID: ids[2], Content: llm.StringContent(last)},
	}
}

// Body is the JSON body of the upstream request tr builds for c, decoded into plain values.
func Body(t testing.TB, tr provider.Translator, c *provider.Call) (map[string]any, error) {
	t.Helper()
	hr, err := tr.Request(c)
	if err != nil {
		return nil, err
	}
	var got map[string]any
	if err := json.Unmarshal(hr.Body, &got); err != nil {
		t.Fatalf("body %s: %v", hr.Body, err)
	}
	return got, nil
}

// ToolChoices checks how a provider maps each OpenAI tool_choice: want's keys are choices
// ("" for none given), its values the JSON the provider must send ("" for nothing). sent
// builds the request with WeatherTools and returns what the provider sent for the choice
// (nil when nothing).
func ToolChoices(t *testing.T, want map[string]string, sent func(r *llm.ChatRequest) (any, error)) {
	t.Helper()
	for choice, w := range want {
		got, err := sent(ToolRequest(t, choice, llm.Message{Role: "user", Content: llm.StringContent("x")}))
		switch {
		case err != nil:
			t.Errorf("tool_choice %s: %v", choice, err)
		case w == "" && got != nil:
			t.Errorf("tool_choice %s: %v sent", choice, got)
		case w != "" && !reflect.DeepEqual(got, JSON(t, w)):
			t.Errorf("tool_choice %s: sent %v, want %s", choice, got, w)
		}
	}
}
