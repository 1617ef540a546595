package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

func appendN(t *testing.T, s *Store, from, n int) error {
	t.Helper()
	batch := make([]*gateway.AuditEvent, n)
	for i := range batch {
		batch[i] = queryEvent(from + i)
	}
	return s.AppendAudit(t.Context(), batch)
}

func checkChain(t *testing.T, s *Store, want int64) {
	t.Helper()
	head, err := s.AuditHead(t.Context())
	if err != nil || head.Seq != want {
		t.Fatalf("head %+v, %v; want seq %d", head, err, want)
	}
	stored, err := s.AuditChainPage(t.Context(), 0, int(want)+10)
	if err != nil || int64(len(stored)) != want {
		t.Fatalf("%d events stored, %v; want %d", len(stored), err, want)
	}
	if bad, reason := gateway.VerifyChain(nil, stored); bad >= 0 {
		t.Fatalf("chain broken at %d: %s", bad, reason)
	}
	if want > 0 && stored[want-1].Hash != head.Hash {
		t.Fatal("the head is not the last event's hash")
	}
}

// A statement failing inside the append (here the second INSERT of a batch of 33, after the
// first inserted 32 rows) rolls the whole transaction back: nothing of it is stored, the
// write connection is not left inside a transaction (a mutation and another process can
// write), and the next append continues the chain.
func TestAFailedAppendRollsBackAndLeavesTheConnectionUsable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "llmgate.db")
	s := openTest(t, path)
	if err := appendN(t, s, 0, 3); err != nil {
		t.Fatal(err)
	}
	usageBefore := usageRows(t, s)
	// A stray row where the batch's second statement inserts: its primary key collides.
	if _, err := s.write.ExecContext(t.Context(), `INSERT INTO audit_events (seq, id, kind, ts, performed_by,
		endpoint_id, endpoint_type, endpoint_name, username, metadata, prev_hash, hash)
		VALUES (3 + 33, 'stray', 'x', 0, '', '', '', '', '', 'null', '', '')`); err != nil {
		t.Fatal(err)
	}
	if err := appendN(t, s, 3, 33); err == nil {
		t.Fatal("an append over a colliding row succeeded")
	}
	// A transaction of its own: BEGIN IMMEDIATE fails on a connection still inside one.
	if err := s.inWrite(t.Context(), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(t.Context(), `DELETE FROM audit_events WHERE id = 'stray'`)
		return err
	}); err != nil {
		t.Fatalf("the write connection after the failed append: %v", err)
	}
	checkChain(t, s, 3)
	if got := usageRows(t, s); got != usageBefore {
		t.Fatalf("usage rows %d after the failed append; want %d", got, usageBefore)
	}
	other := openTest(t, path) // another process: the write lock must be free
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if err := other.AppendAudit(ctx, []*gateway.AuditEvent{queryEvent(50)}); err != nil {
		t.Fatalf("another process after the failed append: %v", err)
	}
	if err := appendN(t, s, 51, 33); err != nil {
		t.Fatal(err)
	}
	checkChain(t, s, 3+1+33)
}

// An append whose context has ended fails without leaving a transaction open, and the next
// one goes through.
func TestAnAppendWithAnEndedContextLeavesNothingOpen(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "llmgate.db"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.AppendAudit(ctx, []*gateway.AuditEvent{queryEvent(1)}); err == nil {
		t.Fatal("an append with an ended context succeeded")
	}
	if err := appendN(t, s, 2, 2); err != nil {
		t.Fatal(err)
	}
	checkChain(t, s, 2)
}

// A ROLLBACK that fails marks the connection bad: database/sql closes it rather than pool
// it, and the next append prepares its statements on a fresh connection.
func TestAFailedRollbackDiscardsTheConnection(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "llmgate.db"))
	if err := appendN(t, s, 0, 1); err != nil {
		t.Fatal(err)
	}
	conn, err := s.write.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var first any
	err = conn.Raw(func(dc any) error {
		first = dc
		s.raw.mu.Lock()
		defer s.raw.mu.Unlock()
		return s.raw.abort(errors.New("injected")) // no transaction is open: ROLLBACK fails
	})
	conn.Close()
	if !errors.Is(err, driver.ErrBadConn) {
		t.Fatalf("abort without a transaction: %v; want driver.ErrBadConn", err)
	}
	if err := appendN(t, s, 1, 1); err != nil {
		t.Fatal(err)
	}
	if s.raw.conn == nil || s.raw.conn == first {
		t.Fatal("the append did not move to a fresh connection")
	}
	checkChain(t, s, 2)
}

func usageRows(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.read.QueryRowContext(t.Context(), `SELECT COALESCE(SUM(requests), 0) FROM usage_hourly`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
