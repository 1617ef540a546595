package llm

import (
	"strconv"

	"github.com/llmgate/llmgate/internal/jsonobj"
)

// AppendJSON appends r as json.Encoder with HTML escaping off writes it (as the surfaces'
// WriteJSON does), without the trailing newline and without reflection: the answer of every
// unstreamed chat query is written this way. ok is false, and b returned as it was, when r
// holds tool calls, which are raw JSON encoding/json checks and compacts; the caller then
// encodes r with encoding/json. FuzzChatResponseAppendJSONMatchesEncoder holds it to that.
func (r *ChatResponse) AppendJSON(b []byte) (out []byte, ok bool) {
	for i := range r.Choices {
		if len(r.Choices[i].Message.ToolCalls) > 0 {
			return b, false
		}
	}
	b = append(b, `{"id":`...)
	b = jsonobj.AppendString(b, r.ID, false)
	b = append(b, `,"object":`...)
	b = jsonobj.AppendString(b, r.Object, false)
	b = append(b, `,"created":`...)
	b = strconv.AppendInt(b, r.Created, 10)
	b = append(b, `,"model":`...)
	b = jsonobj.AppendString(b, r.Model, false)
	b = append(b, `,"choices":`...)
	if r.Choices == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, c := range r.Choices {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"index":`...)
			b = strconv.AppendInt(b, int64(c.Index), 10)
			b = append(b, `,"message":{"role":`...)
			b = jsonobj.AppendString(b, c.Message.Role, false)
			b = append(b, `,"content":`...)
			b = appendStringPtr(b, c.Message.Content)
			b = append(b, `},"finish_reason":`...)
			b = appendStringPtr(b, c.FinishReason)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = appendIntPtr(b, r.Usage.PromptTokens)
	b = append(b, `,"completion_tokens":`...)
	b = appendIntPtr(b, r.Usage.CompletionTokens)
	b = append(b, `,"total_tokens":`...)
	b = appendIntPtr(b, r.Usage.TotalTokens)
	return append(b, "}}"...), true
}

func appendStringPtr(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return jsonobj.AppendString(b, *s, false)
}

func appendIntPtr(b []byte, n *int64) []byte {
	if n == nil {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, *n, 10)
}
