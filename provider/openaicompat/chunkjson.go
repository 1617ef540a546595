package openaicompat

import (
	"github.com/llmgate/llmgate/internal/jsonobj"
)

// decodeChunk decodes the stream chunks OpenAI-compatible servers send, without reflection:
// it is on every streamed event's path, the first one's included. It takes only inputs whose
// decoding it knows to equal encoding/json's into a wireChunk — members the wire type names
// exactly, each once, values of their types or null, and nothing but white space after the
// object — and declines (false) everything else, which then goes through json.Unmarshal; an
// error or a tool call, for one, always does. FuzzChunkFastPathMatchesEncodingJSON holds it
// to that.
//
// id and model are the previous chunk's: a stream repeats them in every chunk, so an equal
// value is that string again instead of a new one.
func decodeChunk(data []byte, w *wireChunk, id, model string) bool {
	s := jsonobj.NewScanner(data)
	ok := s.ObjectOnce(func(key []byte) bool {
		switch string(key) {
		case "id":
			return s.StrAs(&w.ID, id)
		case "model":
			return s.StrAs(&w.Model, model)
		case "created":
			return s.Int64(&w.Created)
		case "choices":
			return chunkChoices(&s, &w.Choices)
		case "usage":
			return usage(&s, &w.Usage)
		}
		return s.Unknown(key, "id", "model", "created", "choices", "usage", "error")
	})
	return ok && s.AtEnd()
}

func chunkChoices(s *jsonobj.Scanner, v *[]wireChoice) bool {
	return list(s, v, func(c *wireChoice) bool {
		return s.ObjectOnce(func(key []byte) bool {
			switch string(key) {
			case "index":
				return index(s, &c.Index)
			case "delta":
				return delta(s, &c.Delta)
			case "text":
				return s.StrPtr(&c.Text)
			case "finish_reason":
				return s.StrPtr(&c.FinishReason)
			}
			return s.Unknown(key, "index", "delta", "text", "finish_reason")
		})
	})
}

// list reads an array of objects into a new slice, each item by item; null makes it nil, as
// encoding/json does. A null item declines (encoding/json leaves a zero item).
func list[T any](s *jsonobj.Scanner, v *[]T, item func(*T) bool) bool {
	if s.Null() {
		*v = nil
		return true
	}
	out := []T{}
	ok := s.Array(func() bool {
		var zero T
		out = append(out, zero)
		return item(&out[len(out)-1])
	})
	if ok {
		*v = out
	}
	return ok
}

// index reads a choice's index; null leaves it as it is.
func index(s *jsonobj.Scanner, v *int) bool {
	var n int64
	if s.Null() {
		return true
	}
	n, ok := s.Integer()
	*v = int(n)
	return ok && int64(*v) == n
}

func delta(s *jsonobj.Scanner, d *wireDelta) bool {
	if s.Null() {
		return true
	}
	return s.ObjectOnce(func(key []byte) bool {
		switch string(key) {
		case "role":
			return s.StrAs(&d.Role, "assistant")
		case "content":
			return s.StrPtr(&d.Content)
		}
		return s.Unknown(key, "role", "content", "tool_calls")
	})
}

func usage(s *jsonobj.Scanner, v **wireUsage) bool {
	if s.Null() {
		*v = nil
		return true
	}
	u := &wireUsage{}
	ok := s.ObjectOnce(func(key []byte) bool {
		switch string(key) {
		case "prompt_tokens":
			return s.Int64Ptr(&u.PromptTokens)
		case "completion_tokens":
			return s.Int64Ptr(&u.CompletionTokens)
		case "total_tokens":
			return s.Int64Ptr(&u.TotalTokens)
		}
		return s.Unknown(key, "prompt_tokens", "completion_tokens", "total_tokens")
	})
	if ok {
		*v = u
	}
	return ok
}
