package anthropic

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider/providertest"
	"github.com/llmgate/llmgate/transport"
)

func requestBody(t *testing.T, r *llm.ChatRequest) (map[string]any, error) {
	t.Helper()
	c := chatCall(map[string]string{KeyAPIKey: "k"}, llm.Params{})
	c.Req.Chat = r
	return providertest.Body(t, Spec.Translator, c)
}

// A full exchange as an OpenAI client sends it on the second round: the assistant's text and
// two parallel calls, both results, then a follow-up question.
func TestToolRequestMultiTurn(t *testing.T) {
	r := providertest.ToolRequest(t, `"auto"`, providertest.ToolConversation(t, [3]string{"toolu_01A09q90qw90lq917835lq9", "toolu_02B", "toolu_03C"}, "14:06 PST")...)
	got, err := requestBody(t, r)
	if err != nil {
		t.Fatal(err)
	}
	wantMessages := providertest.JSON(t, `[
		{"role":"user","content":[{"type":"text","text":"Weather and time in SF?"}]},
		{"role":"assistant","content":[{"type":"text","text":"Let me check both."},
			{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather","input":{"location":"San Francisco, CA"}},
			{"type":"tool_use","id":"toolu_02B","name":"get_time","input":{}}]},
		{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01A09q90qw90lq917835lq9","content":"15 degrees"},
			{"type":"tool_result","tool_use_id":"toolu_02B","content":"14:05 PST"},
			{"type":"text","text":"And now?"}]},
		{"role":"assistant","content":[{"type":"tool_use","id":"toolu_03C","name":"get_time","input":{}}]},
		{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_03C","content":"14:06 PST"}]}]`)
	wantTools := providertest.JSON(t, `[
		{"name":"get_weather","description":"Get the current weather in a given location",
			"input_schema":{"type":"object","properties":{"location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"}},"required":["location"]}},
		{"name":"get_time","input_schema":{"type":"object","properties":{}}}]`)
	if !reflect.DeepEqual(got["messages"], wantMessages) {
		t.Errorf("messages = %v", got["messages"])
	}
	if !reflect.DeepEqual(got["tools"], wantTools) {
		t.Errorf("tools = %v", got["tools"])
	}
	if !reflect.DeepEqual(got["tool_choice"], map[string]any{"type": "auto"}) || got["system"] != "Be terse." {
		t.Errorf("tool_choice %v system %v", got["tool_choice"], got["system"])
	}
}

func TestToolChoice(t *testing.T) {
	providertest.ToolChoices(t, map[string]string{
		`"auto"`:     `{"type":"auto"}`,
		`"required"`: `{"type":"any"}`,
		`"none"`:     `{"type":"none"}`,
		`{"type":"function","function":{"name":"get_weather"}}`: `{"type":"tool","name":"get_weather"}`,
		``: ``,
	}, func(r *llm.ChatRequest) (any, error) {
		got, err := requestBody(t, r)
		return got["tool_choice"], err
	})
}

func TestToolResultsAreTextOnly(t *testing.T) {
	r := providertest.ToolRequest(t, "", msg("user", "x"), llm.Message{Role: "tool", ToolCallID: "t", Content: json.RawMessage(`[{"type":"image_url","image_url":{"url":"x"}}]`)})
	if _, err := requestBody(t, r); gateway.ErrorCode(err) != gateway.CodeInvalid {
		t.Errorf("err = %v", err)
	}
}

func TestToolResponse(t *testing.T) {
	tests := []struct {
		name, body string
		text       *string
		toolCalls  string
		finish     string
	}{
		{"text and tool_use (docs.anthropic.com tool use example)",
			`{"id":"msg_01Aq9w938a90dw8q","model":"claude-3-5-sonnet-20241022","stop_reason":"tool_use","role":"assistant","type":"message",
			"content":[{"type":"text","text":"I'll check the current weather in San Francisco for you."},
			{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather","input":{"location": "San Francisco, CA", "unit": "celsius"}}],
			"usage":{"input_tokens":384,"output_tokens":87}}`,
			ptr("I'll check the current weather in San Francisco for you."),
			`[{"id":"toolu_01A09q90qw90lq917835lq9","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"San Francisco, CA\",\"unit\":\"celsius\"}"}}]`,
			"tool_calls"},
		{"two tool_use blocks, no text, empty input",
			`{"id":"m","type":"message","role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"location":"Paris"}},
			{"type":"tool_use","id":"toolu_2","name":"get_time","input":{}}],"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":1}}`,
			nil,
			`[{"id":"toolu_1","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}},{"id":"toolu_2","type":"function","function":{"name":"get_time","arguments":"{}"}}]`,
			"tool_calls"},
		{"no tool_use keeps text and no tool_calls",
			`{"id":"m","type":"message","role":"assistant","content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn"}`,
			ptr("Hi"), ``, "stop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Spec.Translator.Response(chatCall(nil, llm.Params{}), []byte(tt.body))
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
	c := chatCall(nil, llm.Params{})
	c.Type = gateway.TypeCompletions
	r, err := Spec.Translator.Response(c, []byte(tests[1].body))
	if err != nil || r.Completion.Choices[0].Text != "" {
		t.Errorf("completions of a tool-only answer: %+v %v", r, err)
	}
}

// Transcript shaped as docs.anthropic.com/en/api/messages-streaming ("streaming request with
// tool use"), with a second tool_use block so ordinals differ from content block indexes.
const toolTranscript = "event: message_start\n" +
	`data: {"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-3-haiku-20240307","stop_sequence":null,"usage":{"input_tokens":472,"output_tokens":2},"content":[],"stop_reason":null}}` + "\n\n" +
	"event: content_block_start\n" + `data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}` + "\n\n" +
	"event: ping\n" + `data: {"type": "ping"}` + "\n\n" +
	"event: content_block_delta\n" + `data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Okay, let's check the weather"}}` + "\n\n" +
	"event: content_block_stop\n" + `data: {"type":"content_block_stop","index":0}` + "\n\n" +
	"event: content_block_start\n" + `data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}` + "\n\n" +
	"event: content_block_delta\n" + `data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}` + "\n\n" +
	"event: content_block_delta\n" + `data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\":"}}` + "\n\n" +
	"event: content_block_delta\n" + `data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" \"San Francisco, CA\"}"}}` + "\n\n" +
	"event: content_block_stop\n" + `data: {"type":"content_block_stop","index":1}` + "\n\n" +
	"event: content_block_start\n" + `data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_02","name":"get_time","input":{}}}` + "\n\n" +
	"event: content_block_delta\n" + `data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{}"}}` + "\n\n" +
	"event: content_block_stop\n" + `data: {"type":"content_block_stop","index":2}` + "\n\n" +
	"event: message_delta\n" + `data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}` + "\n\n" +
	"event: message_stop\n" + `data: {"type":"message_stop"}` + "\n\n"

func TestToolStream(t *testing.T) {
	want := []string{
		`[{"index":0,"id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","type":"function","function":{"name":"get_weather","arguments":""}}]`,
		`[{"index":0,"function":{"arguments":""}}]`,
		`[{"index":0,"function":{"arguments":"{\"location\":"}}]`,
		`[{"index":0,"function":{"arguments":" \"San Francisco, CA\"}"}}]`,
		`[{"index":1,"id":"toolu_02","type":"function","function":{"name":"get_time","arguments":""}}]`,
		`[{"index":1,"function":{"arguments":"{}"}}]`,
	}
	for _, n := range []int{0, 1, 7} {
		chunks, err := providertest.Decode(Spec.Translator.Stream(chatCall(nil, llm.Params{})), toolTranscript, n)
		if err != nil {
			t.Fatalf("piece %d: %v", n, err)
		}
		var text string
		var deltas []string
		var finish string
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
			t.Fatalf("piece %d: text %q finish %q deltas\n%s", n, text, finish, strings.Join(deltas, "\n"))
		}
		if last := chunks[len(chunks)-1]; last.Usage == nil || *last.Usage.TotalTokens != 561 || last.ID != "msg_014p7gG3wDgGV9EUtLvnow3U" {
			t.Fatalf("piece %d: last chunk %+v", n, last)
		}
	}
}

func TestToolStreamFailures(t *testing.T) {
	start := "event: message_start\n" + `data: {"type":"message_start","message":{"id":"m","model":"x","usage":{"input_tokens":1}}}` + "\n\n"
	tests := map[string]string{
		"input for a text block": start +
			"event: content_block_start\n" + `data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}` + "\n\n" +
			"event: content_block_delta\n" + `data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{"}}` + "\n\n",
		"input for a block never started": start +
			"event: content_block_delta\n" + `data: {"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{"}}` + "\n\n",
		"tool_use block started twice": start +
			"event: content_block_start\n" + `data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"a","name":"f"}}` + "\n\n" +
			"event: content_block_start\n" + `data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"b","name":"f"}}` + "\n\n",
	}
	for name, transcript := range tests {
		if _, err := providertest.Decode(Spec.Translator.Stream(chatCall(nil, llm.Params{})), transcript, 3); gateway.ErrorCode(err) != gateway.CodeUpstream {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// TestToolsAgainstFake runs a client's tool loop against the fake upstream, which checks
// tool_use/tool_result pairing as the real API does.
func TestToolsAgainstFake(t *testing.T) {
	ts := httptest.NewServer(fakeupstream.New(fakeupstream.Options{}))
	defer ts.Close()
	config := map[string]string{KeyAPIKey: fakeupstream.DefaultKey("anthropic"), KeyAPIBase: ts.URL + "/v1"}
	send := func(r *llm.ChatRequest) (int, []byte) {
		c := chatCall(config, r.Params)
		c.Req.Chat = r
		hr, err := Spec.Translator.Request(c)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := transport.New(transport.Options{}).Do(context.Background(), hr)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	question := msg("user", "hello world")
	status, body := send(providertest.ToolRequest(t, `"required"`, question))
	r, err := Spec.Translator.Response(chatCall(config, llm.Params{}), body)
	if status != 200 || err != nil {
		t.Fatalf("round 1: %d %s %v", status, body, err)
	}
	var calls []openAIToolCall
	m := r.Chat.Choices[0].Message
	if json.Unmarshal(m.ToolCalls, &calls) != nil || len(calls) != 1 || calls[0].Function.Name != "get_weather" ||
		calls[0].Function.Arguments != `{"text":"hello world"}` || m.Content != nil || *r.Chat.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("round 1: %s", body)
	}

	assistant := llm.Message{Role: "assistant", Content: json.RawMessage(`null`), ToolCalls: providertest.Calls(t, string(m.ToolCalls))}
	result := llm.Message{Role: "tool", ToolCallID: calls[0].ID, Content: llm.StringContent("sunny")}
	status, body = send(providertest.ToolRequest(t, `"auto"`, question, assistant, result))
	r, err = Spec.Translator.Response(chatCall(config, llm.Params{}), body)
	if status != 200 || err != nil || r.Chat.Choices[0].Message.ToolCalls != nil || *r.Chat.Choices[0].FinishReason != "stop" {
		t.Fatalf("round 2: %d %s %v", status, body, err)
	}

	wrongID := llm.Message{Role: "tool", ToolCallID: "toolu_unknown", Content: llm.StringContent("sunny")}
	status, body = send(providertest.ToolRequest(t, `"auto"`, question, assistant, wrongID))
	if e := Spec.Translator.Error(nil, status, nil, body); status != 400 || e.Code != gateway.CodeInvalid || !strings.Contains(e.Message, "tool_result") {
		t.Fatalf("unpaired tool result: %d %s", status, body)
	}

	streamed := providertest.ToolRequest(t, `{"type":"function","function":{"name":"get_time"}}`, question)
	streamed.Stream = true
	_, body = send(streamed)
	chunks, err := providertest.Decode(Spec.Translator.Stream(chatCall(config, llm.Params{})), string(body), 5)
	if err != nil {
		t.Fatal(err)
	}
	var first streamToolCall
	var arguments string
	for _, c := range chunks {
		for _, ch := range c.Choices {
			var deltas []streamToolCall
			if ch.ToolCalls == nil {
				continue
			}
			if err := json.Unmarshal(ch.ToolCalls, &deltas); err != nil || len(deltas) != 1 || deltas[0].Index != 0 {
				t.Fatalf("delta %s", ch.ToolCalls)
			}
			if deltas[0].ID != "" {
				first = deltas[0]
			}
			arguments += deltas[0].Function.Arguments
		}
	}
	if first.Function.Name != "get_time" || !strings.HasPrefix(first.ID, "toolu_") || arguments != `{"text": "hello world"}` {
		t.Fatalf("stream: first %+v arguments %q", first, arguments)
	}
}

// OpenAI's parallel_tool_calls maps onto tool_choice.disable_parallel_tool_use and is never
// forwarded as an unknown top-level field (Anthropic would reject it).
func TestParallelToolCalls(t *testing.T) {
	tests := []struct{ choice, parallel, want string }{
		{``, `false`, `{"type":"auto","disable_parallel_tool_use":true}`},
		{`"required"`, `false`, `{"type":"any","disable_parallel_tool_use":true}`},
		{`{"type":"function","function":{"name":"get_time"}}`, `false`, `{"type":"tool","name":"get_time","disable_parallel_tool_use":true}`},
		{`"none"`, `false`, `{"type":"none"}`},
		{`"auto"`, `true`, `{"type":"auto"}`},
		{``, `true`, ``},
	}
	for _, tt := range tests {
		r := providertest.ToolRequest(t, tt.choice, msg("user", "x"))
		r.Extra = map[string]json.RawMessage{"parallel_tool_calls": json.RawMessage(tt.parallel), "top_k": json.RawMessage(`5`)}
		got, err := requestBody(t, r)
		if err != nil {
			t.Fatalf("%s/%s: %v", tt.choice, tt.parallel, err)
		}
		if _, leaked := got["parallel_tool_calls"]; leaked {
			t.Errorf("%s/%s: parallel_tool_calls forwarded", tt.choice, tt.parallel)
		}
		if got["top_k"] != float64(5) {
			t.Errorf("other extras must still be forwarded: %v", got)
		}
		choice, present := got["tool_choice"]
		if tt.want == "" {
			if present {
				t.Errorf("%s/%s: tool_choice %v sent", tt.choice, tt.parallel, choice)
			}
			continue
		}
		if !reflect.DeepEqual(choice, providertest.JSON(t, tt.want)) {
			t.Errorf("%s/%s: tool_choice = %v, want %s", tt.choice, tt.parallel, choice, tt.want)
		}
	}
	r := providertest.ToolRequest(t, "", msg("user", "x"))
	r.Extra = map[string]json.RawMessage{"parallel_tool_calls": json.RawMessage(`"no"`)}
	if _, err := requestBody(t, r); gateway.ErrorCode(err) != gateway.CodeInvalid {
		t.Fatalf("non-boolean parallel_tool_calls: %v", err)
	}
}

// openAIToolCall decodes one OpenAI tool_calls entry from an answer.
type openAIToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}
