package openaicompat

import (
	"encoding/json"
	"reflect"
	"testing"
)

var chunkSeeds = []string{
	`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1796363304,"model":"gpt-4o-mini","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null}`,
	`{"choices":[{"delta":{"content":"echo:","role":"assistant"},"finish_reason":null,"index":0,"logprobs":null}],"created":1796363304,"id":"fake-1","model":"gpt-4o-mini","object":"chat.completion.chunk","usage":null}`,
	`{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
	`{"id":"c","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":16,"total_tokens":28,"prompt_tokens_details":{"cached_tokens":0},"x":[1.5e3,-0,true,false,null,"s"]}}`,
	`{"id":"c","object":"text_completion","choices":[{"index":0,"text":"hi","finish_reason":null}]}`,
	`{"error":{"message":"boom","type":"server_error"}}`,
	`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t","function":{"name":"f","arguments":""}}]}}]}`,
	`{"ID":"x"}`, `{"id":"a","id":"b"}`, `{"created":1.5}`, `{"created":99999999999999999999}`, `{"choices":[null]}`,
	`{"usage":{}}`, `{"id":"caf\u00e9"}`, `{"id":"é"}`, ` {"id":"x"} `, `{"id":"x"}x`, `{"index":01}`, `{"k":[[[[]]]]}`,
	`{"choices":{"index":0}}`, `{"delta":null,"choices":[{"delta":null,"index":null}]}`, `{"id":null,"model":null,"created":null}`,
}

// FuzzChunkFastPathMatchesEncodingJSON: whatever decodeChunk accepts, encoding/json accepts
// too and decodes to the same wireChunk; what it declines goes to encoding/json anyway.
func FuzzChunkFastPathMatchesEncodingJSON(f *testing.F) {
	for _, s := range chunkSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast wireChunk
		if !decodeChunk(data, &fast, "chatcmpl-1", "gpt-4o-mini") {
			return
		}
		var std wireChunk
		if err := json.Unmarshal(data, &std); err != nil {
			t.Fatalf("fast path took %q, encoding/json refuses it: %v", data, err)
		}
		if !reflect.DeepEqual(fast, std) {
			t.Fatalf("%q: fast path %+v, encoding/json %+v", data, fast, std)
		}
	})
}

// TestCommonChunksTakeTheFastPath: OpenAI's content, finish and usage chunks and legacy
// completions chunks are decoded without encoding/json; errors and tool calls are left to it.
func TestCommonChunksTakeTheFastPath(t *testing.T) {
	for i, s := range chunkSeeds[:5] {
		var w wireChunk
		if !decodeChunk([]byte(s), &w, "", "") {
			t.Errorf("seed %d declined: %s", i, s)
		}
	}
	for _, s := range chunkSeeds[5:7] {
		var w wireChunk
		if decodeChunk([]byte(s), &w, "", "") {
			t.Errorf("taken, want it left to encoding/json: %s", s)
		}
	}
}
