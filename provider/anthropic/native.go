package anthropic

import (
	"bytes"
	"encoding/json"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

// A Messages request that arrived on llmgate's own Messages surface (llm.Request.Native) is
// sent on as the caller wrote it — thinking, cache_control, metadata, is_error, every block and
// field, including ones newer than llmgate — with only the model replaced by the endpoint's.
// Its answer and stream events go back as Anthropic wrote them (stop_sequence, cache token
// counts, thinking blocks and signatures). The canonical translation still runs beside it: it
// is what limits, metering and credential scrubbing read.

// nativeBody is the caller's body with the endpoint's model, and max_tokens defaulted as the
// canonical path does (the API requires it).
func nativeBody(model string, native []byte) ([]byte, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(native, &fields); err != nil {
		return nil, gateway.Wrap(gateway.CodeInvalid, err, "request body must be a JSON object")
	}
	fields["model"], _ = json.Marshal(model)
	if _, ok := fields["max_tokens"]; !ok {
		fields["max_tokens"], _ = json.Marshal(DefaultMaxTokens)
	}
	return json.Marshal(fields)
}

// native reports whether c's answer goes back in Anthropic's own form.
func native(c *provider.Call) bool {
	return c != nil && c.Type == gateway.TypeChat && c.Req.NativeFor(llm.NativeAnthropic) != nil
}

// frame rebuilds one SSE event as the upstream sent it, for relaying.
func frame(event string, data []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(event) + len(data) + 16)
	if event != "" {
		b.WriteString("event: ")
		b.WriteString(event)
		b.WriteByte('\n')
	}
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		b.WriteString("data: ")
		b.Write(line)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// nativeChunks attaches the event's frame to what the canonical decoding made of it. Text
// deltas stay canonical only (the surface renders them after scrubbing across events); a
// block's end carries BlockEnd so text held back goes out before it.
func nativeChunks(ev string, data []byte, kind string, chunks []llm.Chunk, base llm.Chunk) []llm.Chunk {
	if kind == "text_delta" {
		return chunks
	}
	f := frame(ev, data)
	if len(chunks) == 0 {
		return []llm.Chunk{{ID: base.ID, Model: base.Model, Native: f, BlockEnd: kind == "content_block_stop"}}
	}
	chunks[0].Native = f
	return chunks
}
