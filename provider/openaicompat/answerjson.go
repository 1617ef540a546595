package openaicompat

import (
	"bytes"
	"encoding/json"

	"github.com/llmgate/llmgate/internal/jsonobj"
	"github.com/llmgate/llmgate/llm"
)

// wireAnswer is a chat.completion (wireChat) or text_completion (wireCompletion) answer as
// ParseChat and ParseCompletion read it: the same envelope around their own choices.
type wireAnswer[C any] struct {
	ID      string     `json:"id"`
	Created int64      `json:"created"`
	Model   string     `json:"model"`
	Choices []C        `json:"choices"`
	Usage   *wireUsage `json:"usage"`
}

type (
	wireChat       = wireAnswer[llm.ChatChoice]
	wireCompletion = wireAnswer[llm.CompletionChoice]
)

// wireEmbeddings is an embeddings list answer as ParseEmbeddings reads it; each vector is
// kept raw for decodeVector.
type wireEmbeddings struct {
	Model string          `json:"model"`
	Data  []wireEmbedding `json:"data"`
	Usage *struct {
		PromptTokens *int64 `json:"prompt_tokens"`
		TotalTokens  *int64 `json:"total_tokens"`
	} `json:"usage"`
}

type wireEmbedding struct {
	Index     int             `json:"index"`
	Embedding json.RawMessage `json:"embedding"`
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
	case *wireEmbeddings:
		if decodeEmbeddings(b, w) {
			return nil
		}
		*w = wireEmbeddings{}
	}
	return decodeObject(b, w)
}

// decodeChat is json.Unmarshal of a chat.completion answer into w for the shapes it vouches
// for (FuzzAnswerFastPathMatchesEncodingJSON); false leaves the answer to encoding/json.
func decodeChat(data []byte, w *wireChat) bool { return decodeEnvelope(data, w, chatChoice) }

// decodeCompletion is decodeChat for a text_completion answer.
func decodeCompletion(data []byte, w *wireCompletion) bool {
	return decodeEnvelope(data, w, completionChoice)
}

// decodeEnvelope reads the envelope both answers share, each choice with choice.
func decodeEnvelope[C any](data []byte, w *wireAnswer[C], choice func(*jsonobj.Scanner, *C) bool) bool {
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
			return list(&s, &w.Choices, func(c *C) bool { return choice(&s, c) })
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

// decodeEmbeddings is decodeChat for an embeddings list answer. A vector is a slice of data
// (json.RawMessage would copy it; nobody changes either).
func decodeEmbeddings(data []byte, w *wireEmbeddings) bool {
	s := jsonobj.NewScanner(data)
	ok := s.ObjectOnce(func(key []byte) bool {
		switch string(key) {
		case "model":
			return s.Str(&w.Model)
		case "data":
			return list(&s, &w.Data, func(e *wireEmbedding) bool {
				return s.ObjectOnce(func(key []byte) bool {
					switch string(key) {
					case "index":
						return index(&s, &e.Index)
					case "embedding":
						var ok bool
						e.Embedding, ok = s.Value()
						return ok
					}
					return s.Unknown(key, "index", "embedding")
				})
			})
		case "usage":
			if s.Null() {
				w.Usage = nil
				return true
			}
			w.Usage = &struct {
				PromptTokens *int64 `json:"prompt_tokens"`
				TotalTokens  *int64 `json:"total_tokens"`
			}{}
			u := w.Usage
			return s.ObjectOnce(func(key []byte) bool {
				switch string(key) {
				case "prompt_tokens":
					return s.Int64Ptr(&u.PromptTokens)
				case "total_tokens":
					return s.Int64Ptr(&u.TotalTokens)
				}
				return s.Unknown(key, "prompt_tokens", "total_tokens")
			})
		}
		return s.Unknown(key, "model", "data", "usage")
	})
	return ok && s.AtEnd()
}

// floats is json.Unmarshal of a list of numbers into a []float64 without reflection (an
// embedding has thousands); false leaves raw to encoding/json.
func floats(raw []byte) ([]float64, bool) {
	s := jsonobj.NewScanner(raw)
	vec := make([]float64, 0, len(raw)/20+1) // about 20 bytes a number, as embeddings are sent
	ok := s.Array(func() bool {
		vec = append(vec, 0)
		return s.Float64(&vec[len(vec)-1])
	})
	return vec, ok && s.AtEnd()
}
