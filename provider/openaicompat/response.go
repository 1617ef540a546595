package openaicompat

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"sort"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider/kit"
)

// wireUsage is OpenAI's usage object; all counts may be missing on compatible servers.
type wireUsage struct {
	PromptTokens     *int64 `json:"prompt_tokens"`
	CompletionTokens *int64 `json:"completion_tokens"`
	TotalTokens      *int64 `json:"total_tokens"`
}

// Canonical returns the usage with the total derived when the server left it out.
func (u *wireUsage) canonical() llm.Usage {
	if u == nil {
		return llm.Usage{}
	}
	out := llm.Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
	if out.TotalTokens == nil && u.PromptTokens != nil && u.CompletionTokens != nil {
		t := *u.PromptTokens + *u.CompletionTokens
		out.TotalTokens = &t
	}
	return out
}

// ParseResponse translates a complete OpenAI 2xx body for endpoint type t. model is used when
// the body names none. Bodies that are not the expected shape give a CodeUpstream
// "malformed upstream response" error.
func ParseResponse(t gateway.EndpointType, model string, body []byte) (*llm.Response, error) {
	switch t {
	case gateway.TypeChat:
		r, err := ParseChat(model, body)
		return &llm.Response{Chat: r}, err
	case gateway.TypeCompletions:
		r, err := ParseCompletion(model, body)
		return &llm.Response{Completion: r}, err
	case gateway.TypeEmbeddings:
		r, err := ParseEmbeddings(model, body)
		return &llm.Response{Embeddings: r}, err
	}
	return nil, gateway.Errorf(gateway.CodeInvalid, "unsupported endpoint type %s", t)
}

// ParseChat translates a chat.completion body.
func ParseChat(model string, body []byte) (*llm.ChatResponse, error) {
	var w wireChat
	if err := decodeAnswer(body, &w); err != nil {
		return nil, kit.Malformed(err)
	}
	if w.Choices == nil {
		return nil, kit.Malformed(errors.New("chat response has no choices"))
	}
	for i := range w.Choices {
		if w.Choices[i].Message.Role == "" {
			w.Choices[i].Message.Role = "assistant"
		}
	}
	return &llm.ChatResponse{
		ID: w.ID, Object: "chat.completion", Created: w.Created, Model: orDefault(w.Model, model),
		Choices: w.Choices, Usage: w.Usage.canonical(),
	}, nil
}

// ParseCompletion translates a legacy text_completion body.
func ParseCompletion(model string, body []byte) (*llm.CompletionResponse, error) {
	var w wireCompletion
	if err := decodeAnswer(body, &w); err != nil {
		return nil, kit.Malformed(err)
	}
	if w.Choices == nil {
		return nil, kit.Malformed(errors.New("completions response has no choices"))
	}
	return &llm.CompletionResponse{
		ID: w.ID, Object: "text_completion", Created: w.Created, Model: orDefault(w.Model, model),
		Choices: w.Choices, Usage: w.Usage.canonical(),
	}, nil
}

// ParseEmbeddings translates an embeddings list body, ordering vectors by index. Vectors sent
// as base64 (encoding_format "base64", little-endian float32) are decoded too.
func ParseEmbeddings(model string, body []byte) (*llm.EmbeddingsResponse, error) {
	var w wireEmbeddings
	if err := decodeAnswer(body, &w); err != nil {
		return nil, kit.Malformed(err)
	}
	if w.Data == nil {
		return nil, kit.Malformed(errors.New("embeddings response has no data"))
	}
	out := &llm.EmbeddingsResponse{Object: "list", Model: orDefault(w.Model, model), Data: make([]llm.Embedding, len(w.Data))}
	for i, d := range w.Data {
		vec, err := decodeVector(d.Embedding)
		if err != nil {
			return nil, kit.Malformed(err)
		}
		out.Data[i] = llm.Embedding{Object: "embedding", Index: d.Index, Embedding: vec}
	}
	sort.SliceStable(out.Data, func(i, j int) bool { return out.Data[i].Index < out.Data[j].Index })
	if w.Usage != nil {
		out.Usage = llm.EmbeddingsUsage{PromptTokens: w.Usage.PromptTokens, TotalTokens: w.Usage.TotalTokens}
	}
	return out, nil
}

func decodeVector(raw json.RawMessage) ([]float64, error) {
	if vec, ok := floats(raw); ok {
		return vec, nil
	}
	var vec []float64
	if err := json.Unmarshal(raw, &vec); err == nil && vec != nil {
		return vec, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, errors.New("embedding is neither a float list nor base64")
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b)%4 != 0 {
		return nil, errors.New("embedding base64 is not float32 data")
	}
	vec = make([]float64, len(b)/4)
	for i := range vec {
		vec[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[i*4:])))
	}
	return vec, nil
}

// decodeObject unmarshals a JSON object, rejecting anything else (arrays, strings, HTML).
func decodeObject(body []byte, v any) error {
	b := bytes.TrimSpace(body)
	if len(b) == 0 || b[0] != '{' {
		return errors.New("body is not a JSON object")
	}
	return json.Unmarshal(b, v)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
