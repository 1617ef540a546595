package respcache_test

import (
	"context"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/respcache"
	"github.com/llmgate/llmgate/respcache/memory"
)

// BenchmarkLookup is the cache's cost per query: the key of a typical chat request and an
// in-process lookup, missing and hitting.
func BenchmarkLookup(b *testing.B) {
	ep := &gateway.Endpoint{ID: "e1", Model: "gpt-4o-mini", UpdatedAt: time.Unix(1, 0)}
	temp := 0.2
	req := &llm.Request{Type: gateway.TypeChat, Chat: &llm.ChatRequest{Messages: []llm.Message{
		{Role: "system", Content: llm.StringContent("You are terse.")},
		{Role: "user", Content: llm.StringContent("How far is the moon from the earth in kilometres?")}},
		Params: llm.Params{Temperature: &temp}}}
	c := memory.New(64 << 20)
	ctx := context.Background()
	key, _ := respcache.Key(ep, req)
	c.Set(ctx, key, make([]byte, 600), time.Hour)
	b.Run("miss", func(b *testing.B) {
		other := *ep
		other.ID = "e2"
		b.ReportAllocs()
		for b.Loop() {
			k, _ := respcache.Key(&other, req)
			c.Get(ctx, k)
		}
	})
	b.Run("hit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			k, _ := respcache.Key(ep, req)
			c.Get(ctx, k)
		}
	})
}
