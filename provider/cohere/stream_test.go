package cohere

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider/providertest"
)

// Transcript in the shape of docs.cohere.com/reference/chat-stream (v2 streaming events).
const textStream = `event: message-start
data: {"id":"29f14a5a-11de-4cae-9800-25e4747408ea","type":"message-start","delta":{"message":{"role":"assistant","content":[],"tool_plan":"","tool_calls":[],"citations":[]}}}

event: content-start
data: {"type":"content-start","index":0,"delta":{"message":{"content":{"type":"text","text":""}}}}

event: content-delta
data: {"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"Hallo"}}}}

event: content-delta
data: {"type":"content-delta","index":0,"delta":{"message":{"content":{"text":", Welt 🌍"}}}}

event: content-end
data: {"type":"content-end","index":0}

event: message-end
data: {"type":"message-end","delta":{"finish_reason":"COMPLETE","usage":{"billed_units":{"input_tokens":3,"output_tokens":4},"tokens":{"input_tokens":69,"output_tokens":4}}}}

`

func TestTextStream(t *testing.T) {
	var reference []llm.Chunk
	for _, n := range []int{0, 1, 13} {
		chunks, err := providertest.Decode(Spec.Translator.Stream(chat(&llm.ChatRequest{})), textStream, n)
		if err != nil {
			t.Fatalf("split %d: %v", n, err)
		}
		if len(chunks) != 4 {
			t.Fatalf("split %d: %d chunks", n, len(chunks))
		}
		var text strings.Builder
		for _, c := range chunks {
			text.WriteString(c.Choices[0].Content)
			if c.ID != "29f14a5a-11de-4cae-9800-25e4747408ea" || c.Model != "command-a-03-2025" {
				t.Fatalf("chunk id/model %q %q", c.ID, c.Model)
			}
		}
		if text.String() != "Hallo, Welt 🌍" || chunks[0].Choices[0].Role != "assistant" {
			t.Fatalf("text %q", text.String())
		}
		last := chunks[3]
		if last.Choices[0].FinishReason != "stop" || last.Usage == nil {
			t.Fatalf("last chunk %+v", last)
		}
		assertUsage(t, *last.Usage, []int64{69, 4, 73})
		if reference == nil {
			reference = chunks
		} else if !reflect.DeepEqual(reference, chunks) {
			t.Fatalf("split %d decodes differently", n)
		}
	}
}

func TestToolCallStreamBecomesOpenAIDeltas(t *testing.T) {
	transcript := `data: {"id":"m1","type":"message-start","delta":{"message":{"role":"assistant"}}}

data: {"type":"tool-plan-delta","delta":{"message":{"tool_plan":"I will check"}}}

data: {"type":"tool-call-start","index":0,"delta":{"message":{"tool_calls":{"id":"get_weather_q1","type":"function","function":{"name":"get_weather","arguments":""}}}}}

data: {"type":"tool-call-delta","index":0,"delta":{"message":{"tool_calls":{"function":{"arguments":"{\"city\":"}}}}}

data: {"type":"tool-call-delta","index":0,"delta":{"message":{"tool_calls":{"function":{"arguments":"\"Paris\"}"}}}}}

data: {"type":"tool-call-end","index":0}

data: {"type":"message-end","delta":{"finish_reason":"TOOL_CALL"}}

`
	chunks, err := providertest.Decode(Spec.Translator.Stream(chat(&llm.ChatRequest{})), transcript, 5)
	if err != nil {
		t.Fatal(err)
	}
	var args strings.Builder
	var first map[string]any
	for _, c := range chunks {
		if c.Choices[0].ToolCalls == nil {
			continue
		}
		var deltas []map[string]any
		if err := json.Unmarshal(c.Choices[0].ToolCalls, &deltas); err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = deltas[0]
		}
		args.WriteString(deltas[0]["function"].(map[string]any)["arguments"].(string))
	}
	if first["id"] != "get_weather_q1" || first["index"] != 0.0 || first["type"] != "function" {
		t.Fatalf("first delta %v", first)
	}
	if args.String() != `{"city":"Paris"}` {
		t.Fatalf("arguments %q", args.String())
	}
	if last := chunks[len(chunks)-1]; last.Choices[0].FinishReason != "tool_calls" || last.Usage != nil {
		t.Fatalf("last %+v", last)
	}
}

func TestStreamFailures(t *testing.T) {
	for name, transcript := range map[string]string{
		"cut before message-end": textStream[:strings.Index(textStream, "event: content-end")],
		"generation error":       "data: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"ERROR\"}}\n\n",
		"malformed event":        "data: {\"type\":\"content-delta\",\"delta\":{\"message\":[]}}\n\n",
		"not json":               "data: oops\n\n",
		"no events":              "",
	} {
		if _, err := providertest.Decode(Spec.Translator.Stream(chat(&llm.ChatRequest{})), transcript, 2); gateway.ErrorCode(err) != gateway.CodeUpstream {
			t.Fatalf("%s: want upstream error, got %v", name, err)
		}
	}
}

func FuzzStreamNeverPanics(f *testing.F) {
	f.Add([]byte(textStream))
	f.Fuzz(func(t *testing.T, b []byte) {
		d := Spec.Translator.Stream(chat(&llm.ChatRequest{}))
		_, _ = d.Feed(b)
		_, _ = d.End()
	})
}
