package sqlite

import (
	"context"
	"path/filepath"
	"reflect"
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
	if err := s.appendEvents(ctx, txChain{tx, s.audit}, []*gateway.AuditEvent{queryEvent(1), queryEvent(2)}); err == nil {
		if err = tx.Commit(); err == nil {
			t.Fatal("an append whose context ended committed")
		}
	}
	head, err := s.AuditHead(t.Context())
	if err != nil || head.Seq != 0 {
		t.Fatalf("head %+v, %v after a cancelled append; want nothing appended", head, err)
	}
}

// Batches go in through multi-row INSERTs of insertRows' sizes; whatever the split, every
// event is stored once, in order, exactly as chained, and the chain verifies.
func TestBatchesOfEverySplitAreStoredInOrderAndVerify(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "llmgate.db"))
	var appended []gateway.AuditEvent
	n := 0
	for _, size := range []int{1, 2, 3, 7, 8, 9, 31, 32, 33, 41, 63, 75} {
		batch := make([]*gateway.AuditEvent, size)
		for i := range batch {
			batch[i] = queryEvent(n)
			n++
		}
		batch[size/2].Metadata["note"] = "naïve \"quoted\" <b>\x00\xff" // stored repaired, as chained
		if err := s.AppendAudit(t.Context(), batch); err != nil {
			t.Fatalf("batch of %d: %v", size, err)
		}
		for _, ev := range batch {
			appended = append(appended, *ev)
		}
	}
	stored, err := s.AuditChainPage(t.Context(), 0, n+1)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != n {
		t.Fatalf("%d events stored; want %d", len(stored), n)
	}
	for i := range stored {
		if !reflect.DeepEqual(stored[i], appended[i]) {
			t.Fatalf("event %d stored as %+v; appended %+v", i, stored[i], appended[i])
		}
	}
	if bad, reason := gateway.VerifyChain(nil, stored); bad >= 0 {
		t.Fatalf("event %d does not verify: %s", bad, reason)
	}
}
