package gemini

import (
	"encoding/json"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

type embedRequest struct {
	Model                string          `json:"model"`
	Content              content         `json:"content"`
	TaskType             json.RawMessage `json:"taskType,omitempty"`
	Title                json.RawMessage `json:"title,omitempty"`
	OutputDimensionality json.RawMessage `json:"outputDimensionality,omitempty"`
}

// embedOptions reads the extras callers use to steer embeddings; both Gemini's own names and
// OpenAI's "dimensions" are accepted.
type embedOptions struct {
	taskType, title, dimensions json.RawMessage
}

func readEmbedOptions(extra map[string]json.RawMessage) embedOptions {
	first := func(keys ...string) json.RawMessage {
		for _, k := range keys {
			if v, ok := extra[k]; ok {
				return v
			}
		}
		return nil
	}
	return embedOptions{
		taskType:   first("taskType", "task_type"),
		title:      first("title"),
		dimensions: first("outputDimensionality", "output_dimensionality", "dimensions"),
	}
}

func (t *Translator) embedRequest(c *provider.Call) (*provider.HTTPRequest, error) {
	e := c.Req.Embeddings
	if e == nil || len(e.Input) == 0 {
		return nil, gateway.Errorf(gateway.CodeInvalid, "provider %q: embeddings need at least one input", t.Provider)
	}
	opts := readEmbedOptions(e.Extra)
	if t.Embeddings == VertexPredict {
		return t.post(c, MethodVertexPredict, vertexPredictBody(e.Input, opts))
	}
	reqs := make([]embedRequest, len(e.Input))
	for i, in := range e.Input {
		reqs[i] = embedRequest{
			Model:    "models/" + ModelID(c.Model),
			Content:  content{Parts: []part{{Text: in}}},
			TaskType: opts.taskType, Title: opts.title, OutputDimensionality: opts.dimensions,
		}
	}
	return t.post(c, MethodBatchEmbed, map[string]any{"requests": reqs})
}

// vertexPredictBody is Vertex AI's text-embedding predict request.
func vertexPredictBody(inputs []string, opts embedOptions) map[string]any {
	instances := make([]map[string]any, len(inputs))
	for i, in := range inputs {
		inst := map[string]any{"content": in}
		if opts.taskType != nil {
			inst["task_type"] = opts.taskType
		}
		if opts.title != nil {
			inst["title"] = opts.title
		}
		instances[i] = inst
	}
	body := map[string]any{"instances": instances}
	if opts.dimensions != nil {
		body["parameters"] = map[string]any{"outputDimensionality": opts.dimensions}
	}
	return body
}

func (t *Translator) embedResponse(c *provider.Call, body []byte) (*llm.Response, error) {
	var vectors [][]float64
	var usage llm.EmbeddingsUsage
	var err error
	if t.Embeddings == VertexPredict {
		vectors, usage, err = parseVertexPredict(body)
	} else {
		vectors, err = parseBatchEmbed(body)
	}
	if err != nil {
		return nil, err
	}
	if n := len(c.Req.Embeddings.Input); len(vectors) != n {
		return nil, gateway.Errorf(gateway.CodeUpstream, "provider %q returned %d embeddings for %d inputs", t.Provider, len(vectors), n)
	}
	out := &llm.EmbeddingsResponse{Object: "list", Model: c.Model, Usage: usage, Data: make([]llm.Embedding, len(vectors))}
	for i, v := range vectors {
		out.Data[i] = llm.Embedding{Object: "embedding", Index: i, Embedding: v}
	}
	return &llm.Response{Embeddings: out}, nil
}

// parseBatchEmbed reads {"embeddings":[{"values":[...]}]}; Google AI reports no token usage
// for embeddings, so usage stays null.
func parseBatchEmbed(body []byte) ([][]float64, error) {
	var r struct {
		Embeddings []struct {
			Values []float64 `json:"values"`
		} `json:"embeddings"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, malformed(err)
	}
	out := make([][]float64, len(r.Embeddings))
	for i, e := range r.Embeddings {
		out[i] = e.Values
	}
	return out, nil
}

// parseVertexPredict reads predictions[].embeddings.values and sums statistics.token_count.
func parseVertexPredict(body []byte) ([][]float64, llm.EmbeddingsUsage, error) {
	var r struct {
		Predictions []struct {
			Embeddings struct {
				Values     []float64 `json:"values"`
				Statistics *struct {
					TokenCount float64 `json:"token_count"`
				} `json:"statistics"`
			} `json:"embeddings"`
		} `json:"predictions"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, llm.EmbeddingsUsage{}, malformed(err)
	}
	out := make([][]float64, len(r.Predictions))
	var tokens int64
	counted := false
	for i, p := range r.Predictions {
		out[i] = p.Embeddings.Values
		if s := p.Embeddings.Statistics; s != nil {
			tokens += int64(s.TokenCount)
			counted = true
		}
	}
	if !counted {
		return out, llm.EmbeddingsUsage{}, nil
	}
	total := tokens
	return out, llm.EmbeddingsUsage{PromptTokens: &tokens, TotalTokens: &total}, nil
}

func malformed(err error) *gateway.Error {
	return gateway.Wrap(gateway.CodeUpstream, err, "malformed upstream response")
}
