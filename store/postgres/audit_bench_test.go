package postgres_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// BenchmarkAppendAudit is the durable append's cost per event (ns/op is per event) at
// group-commit sizes the writer sees, with events shaped like the pipeline's access events,
// built before the timer starts. cpu-ns/op is this process's CPU per event (the gateway's
// share; the server's is not counted).
func BenchmarkAppendAudit(b *testing.B) {
	const distinct = 1024
	templates := make([]gateway.AuditEvent, distinct)
	for i := range templates {
		templates[i] = accessEvent(i)
	}
	for _, batch := range []int{1, 3, 8, 32, 128} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			s := open(b, schemaURL(b))
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

func accessEvent(i int) gateway.AuditEvent {
	return gateway.AuditEvent{Kind: gateway.KindAccessEndpoint, PerformedBy: "u-1", EndpointID: "ep-1", EndpointType: "llm/v1/chat",
		Metadata: map[string]string{"accessedByUsername": "bench", "accessedByUserId": "u-1", "apiKeyId": "k-1",
			"endpointName": "chat", "endpointId": "ep-1", "endpointType": "llm/v1/chat", "modelProvider": "openai",
			"modelName": "gpt-4o-mini", "outcome": "success", "httpStatus": "200", "latencyMs": "1", "promptTokens": "9",
			"completionTokens": "12", "totalTokens": "21", "stream": "false", "requestId": fmt.Sprintf("req-%d", i),
			"clientIp": "127.0.0.1", "userAgent": "OpenAI/Python 1.99", "api": "openai", "organizationIds": ""}}
}

// cpuTime is the CPU the process has used so far (user and system), in nanoseconds.
func cpuTime(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
