package bedrock

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider/providertest"
)

func converseRequestBody(t *testing.T, r *llm.ChatRequest) (map[string]any, error) {
	t.Helper()
	c := chatCall(false)
	c.Req.Chat = r
	return providertest.Body(t, Spec.Translator, c)
}

// A full exchange as an OpenAI client sends it on the second round: the assistant's text and
// two parallel calls, both results, then a follow-up question; shapes from
// docs.aws.amazon.com/bedrock/latest/userguide/tool-use-inference-call.html.
func TestToolRequestMultiTurn(t *testing.T) {
	r := providertest.ToolRequest(t, `"auto"`, providertest.ToolConversation(t, [3]string{"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", "tooluse_2B", "tooluse_3C"}, "")...)
	got, err := converseRequestBody(t, r)
	if err != nil {
		t.Fatal(err)
	}
	wantMessages := providertest.JSON(t, `[
		{"role":"user","content":[{"text":"Weather and time in SF?"}]},
		{"role":"assistant","content":[{"text":"Let me check both."},
			{"toolUse":{"toolUseId":"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q","name":"get_weather","input":{"location":"San Francisco, CA"}}},
			{"toolUse":{"toolUseId":"tooluse_2B","name":"get_time","input":{}}}]},
		{"role":"user","content":[{"toolResult":{"toolUseId":"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q","content":[{"text":"15 degrees"}]}},
			{"toolResult":{"toolUseId":"tooluse_2B","content":[{"text":"14:05 PST"}]}},
			{"text":"And now?"}]},
		{"role":"assistant","content":[{"toolUse":{"toolUseId":"tooluse_3C","name":"get_time","input":{}}}]},
		{"role":"user","content":[{"toolResult":{"toolUseId":"tooluse_3C","content":[{"text":" "}]}}]}]`)
	wantToolConfig := providertest.JSON(t, `{"tools":[
		{"toolSpec":{"name":"get_weather","description":"Get the current weather in a given location",
			"inputSchema":{"json":{"type":"object","properties":{"location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"}},"required":["location"]}}}},
		{"toolSpec":{"name":"get_time","inputSchema":{"json":{"type":"object","properties":{}}}}}],
		"toolChoice":{"auto":{}}}`)
	if !reflect.DeepEqual(got["messages"], wantMessages) {
		t.Errorf("messages = %v", got["messages"])
	}
	if !reflect.DeepEqual(got["toolConfig"], wantToolConfig) {
		t.Errorf("toolConfig = %v", got["toolConfig"])
	}
	if !reflect.DeepEqual(got["system"], providertest.JSON(t, `[{"text":"Be terse."}]`)) {
		t.Errorf("system = %v", got["system"])
	}
}

func TestToolChoice(t *testing.T) {
	providertest.ToolChoices(t, map[string]string{
		`"auto"`:     `{"auto":{}}`,
		`"required"`: `{"any":{}}`,
		`{"type":"function","function":{"name":"get_weather"}}`: `{"tool":{"name":"get_weather"}}`,
		``: ``,
	}, func(r *llm.ChatRequest) (any, error) {
		got, err := converseRequestBody(t, r)
		config, _ := got["toolConfig"].(map[string]any)
		if tools, _ := config["tools"].([]any); len(tools) != 2 {
			t.Errorf("toolConfig = %v", got["toolConfig"])
		}
		return config["toolChoice"], err
	})
}

// Converse has no "none": refused when tools are given, harmless (no toolConfig) otherwise.
func TestToolChoiceNone(t *testing.T) {
	got, err := converseRequestBody(t, providertest.ToolRequest(t, `"none"`, msg("user", "x")))
	if gateway.ErrorCode(err) != gateway.CodeInvalid || !strings.Contains(err.Error(), "bedrock does not support tool_choice none") {
		t.Errorf("none with tools: err = %v", err)
	}
	r := &llm.ChatRequest{Messages: []llm.Message{msg("user", "x")}, ToolChoice: providertest.Choice(t, `"none"`)}
	got, err = converseRequestBody(t, r)
	if _, present := got["toolConfig"]; err != nil || present {
		t.Errorf("none without tools: %v %v", got, err)
	}
}

func TestToolRequestRejects(t *testing.T) {
	noTools := func(choice string) *llm.ChatRequest {
		return &llm.ChatRequest{Messages: []llm.Message{msg("user", "x")}, ToolChoice: providertest.Choice(t, choice)}
	}
	tests := map[string]*llm.ChatRequest{
		"tool result not text":       providertest.ToolRequest(t, "", msg("user", "x"), llm.Message{Role: "tool", ToolCallID: "t", Content: json.RawMessage(`[{"type":"image_url","image_url":{"url":"x"}}]`)}),
		"tool_choice without tools":  noTools(`"required"`),
		"named choice without tools": noTools(`{"type":"function","function":{"name":"f"}}`),
	}
	for name, r := range tests {
		if _, err := converseRequestBody(t, r); gateway.ErrorCode(err) != gateway.CodeInvalid {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestToolResponse(t *testing.T) {
	tests := []struct {
		name, body string
		text       *string
		toolCalls  string
		finish     string
	}{
		{"text and toolUse (Bedrock user guide tool use example)",
			`{"output":{"message":{"role":"assistant","content":[{"text":"I'll look up the weather in San Francisco."},
			{"toolUse":{"toolUseId":"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q","name":"get_weather","input":{"location": "San Francisco, CA", "unit": "celsius"}}}]}},
			"stopReason":"tool_use","usage":{"inputTokens":392,"outputTokens":83,"totalTokens":475},"metrics":{"latencyMs":1617}}`,
			ptr("I'll look up the weather in San Francisco."),
			`[{"id":"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"San Francisco, CA\",\"unit\":\"celsius\"}"}}]`,
			"tool_calls"},
		{"two toolUse blocks, no text, empty input",
			`{"output":{"message":{"role":"assistant","content":[{"toolUse":{"toolUseId":"tooluse_1","name":"get_weather","input":{"location":"Paris"}}},
			{"toolUse":{"toolUseId":"tooluse_2","name":"get_time","input":{}}}]}},"stopReason":"tool_use","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2}}`,
			nil,
			`[{"id":"tooluse_1","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}},{"id":"tooluse_2","type":"function","function":{"name":"get_time","arguments":"{}"}}]`,
			"tool_calls"},
		{"no toolUse keeps text and no tool_calls",
			`{"output":{"message":{"role":"assistant","content":[{"text":"Hi"}]}},"stopReason":"end_turn"}`,
			ptr("Hi"), ``, "stop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Spec.Translator.Response(chatCall(false), []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			m := r.Chat.Choices[0].Message
			if !reflect.DeepEqual(m.Content, tt.text) || string(m.ToolCalls) != tt.toolCalls || *r.Chat.Choices[0].FinishReason != tt.finish {
				t.Errorf("content %v tool_calls %s finish %s", m.Content, m.ToolCalls, *r.Chat.Choices[0].FinishReason)
			}
			out, err := json.Marshal(r.Chat)
			if err != nil || (tt.text == nil && !strings.Contains(string(out), `"content":null`)) {
				t.Errorf("encoded %s %v", out, err)
			}
		})
	}
	c := chatCall(false)
	c.Type = gateway.TypeCompletions
	r, err := Spec.Translator.Response(c, []byte(tests[1].body))
	if err != nil || r.Completion.Choices[0].Text != "" {
		t.Errorf("completions of a tool-only answer: %+v %v", r, err)
	}
}

// toolTranscript follows the ConverseStream tool use event sequence of the Bedrock user
// guide, with a second toolUse block so ordinals differ from content block indexes.
func toolTranscript(t *testing.T) []byte {
	var b []byte
	for _, ev := range [][2]string{
		{"messageStart", `{"p":"abcd","role":"assistant"}`},
		{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Okay, let's check the weather"},"p":"ab"}`},
		{"contentBlockStop", `{"contentBlockIndex":0,"p":"a"}`},
		{"contentBlockStart", `{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q","name":"get_weather"}},"p":"abc"}`},
		{"contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"location\":"}},"p":"ab"}`},
		{"contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":" \"San Francisco, CA\"}"}},"p":"ab"}`},
		{"contentBlockStop", `{"contentBlockIndex":1,"p":"a"}`},
		{"contentBlockStart", `{"contentBlockIndex":2,"start":{"toolUse":{"toolUseId":"tooluse_2","name":"get_time"}},"p":"abc"}`},
		{"contentBlockDelta", `{"contentBlockIndex":2,"delta":{"toolUse":{"input":"{}"}},"p":"ab"}`},
		{"contentBlockStop", `{"contentBlockIndex":2,"p":"a"}`},
		{"messageStop", `{"stopReason":"tool_use","p":"abc"}`},
		{"metadata", `{"usage":{"inputTokens":472,"outputTokens":89,"totalTokens":561},"metrics":{"latencyMs":900},"p":"x"}`},
	} {
		b = append(b, encode(t, "event", ev[0], ev[1])...)
	}
	return b
}

func TestToolStream(t *testing.T) {
	want := []string{
		`[{"index":0,"id":"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q","type":"function","function":{"name":"get_weather","arguments":""}}]`,
		`[{"index":0,"function":{"arguments":"{\"location\":"}}]`,
		`[{"index":0,"function":{"arguments":" \"San Francisco, CA\"}"}}]`,
		`[{"index":1,"id":"tooluse_2","type":"function","function":{"name":"get_time","arguments":""}}]`,
		`[{"index":1,"function":{"arguments":"{}"}}]`,
	}
	transcript := toolTranscript(t)
	for _, pieces := range [][][]byte{{transcript}, split(transcript, 1)} {
		chunks, err := feed(Spec.Translator.Stream(chatCall(true)), pieces)
		if err != nil {
			t.Fatalf("%d pieces: %v", len(pieces), err)
		}
		var text, finish string
		var deltas []string
		for _, c := range chunks {
			for _, ch := range c.Choices {
				text += ch.Content
				if ch.ToolCalls != nil {
					deltas = append(deltas, string(ch.ToolCalls))
				}
				if ch.FinishReason != "" {
					finish = ch.FinishReason
				}
			}
		}
		if text != "Okay, let's check the weather" || !reflect.DeepEqual(deltas, want) || finish != "tool_calls" {
			t.Fatalf("%d pieces: text %q finish %q deltas\n%s", len(pieces), text, finish, strings.Join(deltas, "\n"))
		}
		if last := chunks[len(chunks)-1]; last.Usage == nil || *last.Usage.TotalTokens != 561 {
			t.Fatalf("%d pieces: last chunk %+v", len(pieces), last)
		}
	}
}

func TestToolStreamFailures(t *testing.T) {
	start := [2]string{"messageStart", `{"role":"assistant"}`}
	tests := map[string][][2]string{
		"input for a text block": {start,
			{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hi"}}`},
			{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"toolUse":{"input":"{"}}}`}},
		"input for a block never started": {start,
			{"contentBlockDelta", `{"contentBlockIndex":3,"delta":{"toolUse":{"input":"{"}}}`}},
		"toolUse block started twice": {start,
			{"contentBlockStart", `{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"a","name":"f"}}}`},
			{"contentBlockStart", `{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"b","name":"f"}}}`}},
		"input not a string": {start,
			{"contentBlockStart", `{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"a","name":"f"}}}`},
			{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"toolUse":{"input":{"a":1}}}}`}},
	}
	for name, events := range tests {
		var transcript []byte
		for _, ev := range events {
			transcript = append(transcript, encode(t, "event", ev[0], ev[1])...)
		}
		// Feed itself must fail: End alone would also fail for want of messageStop.
		if _, err := Spec.Translator.Stream(chatCall(true)).Feed(transcript); gateway.ErrorCode(err) != gateway.CodeUpstream {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
