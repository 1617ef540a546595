package openaicompat

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/llmgate/llmgate/llm"
)

const embeddingsAnswer = `{"object":"list","data":[{"object":"embedding","index":1,"embedding":[0.1,-2e-3]},{"index":0,"embedding":"AAAAAA=="}],"model":"e","usage":{"prompt_tokens":3,"total_tokens":3}}`

var answerSeeds = []string{
	string(benchAnswer),
	`{"id":"chatcmpl-1","object":"chat.completion","created":1796363304,"model":"gpt-4o-mini","system_fingerprint":"fp","choices":[{"index":0,"message":{"role":"assistant","content":"Line one.\nLine \"two\" \u00e9 \ud83d\ude00","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":16,"total_tokens":28,"prompt_tokens_details":{"cached_tokens":0}}}`,
	`{"id":"c","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},"finish_reason":"tool_calls"}]}`,
	`{"id":"c","object":"text_completion","choices":[{"index":0,"text":"hi\n","logprobs":null,"finish_reason":"length"}],"usage":null}`,
	`{"choices":[{"message":null,"index":null,"finish_reason":null}]}`, `{"choices":[null]}`, `{"choices":null}`, `{"choices":{}}`,
	`{"ID":"x","choices":[]}`, `{"id":"a","id":"b"}`, `{"created":1.5}`, `{"choices":[{"message":{"tool_calls":null}}]}`,
	embeddingsAnswer,
	`{"data":null,"usage":null}`, `{"data":[{"embedding":null,"index":null}],"usage":{"completion_tokens":1}}`, `{"data":[null]}`,
	` {"choices":[]} `, `{"choices":[]}x`, `[]`, `"s"`, `{"error":{"message":"m"},"choices":[]}`, `{"choices":[{"Index":1}]}`,
}

// FuzzAnswerFastPathMatchesEncodingJSON: whatever decodeChat, decodeCompletion or
// decodeEmbeddings accepts, encoding/json accepts too and decodes to the same wire value; what
// they decline goes to encoding/json anyway.
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
		var emb wireEmbeddings
		if decodeEmbeddings(data, &emb) {
			var std wireEmbeddings
			if err := json.Unmarshal(data, &std); err != nil {
				t.Fatalf("embeddings fast path took %q, encoding/json refuses it: %v", data, err)
			}
			if !reflect.DeepEqual(emb, std) {
				t.Fatalf("%q: embeddings fast path %+v, encoding/json %+v", data, emb, std)
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
// and escapes included, completions answers and embeddings are decoded without encoding/json.
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
	var e wireEmbeddings
	if !decodeEmbeddings([]byte(embeddingsAnswer), &e) {
		t.Fatalf("embeddings answer declined: %s", embeddingsAnswer)
	}
	if _, ok := floats(e.Data[0].Embedding); !ok {
		t.Errorf("vector declined: %s", e.Data[0].Embedding)
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

// FuzzFloatsMatchesEncodingJSON: an embedding read by floats is the []float64 encoding/json
// reads; what floats declines goes to encoding/json.
func FuzzFloatsMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{`[0.0123,-0.5,1e-3,2E+2,0,-0,1]`, `[]`, `[null,1]`, `[1e400]`, `[1,]`, `null`, ` [ 1 , 2 ] `, `["1"]`, `[1.5e-400]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := floats(data)
		if !ok {
			return
		}
		var std []float64
		if err := json.Unmarshal(data, &std); err != nil {
			t.Fatalf("floats took %q, encoding/json refuses it: %v", data, err)
		}
		if !reflect.DeepEqual(fast, std) {
			t.Fatalf("%q: floats %v, encoding/json %v", data, fast, std)
		}
	})
}
