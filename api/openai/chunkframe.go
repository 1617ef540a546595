package openai

import (
	"strconv"

	"github.com/llmgate/llmgate/internal/jsonobj"
	"github.com/llmgate/llmgate/llm"
)

// appendChatChoices appends the frame json.Marshal(choicesFrame(TypeChat, c, created)) gives,
// byte for byte, without reflection: every streamed chat event, the first one included, is
// rendered here. A chunk with tool calls (their raw JSON is compacted by encoding/json) goes
// through appendFrame instead; TestChatFramesMatchEncodingJSON holds the two to each other.
func appendChatChoices(dst []byte, c *llm.Chunk, created int64) []byte {
	dst = append(dst, `data: {"id":`...)
	dst = jsonobj.AppendString(dst, c.ID, true)
	dst = append(dst, `,"object":"chat.completion.chunk","created":`...)
	dst = strconv.AppendInt(dst, created, 10)
	dst = append(dst, `,"model":`...)
	dst = jsonobj.AppendString(dst, c.Model, true)
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
			dst = jsonobj.AppendString(dst, ch.Role, true)
			sep = true
		}
		if ch.Content != "" || ch.Role != "" { // OpenAI's first chunk: role with empty content
			if sep {
				dst = append(dst, ',')
			}
			dst = append(dst, `"content":`...)
			dst = jsonobj.AppendString(dst, ch.Content, true)
		}
		dst = append(dst, `},"finish_reason":`...)
		if ch.FinishReason == "" {
			dst = append(dst, "null"...)
		} else {
			dst = jsonobj.AppendString(dst, ch.FinishReason, true)
		}
		dst = append(dst, `,"logprobs":null}`...)
	}
	return append(dst, "]}\n\n"...)
}
