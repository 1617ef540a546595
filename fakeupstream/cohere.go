package fakeupstream

import (
	"encoding/json"
	"net/http"

	"github.com/llmgate/llmgate/llm"
)

// Cohere v2 wire (docs.cohere.com/reference/chat): POST /v2/chat (JSON or typed SSE events
// when stream is true) and POST /v2/embed, Bearer key, {"id", "message"} error bodies.
func init() {
	Register(&Provider{
		Name:       "cohere",
		Routes:     []string{"POST /v2/chat", "POST /v2/embed"},
		Model:      func(_ *http.Request, body []byte) string { return parseCohere(body).Model },
		Credential: bearer,
		WriteError: func(w http.ResponseWriter, status int, message string) {
			if status == http.StatusUnauthorized {
				message = "invalid api token"
			}
			writeJSON(w, status, map[string]any{"id": "fake-cohere-error", "message": message})
		},
		Serve: serveCohere,
	})
}

type cohereRequest struct {
	Model     string        `json:"model"`
	Messages  []llm.Message `json:"messages"`
	Stream    bool          `json:"stream"`
	MaxTokens int           `json:"max_tokens"`
	Texts     []string      `json:"texts"`
	InputType string        `json:"input_type"`
}

func parseCohere(body []byte) cohereRequest {
	var r cohereRequest
	_ = json.Unmarshal(body, &r) // a broken body has no model; serveCohere answers 400
	return r
}

func serveCohere(x *Exchange) {
	var req cohereRequest
	if err := json.Unmarshal(x.Body, &req); err != nil {
		x.Error(http.StatusBadRequest, "invalid request: failed to decode JSON body")
		return
	}
	if x.R.URL.Path == "/v2/embed" {
		serveCohereEmbed(x, &req)
		return
	}
	prompt, promptTokens := chatPrompt(req.Messages)
	reply, cut := Truncate(x.Reply(prompt), req.MaxTokens)
	finish := "COMPLETE"
	if cut {
		finish = "MAX_TOKENS"
	}
	tokens := map[string]int64{"input_tokens": promptTokens, "output_tokens": Tokens(reply)}
	usage := map[string]any{"billed_units": tokens, "tokens": tokens}
	if req.Stream {
		streamCohere(x, reply, finish, usage)
		return
	}
	body, _ := json.Marshal(map[string]any{"id": "fake-cohere", "finish_reason": finish,
		"message": map[string]any{"role": "assistant", "content": []any{map[string]any{"type": "text", "text": reply}}}, "usage": usage})
	x.Write(http.StatusOK, "application/json", body)
}

func serveCohereEmbed(x *Exchange, req *cohereRequest) {
	if req.InputType == "" {
		x.Error(http.StatusBadRequest, "invalid request: input_type is required for embed v3 models")
		return
	}
	vectors := make([][]float64, len(req.Texts))
	var tokens int64
	for i, t := range req.Texts {
		vectors[i] = Embedding(t)
		tokens += Tokens(t)
	}
	body, _ := json.Marshal(map[string]any{"id": "fake-cohere-embed", "embeddings": map[string]any{"float": vectors}, "texts": req.Texts,
		"meta": map[string]any{"api_version": map[string]string{"version": "2"}, "billed_units": map[string]int64{"input_tokens": tokens}}, "response_type": "embeddings_by_type"})
	x.Write(http.StatusOK, "application/json", body)
}

// streamCohere sends v2's typed events: message-start, content-start, one content-delta per
// word, content-end, message-end with finish_reason and usage.
func streamCohere(x *Exchange, reply, finish string, usage map[string]any) {
	event := func(typ string, v map[string]any) []byte {
		v["type"] = typ
		b, _ := json.Marshal(v)
		return []byte("event: " + typ + "\ndata: " + string(b) + "\n\n")
	}
	events := [][]byte{
		event("message-start", map[string]any{"id": "fake-cohere", "delta": map[string]any{"message": map[string]any{"role": "assistant", "content": []any{}}}}),
		event("content-start", map[string]any{"index": 0, "delta": map[string]any{"message": map[string]any{"content": map[string]any{"type": "text", "text": ""}}}}),
	}
	for _, piece := range x.Pieces(reply) {
		events = append(events, event("content-delta", map[string]any{"index": 0, "delta": map[string]any{"message": map[string]any{"content": map[string]any{"text": piece}}}}))
	}
	events = append(events,
		event("content-end", map[string]any{"index": 0}),
		event("message-end", map[string]any{"delta": map[string]any{"finish_reason": finish, "usage": usage}}))
	x.StartStream("text/event-stream")
	for _, e := range events {
		if !x.Send(e) {
			return
		}
	}
	x.EndStream()
}
