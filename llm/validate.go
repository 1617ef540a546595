package llm

import (
	"fmt"

	"github.com/llmgate/llmgate/gateway"
)

// Check validates a translated upstream answer before it is relayed: a provider (or a faulty
// one) may send null choices, indices out of range or repeated, or a different number of
// embeddings than inputs, which clients would misread. It is applied once, in the pipeline,
// to every provider's answer; the error says what is wrong in gateway-made words only.
func (r *Response) Check(req *Request) error {
	switch {
	case req.Type == gateway.TypeChat && r.Chat != nil:
		return checkChat(r.Chat)
	case req.Type == gateway.TypeCompletions && r.Completion != nil:
		return checkCompletion(r.Completion)
	case req.Type == gateway.TypeEmbeddings && r.Embeddings != nil:
		return checkEmbeddings(r.Embeddings, req.Embeddings)
	}
	return fmt.Errorf("the answer is not a %s response", req.Type)
}

func checkChat(c *ChatResponse) error {
	idx := make([]int, len(c.Choices))
	for i, ch := range c.Choices {
		if ch.Message.Content == nil && len(ch.Message.ToolCalls) == 0 && ch.FinishReason == nil {
			return fmt.Errorf("choices[%d] is empty", i)
		}
		idx[i] = ch.Index
	}
	if err := checkIndices("choices", idx); err != nil {
		return err
	}
	return checkUsage(c.Usage)
}

func checkCompletion(c *CompletionResponse) error {
	idx := make([]int, len(c.Choices))
	for i, ch := range c.Choices {
		if ch.Text == "" && ch.FinishReason == nil {
			return fmt.Errorf("choices[%d] is empty", i)
		}
		idx[i] = ch.Index
	}
	if err := checkIndices("choices", idx); err != nil {
		return err
	}
	return checkUsage(c.Usage)
}

func checkEmbeddings(e *EmbeddingsResponse, req *EmbeddingsRequest) error {
	if req != nil && len(e.Data) != len(req.Input) {
		return fmt.Errorf("%d embeddings for %d inputs", len(e.Data), len(req.Input))
	}
	idx := make([]int, len(e.Data))
	for i, d := range e.Data {
		if len(d.Embedding) == 0 {
			return fmt.Errorf("data[%d] has no vector", i)
		}
		if len(d.Embedding) != len(e.Data[0].Embedding) {
			return fmt.Errorf("data[%d] has %d dimensions, data[0] %d", i, len(d.Embedding), len(e.Data[0].Embedding))
		}
		idx[i] = d.Index
	}
	if err := checkIndices("data", idx); err != nil {
		return err
	}
	if negative(e.Usage.PromptTokens) || negative(e.Usage.TotalTokens) {
		return fmt.Errorf("negative token counts")
	}
	return nil
}

// checkIndices requires the indices to be 0..n-1, each once (in any order).
func checkIndices(field string, idx []int) error {
	seen := make([]bool, len(idx))
	for i, v := range idx {
		if v < 0 || v >= len(idx) {
			return fmt.Errorf("%s[%d].index %d is out of range for %d", field, i, v, len(idx))
		}
		if seen[v] {
			return fmt.Errorf("%s[%d].index %d is repeated", field, i, v)
		}
		seen[v] = true
	}
	return nil
}

func checkUsage(u Usage) error {
	if negative(u.PromptTokens) || negative(u.CompletionTokens) || negative(u.TotalTokens) {
		return fmt.Errorf("negative token counts")
	}
	return nil
}

func negative(p *int64) bool { return p != nil && *p < 0 }

// maxStreamChoices bounds a stream chunk's choice index when the caller did not ask for n.
const maxStreamChoices = 1

// CheckChunk validates a translated stream chunk: choice indices within what was asked for
// (n, default 1) and token counts not negative.
func CheckChunk(c *Chunk, req *Request) error {
	limit := maxStreamChoices
	if p := req.Params(); p != nil && p.N != nil && *p.N > 0 {
		limit = *p.N
	}
	for i, ch := range c.Choices {
		if ch.Index < 0 || ch.Index >= limit {
			return fmt.Errorf("choices[%d].index %d is out of range for n=%d", i, ch.Index, limit)
		}
	}
	if c.Usage != nil {
		return checkUsage(*c.Usage)
	}
	return nil
}
