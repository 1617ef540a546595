package anthropic

import (
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
)

func nativeFrame(event, data string) []byte {
	return []byte("event: " + event + "\ndata: " + data + "\n\n")
}

// A relayed stream: frames verbatim, text rendered at the native text block's index, the
// closing message_delta and message_stop held for AppendEnd.
func TestNativeStreamRelaysFramesAndPlacesText(t *testing.T) {
	enc := Surface{}.NewStreamEncoder(nil)
	chunks := []llm.Chunk{
		{Native: nativeFrame("message_start", `{"type":"message_start","message":{"id":"msg_1"}}`), Choices: []llm.ChunkChoice{{Role: "assistant"}}},
		{Native: nativeFrame("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}`)},
		{Native: nativeFrame("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"s"}}`)},
		{Native: nativeFrame("content_block_start", `{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}`)},
		{Choices: []llm.ChunkChoice{{Content: "hel"}}},
		{Choices: []llm.ChunkChoice{{Content: "lo"}}, Native: nativeFrame("content_block_stop", `{"type":"content_block_stop","index":1}`), BlockEnd: true},
		{Native: nativeFrame("message_delta", `{"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"X"}}`), Choices: []llm.ChunkChoice{{FinishReason: "stop"}}},
		{Native: nativeFrame("message_stop", `{"type":"message_stop"}`)},
	}
	var out []byte
	for i := range chunks {
		out = enc.AppendChunk(out, gateway.TypeChat, &chunks[i], false)
	}
	body := string(out)
	if strings.Contains(body, "message_delta") || strings.Contains(body, "message_stop") {
		t.Fatalf("the closing events went out before AppendEnd:\n%s", body)
	}
	end := string(enc.AppendEnd(nil))
	want := []string{"message_start", "content_block_start", "signature_delta", "content_block_start",
		`"text":"hel","type":"text_delta"},"index":1`, `"text":"lo","type":"text_delta"},"index":1`, "content_block_stop"}
	at := 0
	for _, w := range want {
		i := strings.Index(body[at:], w)
		if i < 0 {
			t.Fatalf("%q missing or out of order after byte %d:\n%s", w, at, body)
		}
		at += i + len(w)
	}
	if !strings.HasPrefix(end, "event: message_delta") || !strings.Contains(end, `"stop_sequence":"X"`) || !strings.HasSuffix(end, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n") {
		t.Fatalf("AppendEnd = %q; want the upstream's message_delta and message_stop", end)
	}
}
