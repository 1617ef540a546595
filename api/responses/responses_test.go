package responses

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
)

func parse(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return v
}

func TestDecode(t *testing.T) {
	body := `{"model":"ep","instructions":"Be brief.","max_output_tokens":50,"temperature":1.5,"top_p":0.5,"stream":true,
	 "store":true,"metadata":{"k":"v"},"parallel_tool_calls":false,
	 "text":{"format":{"type":"json_schema","name":"w","schema":{"type":"object"},"strict":true}},
	 "tools":[{"type":"function","name":"f","parameters":{"type":"object"},"strict":true}],"tool_choice":{"type":"function","name":"f"},
	 "input":[{"role":"developer","content":"Use French."},
	  {"type":"message","role":"user","content":[{"type":"input_text","text":"hi"},{"type":"input_image","image_url":"https://x/y.png"}]},
	  {"type":"reasoning","summary":[]},
	  {"role":"assistant","content":[{"type":"output_text","text":"Calling."}]},
	  {"type":"function_call","call_id":"call_1","name":"f","arguments":"{\"a\":1}"},
	  {"type":"function_call","call_id":"call_2","name":"f","arguments":""},
	  {"type":"function_call_output","call_id":"call_1","output":"one"},
	  {"type":"function_call_output","call_id":"call_2","output":[{"type":"input_text","text":"two"}]}]}`
	req, err := Surface{}.Decode(gateway.TypeChat, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	c := req.Chat
	if *c.MaxTokens != 50 || *c.Temperature != 1.5 || *c.TopP != 0.5 || !c.Stream {
		t.Errorf("params %+v", c.Params)
	}
	msgs, _ := json.Marshal(c.Messages)
	want := `[{"role":"system","content":"Be brief."},{"role":"system","content":"Use French."},
	 {"role":"user","content":[{"text":"hi","type":"text"},{"image_url":{"url":"https://x/y.png"},"type":"image_url"}]},
	 {"role":"assistant","content":"Calling.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}},{"id":"call_2","type":"function","function":{"name":"f","arguments":"{}"}}]},
	 {"role":"tool","content":"one","tool_call_id":"call_1"},{"role":"tool","content":"two","tool_call_id":"call_2"}]`
	if !reflect.DeepEqual(parse(t, string(msgs)), parse(t, want)) {
		t.Errorf("messages %s", msgs)
	}
	tools, _ := json.Marshal(c.Tools)
	choice, _ := json.Marshal(c.ToolChoice)
	format, _ := json.Marshal(c.ResponseFormat)
	if !reflect.DeepEqual(parse(t, string(tools)), parse(t, `[{"type":"function","function":{"name":"f","parameters":{"type":"object"},"strict":true}}]`)) ||
		!reflect.DeepEqual(parse(t, string(choice)), parse(t, `{"type":"function","function":{"name":"f"}}`)) {
		t.Errorf("tools %s / %s", tools, choice)
	}
	if !reflect.DeepEqual(parse(t, string(format)), parse(t, `{"type":"json_schema","json_schema":{"name":"w","schema":{"type":"object"},"strict":true}}`)) {
		t.Errorf("response_format %s", format)
	}
	if string(c.Extra["parallel_tool_calls"]) != "false" || len(c.Extra) != 1 {
		t.Errorf("extra %v (metadata and store are not forwarded)", c.Extra)
	}
}

func TestDecodeRejects(t *testing.T) {
	for body, field := range map[string]string{
		`{"input":"x","previous_response_id":"resp_1"}`: "previous_response_id",
		`{"input":"x","conversation":"conv_1"}`:         "conversation",
		`{"input":"x","background":true}`:               "background",
		`{}`:                                            "input",
		`{"input":[]}`:                                  "input",
		`{"input":5}`:                                   "input",
		`{"input":"x","max_output_tokens":0}`:           "max_output_tokens",
		`{"input":"x","max_output_tokens":"5"}`:         "max_output_tokens",
		`{"input":"x","temperature":2.5}`:               "temperature",
		`{"input":[{"role":"tool","content":"x"}]}`:     "input[0].role",
		`{"input":[{"role":"user","content":[{"type":"input_file","file_id":"f"}]}]}`:     "input[0].content[0]",
		`{"input":[{"type":"item_reference","id":"x"}]}`:                                  "input[0].type",
		`{"input":[{"type":"function_call","call_id":"c","name":"f","arguments":"[1]"}]}`: "input[0].arguments",
		`{"input":[{"type":"function_call_output","output":"x"}]}`:                        "input[0].call_id",
		`{"input":"x","tools":[{"type":"file_search"}]}`:                                  "tools[0].type",
		`{"input":"x","tool_choice":"sometimes"}`:                                         "tool_choice",
		`{"input":"x","text":{"format":{"type":"yaml"}}}`:                                 "text.format.type",
	} {
		_, err := decodeRequest([]byte(body))
		if err == nil || err.Code != gateway.CodeInvalid || err.Field != field || (Surface{}).ErrorStatus(err) != 400 {
			t.Errorf("%s: %+v", body, err)
		}
	}
}

func TestWriteResponse(t *testing.T) {
	text, finish := "Hi", "length"
	rec := httptest.NewRecorder()
	Surface{}.WriteResponse(rec, &llm.Response{Chat: &llm.ChatResponse{Model: "gpt-4o", Usage: llm.NewUsage(2, 3),
		Choices: []llm.ChatChoice{{Message: llm.ResponseMessage{Role: "assistant", Content: &text,
			ToolCalls: json.RawMessage(`[{"id":"call_9","type":"function","function":{"name":"f","arguments":"{}"}}]`)}, FinishReason: &finish}}}})
	var r map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &r)
	out := r["output"].([]any)
	if r["object"] != "response" || !strings.HasPrefix(r["id"].(string), "resp_") || r["status"] != "incomplete" ||
		!reflect.DeepEqual(r["incomplete_details"], map[string]any{"reason": "max_output_tokens"}) || r["store"] != false || len(out) != 2 {
		t.Fatalf("%s", rec.Body)
	}
	msg, call := out[0].(map[string]any), out[1].(map[string]any)
	if msg["type"] != "message" || msg["content"].([]any)[0].(map[string]any)["text"] != "Hi" ||
		call["type"] != "function_call" || call["call_id"] != "call_9" || call["id"] != "fc_9" || call["arguments"] != "{}" {
		t.Errorf("output %v", out)
	}
	if u := r["usage"].(map[string]any); u["input_tokens"] != 2.0 || u["output_tokens"] != 3.0 || u["total_tokens"] != 5.0 {
		t.Errorf("usage %v", u)
	}
}

func eventTypes(t *testing.T, out string) ([]string, []map[string]any) {
	t.Helper()
	var types []string
	var evs []map[string]any
	for i, frame := range strings.Split(strings.TrimSuffix(out, "\n\n"), "\n\n") {
		name, data, _ := strings.Cut(frame, "\n")
		ev := parse(t, strings.TrimPrefix(data, "data: ")).(map[string]any)
		if "event: "+ev["type"].(string) != name || ev["sequence_number"] != float64(i) {
			t.Fatalf("frame %d %q", i, frame)
		}
		types, evs = append(types, ev["type"].(string)), append(evs, ev)
	}
	return types, evs
}

func TestStreamEncoder(t *testing.T) {
	enc := Surface{}.NewStreamEncoder(nil)
	var out []byte
	add := func(ch llm.ChunkChoice, u *llm.Usage) {
		out = enc.AppendChunk(out, gateway.TypeChat, &llm.Chunk{Model: "m", Choices: []llm.ChunkChoice{ch}, Usage: u}, false)
	}
	add(llm.ChunkChoice{Role: "assistant"}, nil)
	add(llm.ChunkChoice{Content: "Hel"}, nil)
	add(llm.ChunkChoice{Content: "lo"}, nil)
	add(llm.ChunkChoice{ToolCalls: json.RawMessage(`[{"index":0,"id":"call_a","function":{"name":"f","arguments":"{\"x\""}}]`)}, nil)
	add(llm.ChunkChoice{ToolCalls: json.RawMessage(`[{"index":0,"function":{"arguments":":1}"}}]`)}, nil)
	u := llm.NewUsage(4, 5)
	add(llm.ChunkChoice{FinishReason: "tool_calls"}, &u)
	out = enc.AppendEnd(out)
	types, evs := eventTypes(t, string(out))
	want := []string{"response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
		"response.output_text.delta", "response.output_text.delta", "response.output_text.done", "response.content_part.done",
		"response.output_item.done", "response.output_item.added", "response.function_call_arguments.delta",
		"response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done", "response.completed"}
	if !reflect.DeepEqual(types, want) {
		t.Fatalf("events\n got %v\nwant %v", types, want)
	}
	if evs[6]["text"] != "Hello" || evs[12]["arguments"] != `{"x":1}` || evs[12]["output_index"] != 1.0 {
		t.Errorf("done events %v %v", evs[6], evs[12])
	}
	final := evs[14]["response"].(map[string]any)
	if final["status"] != "completed" || len(final["output"].([]any)) != 2 || final["usage"].(map[string]any)["total_tokens"] != 9.0 {
		t.Errorf("final %v", final)
	}
	types, evs = eventTypes(t, string(Surface{}.NewStreamEncoder(nil).AppendStreamError(nil, gateway.Errorf(gateway.CodeUpstream, "gone"))))
	if !reflect.DeepEqual(types[2:], []string{"error", "response.failed"}) || evs[3]["response"].(map[string]any)["status"] != "failed" {
		t.Errorf("broken stream %v", types)
	}
}
