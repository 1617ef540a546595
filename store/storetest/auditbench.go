package storetest

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// AccessEvent is an access event shaped like the pipeline's (pipeline/audit.go metadata), the
// i-th of a run (its requestId differs).
func AccessEvent(i int) *gateway.AuditEvent {
	return &gateway.AuditEvent{Kind: gateway.KindAccessEndpoint, PerformedBy: "u-1", EndpointID: "ep-1", EndpointType: "llm/v1/chat",
		Metadata: map[string]string{"accessedByUsername": "bench", "accessedByUserId": "u-1", "apiKeyId": "k-1",
			"endpointName": "chat", "endpointId": "ep-1", "endpointType": "llm/v1/chat", "modelProvider": "openai",
			"modelName": "gpt-4o-mini", "outcome": "success", "httpStatus": "200", "latencyMs": "1", "promptTokens": "9",
			"completionTokens": "12", "totalTokens": "21", "stream": "false", "requestId": fmt.Sprintf("req-%d", i),
			"clientIp": "127.0.0.1", "userAgent": "OpenAI/Python 1.99", "api": "openai", "organizationIds": ""}}
}

// BenchAppendAudit is a store's durable append cost per event (ns/op is per event) at the
// group-commit sizes audit.Writer forms: one caller, and batches as they form under load. open
// returns a fresh store for each size. The events are built before the timer starts (the
// pipeline builds them, not the store), and each batch gets a deadline as the writer's commit
// gives it, since drivers do more per statement for a context that can end. cpu-ns/op is this
// process's CPU (user + system, GC included) per event — the gateway's share, a database
// server's not counted; ns/op also holds the fsync waits, which a loaded machine stretches.
func BenchAppendAudit(b *testing.B, open func(b *testing.B) gateway.AuditLog) {
	const distinct = 1024
	templates := make([]gateway.AuditEvent, distinct)
	for i := range templates {
		templates[i] = *AccessEvent(i)
	}
	for _, batch := range []int{1, 3, 8, 32, 128} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			s := open(b)
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
