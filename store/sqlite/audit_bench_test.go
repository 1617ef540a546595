package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

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

// BenchmarkAppendAudit is the durable append's cost per event (ns/op is per event) at
// group-commit sizes the writer sees: one caller, and batches as they form under load. The
// events are built before the timer starts (the pipeline builds them, not the store), and each
// batch gets a deadline as audit.Writer's commit gives it, since the driver does more per
// statement for a context that can end. cpu-ns/op is the process's CPU (user + system, GC
// included) per event: ns/op also holds the fsync waits, which a loaded machine stretches.
func BenchmarkAppendAudit(b *testing.B) {
	const distinct = 1024
	templates := make([]gateway.AuditEvent, distinct)
	for i := range templates {
		templates[i] = *queryEvent(i)
	}
	for _, batch := range []int{1, 3, 8, 32, 128} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			s, err := Open(context.Background(), filepath.Join(b.TempDir(), "llmgate.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			storage := make([]gateway.AuditEvent, batch)
			events := make([]*gateway.AuditEvent, batch)
			b.ReportAllocs()
			cpu0 := cpuTime(b)
			b.ResetTimer()
			for n := 0; n < b.N; n += batch {
				for i := range events {
					storage[i] = templates[(n+i)%distinct] // a fresh copy: the append sets ID, Seq, hashes
					events[i] = &storage[i]
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				err := s.AppendAudit(ctx, events)
				cancel()
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU the process has used so far (user and system), in nanoseconds.
func cpuTime(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
