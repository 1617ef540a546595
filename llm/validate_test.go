package llm

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
)

func chatOf(t *testing.T, choices string) *Response {
	t.Helper()
	var c ChatResponse
	if err := json.Unmarshal([]byte(`{"choices":`+choices+`}`), &c); err != nil {
		t.Fatal(err)
	}
	return &Response{Chat: &c}
}

func TestCheckRefusesMalformedAnswers(t *testing.T) {
	chat := &Request{Type: gateway.TypeChat, Chat: &ChatRequest{}}
	ok := `{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}`
	for name, choices := range map[string]string{
		"null and huge index": `[null, {"index": 99999999999, "message": {"content": "x"}}]`,
		"null choice":         `[null]`,
		"index out of range":  `[{"index": 1, "message": {"content": "x"}}]`,
		"negative index":      `[{"index": -1, "message": {"content": "x"}}]`,
		"repeated index":      `[` + ok + `,` + ok + `]`,
	} {
		if err := chatOf(t, choices).Check(chat); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for name, choices := range map[string]string{
		"one":            `[` + ok + `]`,
		"none":           `[]`,
		"out of order":   `[{"index":1,"message":{"content":"b"}},{"index":0,"message":{"content":"a"}}]`,
		"filtered, null": `[{"index":0,"message":{"role":"assistant","content":null},"finish_reason":"content_filter"}]`,
	} {
		if err := chatOf(t, choices).Check(chat); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := chatOf(t, `[]`).Check(&Request{Type: gateway.TypeCompletions}); err == nil {
		t.Error("a chat answer to a completions request was accepted")
	}
	neg := int64(-5)
	r := chatOf(t, `[`+ok+`]`)
	r.Chat.Usage.TotalTokens = &neg
	if err := r.Check(chat); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("negative usage: %v", err)
	}
}

func TestCheckEmbeddingsCountAndShape(t *testing.T) {
	req := &Request{Type: gateway.TypeEmbeddings, Embeddings: &EmbeddingsRequest{Input: []string{"a", "b"}}}
	vec := func(i int, v ...float64) Embedding { return Embedding{Index: i, Embedding: v} }
	for name, data := range map[string][]Embedding{
		"too few":        {vec(0, 1)},
		"too many":       {vec(0, 1), vec(1, 2), vec(2, 3)},
		"null vector":    {vec(0, 1), {Index: 1}},
		"ragged":         {vec(0, 1, 2), vec(1, 3)},
		"repeated index": {vec(0, 1), vec(0, 2)},
	} {
		if err := (&Response{Embeddings: &EmbeddingsResponse{Data: data}}).Check(req); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := (&Response{Embeddings: &EmbeddingsResponse{Data: []Embedding{vec(0, 1), vec(1, 2)}}}).Check(req); err != nil {
		t.Error(err)
	}
}

func TestCheckChunkIndexWithinN(t *testing.T) {
	two := 2
	req := &Request{Type: gateway.TypeChat, Chat: &ChatRequest{Params: Params{N: &two}}}
	if err := CheckChunk(&Chunk{Choices: []ChunkChoice{{Index: 1}}}, req); err != nil {
		t.Error(err)
	}
	if err := CheckChunk(&Chunk{Choices: []ChunkChoice{{Index: 99999999999}}}, req); err == nil {
		t.Error("huge index accepted")
	}
	if err := CheckChunk(&Chunk{Choices: []ChunkChoice{{Index: 1}}}, &Request{Type: gateway.TypeChat, Chat: &ChatRequest{}}); err == nil {
		t.Error("index 1 without n accepted")
	}
}
