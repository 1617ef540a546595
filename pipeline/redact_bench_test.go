package pipeline

import (
	"testing"

	"github.com/llmgate/llmgate/redact"
)

// BenchmarkScrubberPerCall is the per-call cost of redaction setup for an endpoint with one
// credential: a cache hit (every call after the first) against building the scrubber anew.
func BenchmarkScrubberPerCall(b *testing.B) {
	key := "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"
	b.Run("cached", func(b *testing.B) {
		var c scrubberCache
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if c.get([]string{key}) == nil {
				b.Fatal("no scrubber")
			}
		}
	})
	b.Run("built", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if redact.New(key) == nil {
				b.Fatal("no scrubber")
			}
		}
	})
}
