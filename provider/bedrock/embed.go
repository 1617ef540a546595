package bedrock

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/kit"
)

// Embedding model families on InvokeModel; their bodies differ.
func isCohere(model string) bool { return strings.Contains(model, "cohere.embed") }

// embeddingsBody builds the InvokeModel body. Cohere takes a batch ({"texts", "input_type"},
// input_type defaulting to "search_document" as Cohere's own provider does). Titan takes one
// {"inputText"} per call: a request with several inputs is split into one call per input by
// Split (provider.Splitter) before Request sees it.
func embeddingsBody(model string, r *llm.EmbeddingsRequest) ([]byte, error) {
	fields := map[string]any{}
	for k, v := range r.Extra {
		fields[k] = v
	}
	if isCohere(model) {
		fields["texts"] = r.Input
		if _, ok := fields["input_type"]; !ok {
			fields["input_type"] = "search_document"
		}
	} else {
		if len(r.Input) != 1 {
			return nil, gateway.Errorf(gateway.CodeInvalid, "bedrock: Titan embedding models take one input per call, got %d", len(r.Input))
		}
		fields["inputText"] = r.Input[0]
	}
	b, err := json.Marshal(fields)
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeInvalid, err, "request cannot be encoded")
	}
	return b, nil
}

func parseEmbeddings(c *provider.Call, body []byte) (*llm.Response, error) {
	if isCohere(c.Model) {
		return parseCohere(c.Model, body)
	}
	var w struct {
		Embedding           []float64 `json:"embedding"`
		InputTextTokenCount *int64    `json:"inputTextTokenCount"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, kit.Malformed(err)
	}
	if w.Embedding == nil {
		return nil, kit.Malformed(errors.New("titan response has no embedding"))
	}
	return &llm.Response{Embeddings: &llm.EmbeddingsResponse{
		Object: "list", Model: c.Model,
		Data:  []llm.Embedding{{Object: "embedding", Index: 0, Embedding: w.Embedding}},
		Usage: llm.EmbeddingsUsage{PromptTokens: w.InputTextTokenCount, TotalTokens: w.InputTextTokenCount},
	}}, nil
}

// parseCohere reads {"embeddings": [[...]]} (or {"embeddings": {"float": [[...]]}} when
// embedding_types was given). Cohere on Bedrock reports no token counts in the body.
func parseCohere(model string, body []byte) (*llm.Response, error) {
	var w struct {
		Embeddings json.RawMessage `json:"embeddings"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, kit.Malformed(err)
	}
	var vecs [][]float64
	if err := json.Unmarshal(w.Embeddings, &vecs); err != nil || vecs == nil {
		var typed struct {
			Float [][]float64 `json:"float"`
		}
		if err := json.Unmarshal(w.Embeddings, &typed); err != nil || typed.Float == nil {
			return nil, kit.Malformed(errors.New("cohere response has no float embeddings"))
		}
		vecs = typed.Float
	}
	out := &llm.EmbeddingsResponse{Object: "list", Model: model, Data: make([]llm.Embedding, len(vecs))}
	for i, v := range vecs {
		out.Data[i] = llm.Embedding{Object: "embedding", Index: i, Embedding: v}
	}
	return &llm.Response{Embeddings: out}, nil
}

// Split implements provider.Splitter: a Titan embeddings call with several inputs becomes one
// call per input (Titan has no batch API); everything else stays one call.
func (Translator) Split(c *provider.Call) []*provider.Call {
	e := c.Req.Embeddings
	if c.Type != gateway.TypeEmbeddings || e == nil || isCohere(c.Model) || len(e.Input) <= 1 {
		return []*provider.Call{c}
	}
	out := make([]*provider.Call, len(e.Input))
	for i, in := range e.Input {
		part := *c
		part.Req = &llm.Request{Type: c.Req.Type, Embeddings: &llm.EmbeddingsRequest{Input: []string{in}, Extra: e.Extra}}
		out[i] = &part
	}
	return out
}

// Merge implements provider.Splitter: vectors in input order, usage summed.
func (Translator) Merge(c *provider.Call, parts []*llm.Response) (*llm.Response, error) {
	if len(parts) == 1 {
		return parts[0], nil
	}
	out := &llm.EmbeddingsResponse{Object: "list", Model: c.Model}
	var tokens int64
	counted := true
	for i, p := range parts {
		if p == nil || p.Embeddings == nil || len(p.Embeddings.Data) != 1 {
			return nil, kit.Malformed(errors.New("split embeddings part is not one vector"))
		}
		d := p.Embeddings.Data[0]
		d.Index = i
		out.Data = append(out.Data, d)
		if n := p.Embeddings.Usage.PromptTokens; n != nil {
			tokens += *n
		} else {
			counted = false
		}
	}
	if counted {
		out.Usage = llm.EmbeddingsUsage{PromptTokens: &tokens, TotalTokens: &tokens}
	}
	return &llm.Response{Embeddings: out}, nil
}
