package openai

import (
	"encoding/json"
	"strconv"

	"github.com/llmgate/llmgate/llm"
)

// appendChatChoices appends the frame json.Marshal(choicesFrame(TypeChat, c, created)) gives,
// byte for byte, without reflection: every streamed chat event, the first one included, is
// rendered here. A chunk with tool calls (their raw JSON is compacted by encoding/json) goes
// through appendFrame instead; TestChatFramesMatchEncodingJSON holds the two to each other.
func appendChatChoices(dst []byte, c *llm.Chunk, created int64) []byte {
	dst = append(dst, `data: {"id":`...)
	dst = appendString(dst, c.ID)
	dst = append(dst, `,"object":"chat.completion.chunk","created":`...)
	dst = strconv.AppendInt(dst, created, 10)
	dst = append(dst, `,"model":`...)
	dst = appendString(dst, c.Model)
	dst = append(dst, `,"choices":[`...)
	for i, ch := range c.Choices {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"index":`...)
		dst = strconv.AppendInt(dst, int64(ch.Index), 10)
		dst = append(dst, `,"delta":{`...)
		sep := false
		if ch.Role != "" {
			dst = append(dst, `"role":`...)
			dst = appendString(dst, ch.Role)
			sep = true
		}
		if ch.Content != "" || ch.Role != "" { // OpenAI's first chunk: role with empty content
			if sep {
				dst = append(dst, ',')
			}
			dst = append(dst, `"content":`...)
			dst = appendString(dst, ch.Content)
		}
		dst = append(dst, `},"finish_reason":`...)
		if ch.FinishReason == "" {
			dst = append(dst, "null"...)
		} else {
			dst = appendString(dst, ch.FinishReason)
		}
		dst = append(dst, `,"logprobs":null}`...)
	}
	return append(dst, "]}\n\n"...)
}

// appendString appends s as encoding/json writes it: as it is between quotes when nothing in it
// needs escaping (plain ASCII, no quote, backslash, control or HTML character), else through
// json.Marshal.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x80, c == '"', c == '\\', c == '<', c == '>', c == '&':
			b, _ := json.Marshal(s) // a string always encodes
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
