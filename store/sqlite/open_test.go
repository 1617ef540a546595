package sqlite

import (
	"database/sql"
	"path/filepath"
	"sync"
	"testing"

	"github.com/llmgate/llmgate/gateway"
)

func openTest(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestConnectionSettings checks the settings durability and integrity depend on, on both pools.
func TestConnectionSettings(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "llmgate.db"))
	want := map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "10000",
		"journal_size_limit": "67108864"}
	for pool, db := range map[string]*sql.DB{"write": s.write, "read": s.read} {
		for pragma, value := range want {
			var got string
			if err := db.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("%s pool: PRAGMA %s: %v", pool, pragma, err)
			}
			if got != value {
				t.Errorf("%s pool: %s = %s, want %s", pool, pragma, got, value)
			}
		}
	}
}

// The write connection never checkpoints inside a commit (checkpoint.go); the checkpointer does.
func TestWriterDoesNotCheckpointInItsCommits(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "llmgate.db"))
	var got int
	if err := s.write.QueryRowContext(t.Context(), "PRAGMA wal_autocheckpoint").Scan(&got); err != nil || got != 0 {
		t.Fatalf("write pool wal_autocheckpoint = %d, %v; want 0", got, err)
	}
}

// TestOpenRace opens one new file from several goroutines at once, as processes starting
// together would: each migration must be applied exactly once and every store must work.
func TestOpenRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "llmgate.db")
	stores := make([]*Store, 5)
	errs := make([]error, len(stores))
	var wg sync.WaitGroup
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = Open(t.Context(), path)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	var rows, distinct int
	err := stores[0].read.QueryRowContext(t.Context(), `SELECT count(*), count(DISTINCT version) FROM schema_version`).Scan(&rows, &distinct)
	if err != nil {
		t.Fatal(err)
	}
	if rows == 0 || rows != distinct {
		t.Fatalf("schema_version has %d rows for %d versions", rows, distinct)
	}
}

// TestReopenKeepsData checks that reopening applies nothing twice and loses nothing.
func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "llmgate.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	u := &gateway.User{ID: gateway.NewID(), UserName: "alice", CreatedAt: gateway.Now()}
	if err := s.CreateUser(t.Context(), u, &gateway.AuditEvent{Kind: gateway.KindCreateUser}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	st, err := openTest(t, path).LoadState(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Users) != 1 || st.Users[0] != *u || st.Version != 1 {
		t.Fatalf("after reopening: version %d, users %+v; want version 1 and %+v", st.Version, st.Users, *u)
	}
}

// TestTamperingIsVisible edits the file the way an attacker with SQL access would; the
// store must return what is stored, so verification can notice.
func TestTamperingIsVisible(t *testing.T) {
	path := filepath.Join(t.TempDir(), "llmgate.db")
	s := openTest(t, path)
	events := []*gateway.AuditEvent{
		{Kind: gateway.KindAccessEndpoint, Metadata: map[string]string{"outcome": gateway.OutcomeDenied}},
		{Kind: gateway.KindAccessEndpoint, Metadata: map[string]string{"outcome": gateway.OutcomeSuccess}},
		{Kind: gateway.KindAccessEndpoint, Metadata: map[string]string{"outcome": gateway.OutcomeSuccess}},
	}
	if err := s.AppendAudit(t.Context(), events); err != nil {
		t.Fatal(err)
	}
	attacker, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer attacker.Close()
	steps := []struct {
		name, sql string
		bad       int // first event VerifyChain must report; -1: none, but the head must not match
	}{
		{"newest event deleted", `DELETE FROM audit_events WHERE seq = 3`, -1},
		{"event content changed", `UPDATE audit_events SET metadata = '{"outcome":"success"}' WHERE seq = 1`, 0},
	}
	for _, step := range steps {
		if _, err := attacker.ExecContext(t.Context(), step.sql); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		chain, err := s.AuditChainPage(t.Context(), 0, 100)
		if err != nil {
			t.Fatalf("%s: AuditChainPage: %v", step.name, err)
		}
		head, err := s.AuditHead(t.Context())
		if err != nil {
			t.Fatalf("%s: AuditHead: %v", step.name, err)
		}
		bad, _ := gateway.VerifyChain(nil, chain)
		headOK := len(chain) > 0 && chain[len(chain)-1].Hash == head.Hash
		if bad != step.bad || (step.bad == -1 && headOK) {
			t.Fatalf("%s: VerifyChain bad=%d, head matches=%v; want bad=%d (a head mismatch when -1)", step.name, bad, headOK, step.bad)
		}
	}
}
