package anthropic

import (
	"bytes"
	"encoding/json"

	"github.com/llmgate/llmgate/llm"
)

// appendNative writes a chunk of a relayed Anthropic stream: its text as text_delta events of
// the native text block, then its frame verbatim, except the closing message_delta and
// message_stop, which wait for AppendEnd (the pipeline records the answer before the last
// byte).
func (e *streamEncoder) appendNative(dst []byte, c *llm.Chunk) []byte {
	for _, ch := range c.Choices {
		if ch.Index == 0 && ch.Content != "" {
			dst = appendEvent(dst, "content_block_delta", map[string]any{"type": "content_block_delta", "index": e.textBlock,
				"delta": map[string]string{"type": "text_delta", "text": ch.Content}})
		}
	}
	if len(c.Native) == 0 {
		return dst
	}
	switch frameEvent(c.Native) {
	case "content_block_start":
		var start struct {
			Index        int `json:"index"`
			ContentBlock struct {
				Type string `json:"type"`
			} `json:"content_block"`
		}
		if json.Unmarshal(frameData(c.Native), &start) == nil && start.ContentBlock.Type == "text" {
			e.textBlock = start.Index
		}
	case "message_delta", "message_stop":
		e.tail = append(e.tail, c.Native...)
		return dst
	}
	return append(dst, c.Native...)
}

// frameEvent is the event name of an SSE frame ("event: name\n...").
func frameEvent(f []byte) string {
	rest, ok := bytes.CutPrefix(f, []byte("event: "))
	if !ok {
		return ""
	}
	name, _, _ := bytes.Cut(rest, []byte("\n"))
	return string(name)
}

// frameData is the data of an SSE frame whose data is one line.
func frameData(f []byte) []byte {
	_, data, ok := bytes.Cut(f, []byte("\ndata: "))
	if !ok {
		return nil
	}
	data, _, _ = bytes.Cut(data, []byte("\n"))
	return data
}
