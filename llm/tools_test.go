package llm

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestParseTools(t *testing.T) {
	tools, err := ParseTools(json.RawMessage(`[{"type":"function","function":{"name":"a","description":"d","parameters":{"type":"object"}}},{"type":"function","function":{"name":"b","parameters":null}}]`))
	if err != nil || len(tools) != 2 || tools[0].Name != "a" || string(tools[0].Parameters) != `{"type":"object"}` || tools[1].Parameters != nil {
		t.Fatalf("tools = %+v, %v", tools, err)
	}
	for _, bad := range []string{`{}`, `[{"type":"retrieval"}]`, `[{"type":"function","function":{}}]`, `"x"`} {
		if _, err := ParseTools(json.RawMessage(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestParseToolChoice(t *testing.T) {
	cases := map[string]ToolChoice{
		`"auto"`: {Mode: "auto"}, `"required"`: {Mode: "required"}, `"none"`: {Mode: "none"},
		`{"type":"function","function":{"name":"f"}}`: {Mode: "function", Name: "f"},
	}
	for raw, want := range cases {
		if got, err := ParseToolChoice(json.RawMessage(raw)); err != nil || got != want {
			t.Errorf("%s: %+v, %v", raw, got, err)
		}
	}
	for _, bad := range []string{`"any"`, `{"type":"function"}`, `3`} {
		if _, err := ParseToolChoice(json.RawMessage(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestParseAndEncodeToolCalls(t *testing.T) {
	raw := json.RawMessage(`[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"x\": 1}"}},{"id":"c2","type":"function","function":{"name":"g","arguments":""}}]`)
	calls, err := ParseToolCalls(raw)
	if err != nil || len(calls) != 2 || string(calls[0].Arguments) != `{"x": 1}` || string(calls[1].Arguments) != `{}` {
		t.Fatalf("calls = %+v, %v", calls, err)
	}
	for _, bad := range []string{`{}`, `[{"id":"","function":{"name":"f"}}]`, `[{"id":"c","function":{"name":"f","arguments":"[1]"}}]`} {
		if _, err := ParseToolCalls(json.RawMessage(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	out, err := EncodeToolCalls(calls)
	var back []map[string]any
	if err != nil || json.Unmarshal(out, &back) != nil {
		t.Fatalf("encode: %s, %v", out, err)
	}
	want := []map[string]any{
		{"id": "c1", "type": "function", "function": map[string]any{"name": "f", "arguments": `{"x":1}`}},
		{"id": "c2", "type": "function", "function": map[string]any{"name": "g", "arguments": `{}`}},
	}
	if !reflect.DeepEqual(back, want) {
		t.Fatalf("encoded %s", out)
	}
	if out, err := EncodeToolCalls(nil); out != nil || err != nil {
		t.Fatalf("no calls must encode to nil: %s %v", out, err)
	}
}
