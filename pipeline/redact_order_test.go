package pipeline

import (
	"testing"

	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/redact"
)

// A provider whose last chunk carries text and the finish reason together (Gemini, Vertex)
// must get its held-back tail after that chunk's released text, not before it: "hello please"
// once came out as "helloe pleas".
func TestScrubbedStreamKeepsTextOrder(t *testing.T) {
	cs := &chunkScrubber{s: redact.New("fake-gemini-key"), choices: map[int]*redact.Stream{}}
	in := []llm.Chunk{
		{Choices: []llm.ChunkChoice{{Role: "assistant", Content: "echo: stream says"}}},
		{Choices: []llm.ChunkChoice{{Content: " hello please", FinishReason: "stop"}}},
	}
	var text string
	var finishes int
	for _, c := range cs.chunks(in) {
		for _, ch := range c.Choices {
			text += ch.Content
			if ch.FinishReason != "" {
				finishes++
			}
		}
	}
	if text != "echo: stream says hello please" || finishes != 1 {
		t.Fatalf("text %q, %d finishes", text, finishes)
	}
	// A finish-only chunk still gets the held tail in a chunk of its own before it.
	cs = &chunkScrubber{s: redact.New("fake-gemini-key"), choices: map[int]*redact.Stream{}}
	out := cs.chunks([]llm.Chunk{{Choices: []llm.ChunkChoice{{Content: "hello please"}}}, {Choices: []llm.ChunkChoice{{FinishReason: "stop"}}}})
	last := out[len(out)-1]
	text = ""
	for _, c := range out {
		text += c.Choices[0].Content
	}
	if text != "hello please" || last.Choices[0].Content != "" || last.Choices[0].FinishReason != "stop" {
		t.Fatalf("finish-only: %+v", out)
	}
}
