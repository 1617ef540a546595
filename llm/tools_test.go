package llm

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/llmgate/llmgate/gateway"
)

func chatBody(members string) string {
	return `{"messages":[{"role":"user","content":"x"}` + members
}

// One malformed tool, tool choice, tool call or response format is refused at decode with
// the field that is wrong, whatever provider the endpoint then uses.
func TestDecodeRefusesMalformedToolsOnce(t *testing.T) {
	call := func(args string) string {
		return chatBody(`,{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":` + args + `}}]}]}`)
	}
	cases := map[string]struct{ body, field string }{
		"arguments not JSON":          {call(`"{\"a\":"`), "messages.1.tool_calls.0"},
		"arguments not an object":     {call(`"[1,2]"`), "messages.1.tool_calls.0"},
		"arguments JSON null":         {call(`"null"`), "messages.1.tool_calls.0"},
		"tool_calls not a list":       {chatBody(`,{"role":"assistant","tool_calls":{"id":"x"}}]}`), "messages.1.tool_calls"},
		"tool call without id":        {chatBody(`,{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f"}}]}]}`), "messages.1.tool_calls.0"},
		"unknown tool_choice":         {chatBody(`],"tool_choice":"sometimes"}`), "tool_choice"},
		"tool_choice without name":    {chatBody(`],"tool_choice":{"type":"function","function":{}}}`), "tool_choice"},
		"tool_choice a number":        {chatBody(`],"tool_choice":42}`), "tool_choice"},
		"non-function tool":           {chatBody(`],"tools":[{"type":"code_interpreter"}]}`), "tools.0"},
		"tools not a list":            {chatBody(`],"tools":{"type":"function"}}`), "tools"},
		"tools empty":                 {chatBody(`],"tools":[]}`), "tools"},
		"function tool without name":  {chatBody(`],"tools":[{"type":"function","function":{"description":"d"}}]}`), "tools.0"},
		"parameters not an object":    {chatBody(`],"tools":[{"type":"function","function":{"name":"f","parameters":"x"}}]}`), "tools.0"},
		"second tool bad":             {chatBody(`],"tools":[{"type":"function","function":{"name":"f"}},{}]}`), "tools.1"},
		"response_format a string":    {chatBody(`],"response_format":"json"}`), "response_format"},
		"response_format unknown":     {chatBody(`],"response_format":{"type":"yaml"}}`), "response_format"},
		"json_schema missing":         {chatBody(`],"response_format":{"type":"json_schema"}}`), "response_format"},
		"json_schema schema a string": {chatBody(`],"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":"s"}}}`), "response_format"},
	}
	for name, c := range cases {
		for _, decode := range []func(gateway.EndpointType, []byte) (*Request, *gateway.Error){Decode, DecodeOpenAI} {
			req, err := decode(gateway.TypeChat, []byte(c.body))
			if err == nil {
				t.Fatalf("%s: accepted %+v", name, req.Chat)
			}
			if err.Code != gateway.CodeUnprocessable || err.Field != c.field || err.Message == "" {
				t.Errorf("%s: %s field %q (%s), want field %q", name, err.Code, err.Field, err.Message, c.field)
			}
		}
	}
}

// An assistant turn with "tool_calls": [] or null is a plain turn: no provider sees calls.
func TestEmptyToolCallsAreAPlainTurn(t *testing.T) {
	for _, calls := range []string{`[]`, `null`} {
		req, err := Decode(gateway.TypeChat, []byte(chatBody(`,{"role":"assistant","content":"ok","tool_calls":`+calls+`}]}`)))
		if err != nil || req.Chat.Messages[1].ToolCalls != nil {
			t.Errorf("%s: %+v %v", calls, req, err)
		}
	}
}

// What a caller sent is what an OpenAI-wire provider forwards, members llmgate does not model
// (strict, a future field) included; typed values read the same JSON.
func TestDecodedToolsEncodeAsSent(t *testing.T) {
	tools := `[{"type":"function","function":{"name":"get_weather","description":"d","parameters":{"type":"object","properties":{"city":{"type":"string"}}},"strict":true,"x_future":1}},{"type":"function","function":{"name":"get_time"}}]`
	calls := `[{"id":"c1","type":"function","function":{"name":"get_time","arguments":"{\"tz\": \"UTC\"}"}},{"id":"c2","type":"function","function":{"name":"get_time","arguments":""}}]`
	format := `{"type":"json_schema","json_schema":{"name":"w","schema":{"type":"object"},"strict":true}}`
	body := chatBody(`,{"role":"assistant","content":null,"tool_calls":` + calls + `},{"role":"tool","tool_call_id":"c1","content":"1"}],"tools":` + tools +
		`,"tool_choice":{"type":"function","function":{"name":"get_time"}},"response_format":` + format + `}`)
	req, derr := Decode(gateway.TypeChat, []byte(body))
	if derr != nil {
		t.Fatal(derr)
	}
	c := req.Chat
	if len(c.Tools) != 2 || c.Tools[0].Name != "get_weather" || c.Tools[0].Description != "d" || c.Tools[0].Strict == nil || !*c.Tools[0].Strict ||
		string(c.Tools[0].Parameters) != `{"type":"object","properties":{"city":{"type":"string"}}}` || c.Tools[1].Parameters != nil {
		t.Fatalf("tools = %+v", c.Tools)
	}
	if c.ToolChoice.Mode != ToolChoiceFunction || c.ToolChoice.Name != "get_time" {
		t.Fatalf("tool_choice = %+v", c.ToolChoice)
	}
	got := c.Messages[1].ToolCalls
	if len(got) != 2 || got[0].ID != "c1" || string(got[0].Arguments) != `{"tz": "UTC"}` || string(got[1].Arguments) != `{}` {
		t.Fatalf("tool_calls = %+v", got)
	}
	if c.ResponseFormat.Type != FormatJSONSchema || c.ResponseFormat.Schema.Name != "w" || string(c.ResponseFormat.Schema.Schema) != `{"type":"object"}` {
		t.Fatalf("response_format = %+v", c.ResponseFormat)
	}
	if len(c.Extra) != 0 {
		t.Fatalf("extra = %v", c.Extra)
	}
	for name, pair := range map[string][2]any{"tools": {c.Tools, tools}, "tool_calls": {got, calls}, "response_format": {c.ResponseFormat, format}} {
		enc, err := json.Marshal(pair[0])
		if err != nil || string(enc) != pair[1].(string) {
			t.Errorf("%s encodes as %s (%v), want %s", name, enc, err, pair[1])
		}
	}
}

// Values built in code (by the Anthropic and Responses surfaces, or a provider rendering an
// answer) encode in OpenAI's form.
func TestBuiltToolsEncodeInOpenAIForm(t *testing.T) {
	strict := true
	cases := map[string]struct {
		v    any
		want string
	}{
		"tool": {Tool{Name: "f", Description: "d", Parameters: json.RawMessage(`{"type":"object"}`), Strict: &strict},
			`{"function":{"description":"d","name":"f","parameters":{"type":"object"},"strict":true},"type":"function"}`},
		"bare tool":      {Tool{Name: "g"}, `{"function":{"name":"g"},"type":"function"}`},
		"auto":           {ToolChoice{Mode: ToolChoiceRequired}, `"required"`},
		"named":          {ToolChoice{Mode: ToolChoiceFunction, Name: "f"}, `{"function":{"name":"f"},"type":"function"}`},
		"call":           {ToolCall{ID: "c", Name: "f", Arguments: json.RawMessage(`{"x": 1}`)}, `{"id":"c","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}}`},
		"call, no args":  {ToolCall{ID: "c", Name: "f"}, `{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}`},
		"json_object":    {ResponseFormat{Type: FormatJSONObject}, `{"type":"json_object"}`},
		"json_schema":    {ResponseFormat{Type: FormatJSONSchema, Schema: &JSONSchema{Name: "n", Schema: json.RawMessage(`{}`)}}, `{"json_schema":{"name":"n","schema":{}},"type":"json_schema"}`},
		"no tool calls":  {mustEncodeCalls(t, nil), `null`},
		"encoded calls":  {mustEncodeCalls(t, []ToolCall{{ID: "c", Name: "f"}}), `[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]`},
		"request tools":  {ChatRequest{Tools: []Tool{{Name: "g"}}, ToolChoice: &ToolChoice{Mode: ToolChoiceNone}}, `{"messages":null,"tools":[{"function":{"name":"g"},"type":"function"}],"tool_choice":"none"}`},
		"request format": {ChatRequest{Params: Params{ResponseFormat: &ResponseFormat{Type: FormatText}}}, `{"messages":null,"response_format":{"type":"text"}}`},
	}
	for name, c := range cases {
		enc, err := json.Marshal(c.v)
		if err != nil || string(enc) != c.want {
			t.Errorf("%s: %s (%v), want %s", name, enc, err, c.want)
		}
	}
}

func mustEncodeCalls(t *testing.T, calls []ToolCall) json.RawMessage {
	t.Helper()
	raw, err := EncodeToolCalls(calls)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestParseToolCallsReadsAnAnswersCalls(t *testing.T) {
	calls, err := ParseToolCalls(json.RawMessage(`[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"x\": 1}"}}]`))
	if err != nil || !reflect.DeepEqual([]string{calls[0].ID, calls[0].Name, string(calls[0].Arguments)}, []string{"c1", "f", `{"x": 1}`}) {
		t.Fatalf("calls = %+v, %v", calls, err)
	}
	if calls, err := ParseToolCalls(nil); calls != nil || err != nil {
		t.Fatalf("absent: %v %v", calls, err)
	}
	if _, err := ParseToolCalls(json.RawMessage(`[{"id":"c"}]`)); err == nil {
		t.Fatal("a call without a name accepted")
	}
}
