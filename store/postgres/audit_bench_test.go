package postgres_test

import (
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/store/storetest"
)

// BenchmarkAppendAudit: storetest.BenchAppendAudit on a fresh schema per batch size; cpu-ns/op
// is the gateway's side only (the server's CPU is not counted).
func BenchmarkAppendAudit(b *testing.B) {
	storetest.BenchAppendAudit(b, func(b *testing.B) gateway.AuditLog { return open(b, schemaURL(b)) })
}
