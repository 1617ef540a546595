package openai

import (
	"bytes"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
)

// FuzzChatFramesMatchEncodingJSON: the hand-written chat frame is byte for byte what
// json.Marshal makes of the frame struct, whatever the text (quotes, escapes, HTML characters,
// invalid UTF-8, U+2028) and however the choice starts or ends.
func FuzzChatFramesMatchEncodingJSON(f *testing.F) {
	f.Add("chatcmpl-1", "gpt-4o-mini", "assistant", "", "", 0, int64(1796363304))
	f.Add("c", "m", "", "hello <b>&</b> \"quoted\" \\ \n\t", "stop", 3, int64(-1))
	f.Add("\xff\xfe", "mödel", "", "line\u2028sep\u2029 é 😀 \x00\x1f", "length", 1<<40, int64(0))
	f.Fuzz(func(t *testing.T, id, model, role, content, finish string, index int, created int64) {
		c := &llm.Chunk{ID: id, Model: model, Choices: []llm.ChunkChoice{
			{Index: index, Role: role, Content: content, FinishReason: finish},
			{Index: index + 1, Content: finish, FinishReason: content},
		}}
		want := appendFrame(nil, choicesFrame(gateway.TypeChat, c, created))
		if got := appendChatChoices(nil, c, created); !bytes.Equal(got, want) {
			t.Fatalf("got  %q\nwant %q", got, want)
		}
	})
}

// TestChatFramesTakeTheFastPathUnlessToolCalls: AppendChunk renders text chunks by hand and
// tool-call chunks through encoding/json, with the same bytes either way.
func TestChatFramesTakeTheFastPathUnlessToolCalls(t *testing.T) {
	text := &llm.Chunk{ID: "c", Model: "m", Created: 7, Choices: []llm.ChunkChoice{{Role: "assistant", Content: "hi"}}}
	if got, want := (Surface{}).AppendChunk(nil, gateway.TypeChat, text, false), appendFrame(nil, choicesFrame(gateway.TypeChat, text, 7)); !bytes.Equal(got, want) {
		t.Fatalf("text chunk %q, want %q", got, want)
	}
	tools := &llm.Chunk{ID: "c", Model: "m", Created: 7, Choices: []llm.ChunkChoice{{ToolCalls: []byte(`[ {"index": 0} ]`)}}}
	got := (Surface{}).AppendChunk(nil, gateway.TypeChat, tools, false)
	if !bytes.Contains(got, []byte(`"tool_calls":[{"index":0}]`)) {
		t.Fatalf("tool-call chunk %q, want its calls compacted by encoding/json", got)
	}
}
