package openaicompat

import (
	"bytes"
	"encoding/json"

	"github.com/llmgate/llmgate/internal/jsonobj"
	"github.com/llmgate/llmgate/llm"
)

// wireChat is a chat.completion answer as ParseChat reads it.
type wireChat struct {
	ID      string           `json:"id"`
	Created int64            `json:"created"`
	Model   string           `json:"model"`
	Choices []llm.ChatChoice `json:"choices"`
	Usage   *wireUsage       `json:"usage"`
}

// wireCompletion is a text_completion answer as ParseCompletion reads it.
type wireCompletion struct {
	ID      string                 `json:"id"`
	Created int64                  `json:"created"`
	Model   string                 `json:"model"`
	Choices []llm.CompletionChoice `json:"choices"`
	Usage   *wireUsage             `json:"usage"`
}

// decodeAnswer reads an unstreamed answer into w, a *wireChat or *wireCompletion: without
// reflection when the answer is of the usual shape (decodeChat, decodeCompletion, on the
// terms decodeChunk keeps), else with encoding/json.
func decodeAnswer(body []byte, w any) error {
	b := bytes.TrimSpace(body)
	switch w := w.(type) {
	case *wireChat:
		if decodeChat(b, w) {
			return nil
		}
		*w = wireChat{}
	case *wireCompletion:
		if decodeCompletion(b, w) {
			return nil
		}
		*w = wireCompletion{}
	}
	return decodeObject(b, w)
}

// decodeChat is json.Unmarshal of a chat.completion answer into w for the shapes it vouches
// for (FuzzAnswerFastPathMatchesEncodingJSON); false leaves the answer to encoding/json.
func decodeChat(data []byte, w *wireChat) bool {
	s := jsonobj.NewScanner(data)
	ok := s.ObjectOnce(func(key []byte) bool {
		switch string(key) {
		case "id":
			return s.Str(&w.ID)
		case "model":
			return s.Str(&w.Model)
		case "created":
			return s.Int64(&w.Created)
		case "choices":
			return list(&s, &w.Choices, func(c *llm.ChatChoice) bool { return chatChoice(&s, c) })
		case "usage":
			return usage(&s, &w.Usage)
		}
		return s.Unknown(key, "id", "model", "created", "choices", "usage")
	})
	return ok && s.AtEnd()
}

func chatChoice(s *jsonobj.Scanner, c *llm.ChatChoice) bool {
	return s.ObjectOnce(func(key []byte) bool {
		switch string(key) {
		case "index":
			return index(s, &c.Index)
		case "message":
			return message(s, &c.Message)
		case "finish_reason":
			return s.StrPtr(&c.FinishReason)
		}
		return s.Unknown(key, "index", "message", "finish_reason")
	})
}

func message(s *jsonobj.Scanner, m *llm.ResponseMessage) bool {
	if s.Null() {
		return true
	}
	return s.ObjectOnce(func(key []byte) bool {
		switch string(key) {
		case "role":
			return s.StrAs(&m.Role, "assistant")
		case "content":
			return s.StrPtr(&m.Content)
		case "tool_calls":
			raw, ok := s.Value()
			m.ToolCalls = append(json.RawMessage(nil), raw...) // json.RawMessage copies, null included
			return ok
		}
		return s.Unknown(key, "role", "content", "tool_calls")
	})
}

// decodeCompletion is decodeChat for a text_completion answer.
func decodeCompletion(data []byte, w *wireCompletion) bool {
	s := jsonobj.NewScanner(data)
	ok := s.ObjectOnce(func(key []byte) bool {
		switch string(key) {
		case "id":
			return s.Str(&w.ID)
		case "model":
			return s.Str(&w.Model)
		case "created":
			return s.Int64(&w.Created)
		case "choices":
			return list(&s, &w.Choices, func(c *llm.CompletionChoice) bool { return completionChoice(&s, c) })
		case "usage":
			return usage(&s, &w.Usage)
		}
		return s.Unknown(key, "id", "model", "created", "choices", "usage")
	})
	return ok && s.AtEnd()
}

func completionChoice(s *jsonobj.Scanner, c *llm.CompletionChoice) bool {
	return s.ObjectOnce(func(key []byte) bool {
		switch string(key) {
		case "index":
			return index(s, &c.Index)
		case "text":
			return s.Str(&c.Text)
		case "finish_reason":
			return s.StrPtr(&c.FinishReason)
		}
		return s.Unknown(key, "index", "text", "finish_reason")
	})
}
