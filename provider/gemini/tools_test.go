package gemini

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider/providertest"
)

func requestBody(t *testing.T, r *llm.ChatRequest) (map[string]any, error) {
	t.Helper()
	return providertest.Body(t, Spec.Translator, chatCall(r))
}

// A second-round exchange as an OpenAI client sends it: text plus two parallel calls, both
// results, a follow-up question, then a call-only turn and its result.
func TestToolRequestMultiTurn(t *testing.T) {
	r := providertest.ToolRequest(t, `"auto"`, providertest.ToolConversation(t, [3]string{"call_a", "call_b", "call_c"}, "14:06 PST")...)
	got, err := requestBody(t, r)
	if err != nil {
		t.Fatal(err)
	}
	wantContents := providertest.JSON(t, `[
		{"role":"user","parts":[{"text":"Weather and time in SF?"}]},
		{"role":"model","parts":[{"text":"Let me check both."},
			{"functionCall":{"name":"get_weather","args":{"location":"San Francisco, CA"}}},
			{"functionCall":{"name":"get_time","args":{}}}]},
		{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"content":"15 degrees"}}},
			{"functionResponse":{"name":"get_time","response":{"content":"14:05 PST"}}},
			{"text":"And now?"}]},
		{"role":"model","parts":[{"functionCall":{"name":"get_time","args":{}}}]},
		{"role":"user","parts":[{"functionResponse":{"name":"get_time","response":{"content":"14:06 PST"}}}]}]`)
	wantTools := providertest.JSON(t, `[{"functionDeclarations":[
		{"name":"get_weather","description":"Get the current weather in a given location",
			"parameters":{"type":"object","properties":{"location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"}},"required":["location"]}},
		{"name":"get_time"}]}]`)
	if !reflect.DeepEqual(got["contents"], wantContents) {
		t.Errorf("contents = %v", got["contents"])
	}
	if !reflect.DeepEqual(got["tools"], wantTools) {
		t.Errorf("tools = %v", got["tools"])
	}
	if !reflect.DeepEqual(got["toolConfig"], providertest.JSON(t, `{"functionCallingConfig":{"mode":"AUTO"}}`)) {
		t.Errorf("toolConfig = %v", got["toolConfig"])
	}
	if !reflect.DeepEqual(got["systemInstruction"], providertest.JSON(t, `{"parts":[{"text":"Be terse."}]}`)) {
		t.Errorf("systemInstruction = %v", got["systemInstruction"])
	}
}

func TestToolChoice(t *testing.T) {
	providertest.ToolChoices(t, map[string]string{
		`"auto"`:     `{"functionCallingConfig":{"mode":"AUTO"}}`,
		`"required"`: `{"functionCallingConfig":{"mode":"ANY"}}`,
		`"none"`:     `{"functionCallingConfig":{"mode":"NONE"}}`,
		`{"type":"function","function":{"name":"get_weather"}}`: `{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["get_weather"]}}`,
		``: ``,
	}, func(r *llm.ChatRequest) (any, error) {
		got, err := requestBody(t, r)
		return got["toolConfig"], err
	})
}

func TestToolRequestRejects(t *testing.T) {
	answered := llm.Message{Role: "assistant", ToolCalls: providertest.Calls(t, `[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]`)}
	tests := map[string]*llm.ChatRequest{
		"tool_calls on a user turn": providertest.ToolRequest(t, "", llm.Message{Role: "user", Content: llm.StringContent("x"), ToolCalls: providertest.Calls(t, `[{"id":"c","type":"function","function":{"name":"f"}}]`)}),
		"result for an unknown id":  providertest.ToolRequest(t, "", msg("user", "x"), answered, llm.Message{Role: "tool", ToolCallID: "call_9", Content: llm.StringContent("1")}),
		"result before its call":    providertest.ToolRequest(t, "", msg("user", "x"), llm.Message{Role: "tool", ToolCallID: "call_1", Content: llm.StringContent("1")}, answered),
		"tool result not text":      providertest.ToolRequest(t, "", msg("user", "x"), answered, llm.Message{Role: "tool", ToolCallID: "call_1", Content: json.RawMessage(`[{"type":"image_url","image_url":{"url":"x"}}]`)}),
	}
	for name, r := range tests {
		_, err := requestBody(t, r)
		if gateway.ErrorCode(err) != gateway.CodeInvalid || !strings.Contains(gateway.ErrorMessage(err), `"gemini"`) {
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
		{"one functionCall with a thought signature (ai.google.dev function calling)",
			`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"schedule_meeting","args":{"attendees":["Bob","Alice"],"date":"2025-03-27","time":"10:00","topic":"Q3 planning"}},"thoughtSignature":"CiQBVKhc7sGk"}],"role":"model"},"finishReason":"STOP","index":0}],
			"usageMetadata":{"promptTokenCount":104,"candidatesTokenCount":31,"totalTokenCount":135},"modelVersion":"gemini-2.5-flash","responseId":"r-9"}`,
			nil,
			`[{"id":"call_0","type":"function","function":{"name":"schedule_meeting","arguments":"{\"attendees\":[\"Bob\",\"Alice\"],\"date\":\"2025-03-27\",\"time\":\"10:00\",\"topic\":\"Q3 planning\"}"}}]`,
			"tool_calls"},
		{"text then two parallel calls, one without args",
			`{"candidates":[{"content":{"parts":[{"text":"Checking "},{"text":"both."},{"functionCall":{"name":"get_weather","args":{"location":"Paris"}}},{"functionCall":{"name":"get_time"}}],"role":"model"},"finishReason":"STOP","index":0}],"modelVersion":"gemini-2.0-flash"}`,
			ptr("Checking both."),
			`[{"id":"call_0","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}},{"id":"call_1","type":"function","function":{"name":"get_time","arguments":"{}"}}]`,
			"tool_calls"},
		{"call cut by MAX_TOKENS keeps length",
			`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"get_time","args":{}}}],"role":"model"},"finishReason":"MAX_TOKENS","index":0}]}`,
			nil, `[{"id":"call_0","type":"function","function":{"name":"get_time","arguments":"{}"}}]`, "length"},
		{"no functionCall keeps text and stop",
			`{"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"},"finishReason":"STOP","index":0}]}`,
			ptr("Hi"), ``, "stop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Spec.Translator.Response(chatCall(&llm.ChatRequest{}), []byte(tt.body))
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
}

// Shaped as streamGenerateContent?alt=sse with function calling: Gemini sends each
// functionCall whole; here text, then one call, then a second call with the finishReason.
const toolStreamTranscript = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Let me look.\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 40,\"totalTokenCount\": 40},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"r-t\"}\r\n\r\n" +
	"data: {\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"name\": \"get_weather\",\"args\": {\"location\": \"Boston, MA\"}},\"thoughtSignature\": \"CiIBVKhc\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 40,\"totalTokenCount\": 40},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"r-t\"}\r\n\r\n" +
	"data: {\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"name\": \"get_time\",\"args\": {}}}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 40,\"candidatesTokenCount\": 22,\"totalTokenCount\": 62},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"r-t\"}\r\n\r\n"

func TestToolStream(t *testing.T) {
	want := []string{
		`[{"index":0,"id":"call_0","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Boston, MA\"}"}}]`,
		`[{"index":1,"id":"call_1","type":"function","function":{"name":"get_time","arguments":"{}"}}]`,
	}
	for _, n := range []int{0, 1} {
		chunks, err := providertest.Decode(Spec.Translator.Stream(chatCall(&llm.ChatRequest{Params: llm.Params{Stream: true}})), toolStreamTranscript, n)
		if err != nil {
			t.Fatalf("split %d: %v", n, err)
		}
		if len(chunks) != 3 {
			t.Fatalf("split %d: %d chunks", n, len(chunks))
		}
		var text string
		var deltas []string
		for _, c := range chunks {
			text += c.Choices[0].Content
			if c.Choices[0].ToolCalls != nil {
				deltas = append(deltas, string(c.Choices[0].ToolCalls))
			}
		}
		if text != "Let me look." || !reflect.DeepEqual(deltas, want) {
			t.Fatalf("split %d: text %q deltas\n%s", n, text, strings.Join(deltas, "\n"))
		}
		last := chunks[2]
		if chunks[1].Choices[0].FinishReason != "" || last.Choices[0].FinishReason != "tool_calls" || last.Usage == nil {
			t.Fatalf("split %d: finish/usage wrong: %+v", n, chunks)
		}
		assertUsage(t, *last.Usage, []int64{40, 22, 62})
	}
}

func TestStreamTextOnlyStopStaysStop(t *testing.T) {
	chunks, err := providertest.Decode(Spec.Translator.Stream(chatCall(&llm.ChatRequest{})), streamTranscript, 0)
	if err != nil || chunks[len(chunks)-1].Choices[0].FinishReason != "stop" {
		t.Fatalf("%+v %v", chunks, err)
	}
}

// Whatever body passes llm.Decode, the translator answers it without panicking.
func FuzzToolRequestNeverPanics(f *testing.F) {
	f.Add([]byte(`[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]`), "c", []byte(providertest.WeatherTools), []byte(`"auto"`))
	f.Fuzz(func(t *testing.T, calls []byte, id string, tools, choice []byte) {
		idJSON, _ := json.Marshal(id)
		body := `{"messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":` + string(calls) + `},` +
			`{"role":"tool","content":"r","tool_call_id":` + string(idJSON) + `}],"tools":` + string(tools) + `,"tool_choice":` + string(choice) + `}`
		req, err := llm.Decode(gateway.TypeChat, []byte(body))
		if err != nil {
			return
		}
		_, _ = Spec.Translator.Request(chatCall(req.Chat))
	})
}
