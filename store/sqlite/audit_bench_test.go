package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/llmgate/llmgate/gateway"
)

// queryEvent is an access event shaped like the pipeline's (pipeline/audit.go metadata).
func queryEvent(i int) *gateway.AuditEvent {
	return &gateway.AuditEvent{Kind: gateway.KindAccessEndpoint, PerformedBy: "u-1", EndpointID: "ep-1", EndpointType: "llm/v1/chat",
		Metadata: map[string]string{"accessedByUsername": "bench", "accessedByUserId": "u-1", "apiKeyId": "k-1",
			"endpointName": "chat", "endpointId": "ep-1", "endpointType": "llm/v1/chat", "modelProvider": "openai",
			"modelName": "gpt-4o-mini", "outcome": "success", "httpStatus": "200", "latencyMs": "1", "promptTokens": "9",
			"completionTokens": "12", "totalTokens": "21", "stream": "false", "requestId": fmt.Sprintf("req-%d", i),
			"clientIp": "127.0.0.1", "userAgent": "OpenAI/Python 1.99", "api": "openai", "organizationIds": ""}}
}

// BenchmarkAppendAudit is the durable append's cost per event at group-commit sizes the writer
// sees: one caller, and batches as they form under load.
func BenchmarkAppendAudit(b *testing.B) {
	for _, batch := range []int{1, 8, 32, 128} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			s, err := Open(context.Background(), filepath.Join(b.TempDir(), "llmgate.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for n := 0; n < b.N; n += batch {
				events := make([]*gateway.AuditEvent, batch)
				for i := range events {
					events[i] = queryEvent(n + i)
				}
				if err := s.AppendAudit(ctx, events); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
