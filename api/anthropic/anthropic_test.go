package anthropic

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
)

func jsonOf(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func parse(t *testing.T, s string) any {
	t.Helper()
	var out any
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return out
}

// A tool loop as the Anthropic SDK sends it: system blocks, a user turn, the assistant's
// text + tool_use, then tool_result blocks with more text in the same user turn.
func TestDecodeToolLoop(t *testing.T) {
	body := `{"model":"ep","max_tokens":100,"temperature":0.5,"top_p":0.9,"top_k":7,"stop_sequences":["END"],"stream":true,
	 "metadata":{"user_id":"u1"},"thinking":{"type":"enabled","budget_tokens":1024},
	 "system":[{"type":"text","text":"Be terse."},{"type":"text","text":"Use French.","cache_control":{"type":"ephemeral"}}],
	 "tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],
	 "tool_choice":{"type":"any","disable_parallel_tool_use":true},
	 "messages":[
	  {"role":"user","content":"Weather in Paris?"},
	  {"role":"system","content":[{"type":"text","text":"Be kind."}]},
	  {"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"s"},{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},
	  {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"sunny"}]},{"type":"text","text":"Thanks"},
	    {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR"}}]}]}`
	req, err := Surface{}.Decode(gateway.TypeChat, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	c := req.Chat
	if *c.MaxTokens != 100 || *c.Temperature != 1.0 || *c.TopP != 0.9 || !c.Stream || !reflect.DeepEqual(c.Stop, []string{"END"}) {
		t.Errorf("params %+v", c.Params)
	}
	if string(c.Extra["top_k"]) != "7" || string(c.Extra["parallel_tool_calls"]) != "false" || len(c.Extra) != 2 {
		t.Errorf("extra %v (metadata and thinking are not forwarded)", c.Extra)
	}
	want := parse(t, `[
	 {"role":"system","content":"Be terse.\nUse French."},
	 {"role":"user","content":"Weather in Paris?"},
	 {"role":"system","content":"Be kind."},
	 {"role":"assistant","content":"Checking.","tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
	 {"role":"tool","content":"sunny","tool_call_id":"toolu_1"},
	 {"role":"user","content":[{"type":"text","text":"Thanks"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBOR"}}]}]`)
	if got := jsonOf(t, c.Messages); !reflect.DeepEqual(got, want) {
		t.Errorf("messages\n got %s", mustJSON(got))
	}
	if !reflect.DeepEqual(jsonOf(t, c.ToolChoice), "required") ||
		!reflect.DeepEqual(jsonOf(t, c.Tools), parse(t, `[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]`)) {
		t.Errorf("tools %s choice %s", mustJSON(c.Tools), mustJSON(c.ToolChoice))
	}
	// What an OpenAI-wire provider sends on is a request llm.Decode accepts.
	var again []llm.Tool
	if err := json.Unmarshal([]byte(mustJSON(c.Tools)), &again); err != nil || !reflect.DeepEqual(again[0].Parameters, c.Tools[0].Parameters) {
		t.Error(err)
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestDecodeToolChoices(t *testing.T) {
	for in, want := range map[string]string{
		`{"type":"auto"}`: `"auto"`, `{"type":"none"}`: `"none"`,
		`{"type":"tool","name":"f"}`: `{"type":"function","function":{"name":"f"}}`,
	} {
		body := `{"max_tokens":5,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":` + in + `}`
		req, err := decodeRequest([]byte(body))
		if err != nil || !reflect.DeepEqual(jsonOf(t, req.Chat.ToolChoice), parse(t, want)) {
			t.Errorf("%s: %s %v", in, mustJSON(req.Chat.ToolChoice), err)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := map[string]struct{ body, field string }{
		"not an object":        {`[1]`, ""},
		"no max_tokens":        {`{"messages":[{"role":"user","content":"x"}]}`, "max_tokens"},
		"max_tokens string":    {`{"max_tokens":"5","messages":[{"role":"user","content":"x"}]}`, "max_tokens"},
		"max_tokens 0":         {`{"max_tokens":0,"messages":[{"role":"user","content":"x"}]}`, "max_tokens"},
		"max_tokens too big":   {`{"max_tokens":1000001,"messages":[{"role":"user","content":"x"}]}`, "max_tokens"},
		"too many messages":    {`{"max_tokens":5,"messages":[` + strings.Repeat(`{"role":"user","content":"x"},`, llm.MaxMessages) + `{"role":"user","content":"x"}]}`, "messages"},
		"no messages":          {`{"max_tokens":5}`, "messages"},
		"empty messages":       {`{"max_tokens":5,"messages":[]}`, "messages"},
		"temperature 1.5":      {`{"max_tokens":5,"temperature":1.5,"messages":[{"role":"user","content":"x"}]}`, "temperature"},
		"tool role":            {`{"max_tokens":5,"messages":[{"role":"tool","content":"x"}]}`, "messages.0.role"},
		"system image":         {`{"max_tokens":5,"messages":[{"role":"system","content":[{"type":"image","source":{"type":"url","url":"u"}}]}]}`, "messages.0.content.0.type"},
		"content number":       {`{"max_tokens":5,"messages":[{"role":"user","content":5}]}`, "messages.0.content"},
		"document block":       {`{"max_tokens":5,"messages":[{"role":"user","content":[{"type":"document","source":{}}]}]}`, "messages.0.content.0.type"},
		"tool_use input array": {`{"max_tokens":5,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"f","input":[1]}]}]}`, "messages.0.content.0.input"},
		"tool_result no id":    {`{"max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","content":"x"}]}]}`, "messages.0.content.0.tool_use_id"},
		"server tool":          {`{"max_tokens":5,"messages":[{"role":"user","content":"x"}],"tools":[{"type":"web_search_20250305","name":"web_search"}]}`, "tools.0.type"},
		"tool without schema":  {`{"max_tokens":5,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f"}]}`, "tools.0"},
		"bad tool_choice":      {`{"max_tokens":5,"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"sometimes"}}`, "tool_choice.type"},
		"image without source": {`{"max_tokens":5,"messages":[{"role":"user","content":[{"type":"image"}]}]}`, "messages.0.content.0.source"},
	}
	for name, tt := range tests {
		_, err := Surface{}.Decode(gateway.TypeChat, []byte(tt.body))
		if err == nil || err.Code != gateway.CodeInvalid || err.Field != tt.field || status(err) != 400 {
			t.Errorf("%s: %+v", name, err)
		}
	}
	if _, err := (Surface{}).Decode(gateway.TypeEmbeddings, []byte(`{}`)); err == nil || err.Code != gateway.CodeInvalid {
		t.Errorf("embeddings endpoint: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestWriteResponse(t *testing.T) {
	calls := `[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}}]`
	tests := []struct {
		name string
		in   *llm.ChatResponse
		want string
	}{
		{"text, end_turn", &llm.ChatResponse{ID: "chatcmpl-1", Model: "gpt-4o", Usage: llm.NewUsage(3, 4),
			Choices: []llm.ChatChoice{{Message: llm.ResponseMessage{Role: "assistant", Content: ptr("Hi")}, FinishReason: ptr("stop")}}},
			`{"id":"msg_chatcmpl-1","type":"message","role":"assistant","model":"gpt-4o","content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":4}}`},
		{"tool call only, tool_use", &llm.ChatResponse{ID: "msg_x", Model: "m",
			Choices: []llm.ChatChoice{{Message: llm.ResponseMessage{Role: "assistant", ToolCalls: json.RawMessage(calls)}, FinishReason: ptr("tool_calls")}}},
			`{"id":"msg_x","type":"message","role":"assistant","model":"m","content":[{"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}`},
		{"length, empty text kept", &llm.ChatResponse{ID: "c", Model: "m", Usage: llm.NewUsage(1, 1),
			Choices: []llm.ChatChoice{{Message: llm.ResponseMessage{Role: "assistant", Content: ptr("")}, FinishReason: ptr("length")}}},
			`{"id":"msg_c","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":""}],"stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}`},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		Surface{}.WriteResponse(rec, &llm.Response{Chat: tt.in})
		if rec.Code != 200 || !reflect.DeepEqual(parse(t, rec.Body.String()), parse(t, tt.want)) {
			t.Errorf("%s: %d %s", tt.name, rec.Code, rec.Body)
		}
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		err    *gateway.Error
		status int
		typ    string
	}{
		{gateway.Errorf(gateway.CodeInvalid, "bad"), 400, "invalid_request_error"},
		{gateway.Errorf(gateway.CodeUnauthenticated, "who"), 401, "authentication_error"},
		{gateway.Errorf(gateway.CodeForbidden, "no"), 403, "permission_error"},
		{gateway.Errorf(gateway.CodeNotFound, "none"), 404, "not_found_error"},
		{gateway.Errorf(gateway.CodeTooLarge, "big"), 413, "request_too_large"},
		{&gateway.Error{Code: gateway.CodeRateLimited, Message: "slow down"}, 429, "rate_limit_error"},
		{gateway.Errorf(gateway.CodeUpstream, "broke"), 502, "api_error"},
		{gateway.Errorf(gateway.CodeUnavailable, "busy"), 503, "overloaded_error"},
		{gateway.Errorf(gateway.CodeTimeout, "late"), 504, "api_error"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		s := Surface{}
		s.WriteError(rec, s.ErrorStatus(tt.err), tt.err)
		want := map[string]any{"type": "error", "error": map[string]any{"type": tt.typ, "message": tt.err.Message}}
		if rec.Code != tt.status || !reflect.DeepEqual(parse(t, rec.Body.String()), any(want)) {
			t.Errorf("%s: %d %s", tt.err.Code, rec.Code, rec.Body)
		}
		if tt.status == 429 && rec.Header().Get("Retry-After") != "1" {
			t.Errorf("429 without Retry-After")
		}
	}
}

// events splits SSE output into (event name, data) pairs, checking each name matches its
// data's type as Anthropic's stream does.
func events(t *testing.T, out string) []map[string]any {
	t.Helper()
	var evs []map[string]any
	for _, frame := range strings.Split(strings.TrimSuffix(out, "\n\n"), "\n\n") {
		name, data, ok := strings.Cut(frame, "\n")
		if !ok || !strings.HasPrefix(name, "event: ") || !strings.HasPrefix(data, "data: ") {
			t.Fatalf("frame %q", frame)
		}
		ev := parse(t, strings.TrimPrefix(data, "data: ")).(map[string]any)
		if ev["type"] != strings.TrimPrefix(name, "event: ") {
			t.Fatalf("event %q carries type %v", name, ev["type"])
		}
		evs = append(evs, ev)
	}
	return evs
}

func types(evs []map[string]any) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e["type"].(string)
		if d, ok := e["delta"].(map[string]any); ok && d["type"] != nil {
			out[i] += "/" + d["type"].(string)
		}
	}
	return out
}

// Text, then two tool calls (as OpenAI streams them), then the finish chunk carrying usage:
// blocks numbered 0,1,2, each opened and closed once, message_delta last with the totals.
func TestStreamEncoder(t *testing.T) {
	enc := Surface{}.NewStreamEncoder(nil)
	var out []byte
	chunk := func(ch llm.ChunkChoice, u *llm.Usage) {
		out = enc.AppendChunk(out, gateway.TypeChat, &llm.Chunk{ID: "chatcmpl-9", Model: "gpt-4o", Choices: []llm.ChunkChoice{ch}, Usage: u}, false)
	}
	chunk(llm.ChunkChoice{Role: "assistant"}, nil)
	chunk(llm.ChunkChoice{Content: "Let me "}, nil)
	chunk(llm.ChunkChoice{Content: "check."}, nil)
	chunk(llm.ChunkChoice{ToolCalls: json.RawMessage(`[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":""}}]`)}, nil)
	chunk(llm.ChunkChoice{ToolCalls: json.RawMessage(`[{"index":0,"function":{"arguments":"{\"x\":"}}]`)}, nil)
	chunk(llm.ChunkChoice{ToolCalls: json.RawMessage(`[{"index":1,"id":"call_b","type":"function","function":{"name":"g","arguments":"{}"}}]`)}, nil)
	chunk(llm.ChunkChoice{ToolCalls: json.RawMessage(`[{"index":0,"function":{"arguments":"1}"}}]`)}, nil)
	u := llm.NewUsage(11, 22)
	chunk(llm.ChunkChoice{FinishReason: "tool_calls"}, &u)
	out = enc.AppendEnd(out)
	evs := events(t, string(out))
	want := []string{"message_start", "content_block_start", "content_block_delta/text_delta", "content_block_delta/text_delta",
		"content_block_stop", "content_block_start", "content_block_delta/input_json_delta", "content_block_stop",
		"content_block_start", "content_block_delta/input_json_delta", "content_block_delta/input_json_delta",
		"content_block_stop", "message_delta", "message_stop"}
	if got := types(evs); !reflect.DeepEqual(got, want) {
		t.Fatalf("events\n got %v\nwant %v", got, want)
	}
	if m := evs[0]["message"].(map[string]any); m["id"] != "msg_chatcmpl-9" || m["model"] != "gpt-4o" || m["role"] != "assistant" {
		t.Errorf("message_start %v", m)
	}
	if cb := evs[5]["content_block"].(map[string]any); cb["id"] != "call_a" || cb["name"] != "f" || evs[5]["index"] != 1.0 {
		t.Errorf("first tool block %v", evs[5])
	}
	if evs[10]["index"] != 1.0 || evs[9]["index"] != 2.0 {
		t.Errorf("late arguments of call 0 go to block 1: %v %v", evs[9], evs[10])
	}
	md := evs[12]
	if !reflect.DeepEqual(md["delta"], map[string]any{"stop_reason": "tool_use", "stop_sequence": nil}) ||
		!reflect.DeepEqual(md["usage"], map[string]any{"input_tokens": 11.0, "output_tokens": 22.0}) {
		t.Errorf("message_delta %v", md)
	}
	// Each stream has its own numbering.
	second := events(t, string(Surface{}.NewStreamEncoder(nil).AppendChunk(nil, gateway.TypeChat, &llm.Chunk{Choices: []llm.ChunkChoice{{Content: "x"}}}, false)))
	if second[1]["index"] != 0.0 {
		t.Errorf("second stream starts at block %v", second[1]["index"])
	}
}

func TestStreamEmptyAndBroken(t *testing.T) {
	evs := events(t, string(Surface{}.NewStreamEncoder(nil).AppendEnd(nil)))
	if got := types(evs); !reflect.DeepEqual(got, []string{"message_start", "message_delta", "message_stop"}) {
		t.Errorf("empty stream %v", got)
	}
	if evs[1]["delta"].(map[string]any)["stop_reason"] != "end_turn" {
		t.Errorf("stop %v", evs[1])
	}
	enc := Surface{}.NewStreamEncoder(nil)
	out := enc.AppendStreamError(nil, gateway.Errorf(gateway.CodeUpstream, "upstream stream ended"))
	evs = events(t, string(out))
	if !reflect.DeepEqual(evs[0], map[string]any{"type": "error", "error": map[string]any{"type": "api_error", "message": "upstream stream ended"}}) {
		t.Errorf("error event %v", evs[0])
	}
}

func TestModelPages(t *testing.T) {
	var eps []*gateway.Endpoint
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		eps = append(eps, &gateway.Endpoint{Name: n})
	}
	names := func(p []*gateway.Endpoint) string {
		var s string
		for _, e := range p {
			s += e.Name
		}
		return s
	}
	tests := []struct {
		after, before string
		limit         int
		want          string
		more          bool
	}{
		{"", "", 2, "ab", true}, {"b", "", 2, "cd", true}, {"c", "", 2, "de", false}, {"e", "", 2, "", false},
		{"", "e", 2, "cd", true}, {"", "b", 2, "a", false}, {"zz", "", 2, "", false}, {"", "", 20, "abcde", false},
	}
	for _, tt := range tests {
		p, more := pageOf(eps, tt.after, tt.before, tt.limit)
		if names(p) != tt.want || more != tt.more {
			t.Errorf("after %q before %q limit %d: %q %v", tt.after, tt.before, tt.limit, names(p), more)
		}
	}
}
