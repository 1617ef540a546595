package pipeline

import (
	"testing"

	"github.com/llmgate/llmgate/llm"
)

func TestFillEnvelopeSetsWhatProvidersOmit(t *testing.T) {
	chat := &llm.Response{Chat: &llm.ChatResponse{}}
	fillEnvelope(chat, "gemini-2.0-flash")
	if chat.Chat.ID == "" || chat.Chat.Created == 0 || chat.Chat.Model != "gemini-2.0-flash" || chat.Chat.Object != "chat.completion" {
		t.Fatalf("chat envelope not filled: %+v", chat.Chat)
	}
	kept := &llm.Response{Completion: &llm.CompletionResponse{Created: 42, Model: "m-from-provider", Object: "text_completion"}}
	fillEnvelope(kept, "configured")
	if kept.Completion.Created != 42 || kept.Completion.Model != "m-from-provider" {
		t.Fatalf("provider values overwritten: %+v", kept.Completion)
	}
	emb := &llm.Response{Embeddings: &llm.EmbeddingsResponse{}}
	fillEnvelope(emb, "embed-v3")
	if emb.Embeddings.Object != "list" || emb.Embeddings.Model != "embed-v3" {
		t.Fatalf("embeddings envelope not filled: %+v", emb.Embeddings)
	}
}
