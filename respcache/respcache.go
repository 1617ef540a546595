// Package respcache is the response cache (opt-in per endpoint): exact-match answers to
// non-streamed queries, keyed by the endpoint (and its last change, so an edited endpoint
// never serves an old answer) and the canonical request, kept for the endpoint's TTL. Values
// are canonical answers (llm.Response JSON) already scrubbed of credentials, so any surface
// can render a hit. The Cache is in process with a memory bound (respcache/memory) or in
// Redis when replicas share one (respcache/redis), both held to one conformance suite.
package respcache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
)

// Cache stores answers by key.
type Cache interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
}

// MaxEntryBytes bounds one cached answer; larger answers are not cached.
const MaxEntryBytes = 1 << 20

// Key is the cache key of req for ep: a SHA-256 over the endpoint id, its last change, its
// model and the canonical request (every field and parameter).
func Key(ep *gateway.Endpoint, req *llm.Request) (string, bool) {
	var body any
	switch {
	case req.Chat != nil:
		body = struct {
			*llm.ChatRequest
			Extra map[string]json.RawMessage `json:"extra,omitempty"`
		}{req.Chat, req.Chat.Extra}
	case req.Completion != nil:
		body = struct {
			*llm.CompletionRequest
			Extra map[string]json.RawMessage `json:"extra,omitempty"`
		}{req.Completion, req.Completion.Extra}
	case req.Embeddings != nil:
		body = struct {
			Input []string                   `json:"input"`
			One   bool                       `json:"one"`
			Extra map[string]json.RawMessage `json:"extra,omitempty"`
		}{req.Embeddings.Input, req.Embeddings.InputIsString, req.Embeddings.Extra}
	}
	raw, err := json.Marshal(body) // map keys are sorted: the encoding is canonical
	if err != nil {
		return "", false
	}
	h := sha256.New()
	for _, part := range []string{ep.ID, strconv.FormatInt(ep.UpdatedAt.UnixNano(), 10), ep.Model, string(req.Type)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(raw)
	return hex.EncodeToString(h.Sum(nil)), true
}
