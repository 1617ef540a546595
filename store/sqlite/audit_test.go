package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/llmgate/llmgate/gateway"
)

// The append's statements run without the context's cancellation (the driver's per-statement
// watcher cost more than the insert), so the append itself must notice a context that ends
// inside its transaction: it fails and the transaction commits nothing.
func TestAppendWhoseContextEndsInsideItsTransactionCommitsNothing(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "llmgate.db"))
	ctx, cancel := context.WithCancel(t.Context())
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	cancel() // after the transaction began, before its events are appended
	if err := s.appendEvents(ctx, tx, []*gateway.AuditEvent{queryEvent(1), queryEvent(2)}); err == nil {
		if err = tx.Commit(); err == nil {
			t.Fatal("an append whose context ended committed")
		}
	}
	head, err := s.AuditHead(t.Context())
	if err != nil || head.Seq != 0 {
		t.Fatalf("head %+v, %v after a cancelled append; want nothing appended", head, err)
	}
}
