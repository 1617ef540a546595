package openaicompat

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/llmgate/llmgate/llm"
)

var answerSeeds = []string{
	string(benchAnswer),
	`{"id":"chatcmpl-1","object":"chat.completion","created":1796363304,"model":"gpt-4o-mini","system_fingerprint":"fp","choices":[{"index":0,"message":{"role":"assistant","content":"Line one.\nLine \"two\" \u00e9 \ud83d\ude00","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":16,"total_tokens":28,"prompt_tokens_details":{"cached_tokens":0}}}`,
	`{"id":"c","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},"finish_reason":"tool_calls"}]}`,
	`{"id":"c","object":"text_completion","choices":[{"index":0,"text":"hi\n","logprobs":null,"finish_reason":"length"}],"usage":null}`,
	`{"choices":[{"message":null,"index":null,"finish_reason":null}]}`, `{"choices":[null]}`, `{"choices":null}`, `{"choices":{}}`,
	`{"ID":"x","choices":[]}`, `{"id":"a","id":"b"}`, `{"created":1.5}`, `{"choices":[{"message":{"tool_calls":null}}]}`,
	` {"choices":[]} `, `{"choices":[]}x`, `[]`, `"s"`, `{"error":{"message":"m"},"choices":[]}`, `{"choices":[{"Index":1}]}`,
}

// FuzzAnswerFastPathMatchesEncodingJSON: whatever decodeChat or decodeCompletion accepts,
// encoding/json accepts too and decodes to the same wire value; what they decline goes to
// encoding/json anyway.
func FuzzAnswerFastPathMatchesEncodingJSON(f *testing.F) {
	for _, s := range answerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var chat wireChat
		if decodeChat(data, &chat) {
			var std wireChat
			if err := json.Unmarshal(data, &std); err != nil {
				t.Fatalf("chat fast path took %q, encoding/json refuses it: %v", data, err)
			}
			if !reflect.DeepEqual(chat, std) {
				t.Fatalf("%q: chat fast path %+v, encoding/json %+v", data, chat, std)
			}
		}
		var comp wireCompletion
		if decodeCompletion(data, &comp) {
			var std wireCompletion
			if err := json.Unmarshal(data, &std); err != nil {
				t.Fatalf("completion fast path took %q, encoding/json refuses it: %v", data, err)
			}
			if !reflect.DeepEqual(comp, std) {
				t.Fatalf("%q: completion fast path %+v, encoding/json %+v", data, comp, std)
			}
		}
	})
}

// TestCommonAnswersTakeTheFastPath: OpenAI's and fakeupstream's chat answers, tool calls
// and escapes included, and completions answers are decoded without encoding/json.
func TestCommonAnswersTakeTheFastPath(t *testing.T) {
	for i, s := range answerSeeds[:3] {
		var w wireChat
		if !decodeChat([]byte(s), &w) {
			t.Errorf("chat answer %d declined: %s", i, s)
		}
	}
	var w wireCompletion
	if !decodeCompletion([]byte(answerSeeds[3]), &w) {
		t.Errorf("completion answer declined: %s", answerSeeds[3])
	}
}

// FuzzMessageHeadMatchesMarshal: the hand-written head of a message is json.Marshal's.
func FuzzMessageHeadMatchesMarshal(f *testing.F) {
	for _, s := range [][3]string{{"user", "", ""}, {"tool", "n", "call_1"}, {"a<b", "é", "\x00"}, {"\"", "\\", "\x7f"}, {"", "", ""}} {
		f.Add(s[0], s[1], s[2], false)
	}
	f.Add("assistant", "", "", true)
	f.Fuzz(func(t *testing.T, role, name, id string, calls bool) {
		m := llm.Message{Role: role, Name: name, ToolCallID: id}
		if calls {
			m.ToolCalls = []llm.ToolCall{{ID: "t", Name: "f", Arguments: json.RawMessage(`{}`)}}
		}
		got, err := messageHead(&m)
		want, werr := json.Marshal(m)
		if string(got) != string(want) || (err == nil) != (werr == nil) {
			t.Fatalf("%+v: messageHead %s (%v), json.Marshal %s (%v)", m, got, err, want, werr)
		}

	})
}
