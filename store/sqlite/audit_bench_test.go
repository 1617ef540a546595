package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/store/storetest"
)

// queryEvent is an access event shaped like the pipeline's.
func queryEvent(i int) *gateway.AuditEvent { return storetest.AccessEvent(i) }

// BenchmarkAppendAudit: storetest.BenchAppendAudit on a fresh database file per batch size.
func BenchmarkAppendAudit(b *testing.B) {
	storetest.BenchAppendAudit(b, func(b *testing.B) gateway.AuditLog {
		s, err := Open(context.Background(), filepath.Join(b.TempDir(), "llmgate.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	})
}
