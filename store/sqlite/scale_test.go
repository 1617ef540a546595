package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/llmgate/llmgate/gateway"
)

// seedScale writes users, one key each, and endpoints in one transaction (far faster than one
// audited mutation each; what is measured is reading them back).
func seedScale(b *testing.B, s *Store, users, endpoints int) {
	ctx := context.Background()
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		now := gateway.Now()
		for i := range users {
			id := gateway.NewID()
			_, err := tx.ExecContext(ctx, `INSERT INTO users (id, user_name, email, first_name, last_name, admin, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, id, fmt.Sprintf("user-%06d", i), fmt.Sprintf("user-%06d@example.org", i), "First", "Last", false, millis(now))
			if err != nil {
				return err
			}
			h := gateway.HashKey(fmt.Sprintf("lgk_scale_%06d_%s", i, id))
			_, err = tx.ExecContext(ctx, `INSERT INTO api_keys (`+keyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				gateway.NewID(), id, "k", h[:], "lgk_scal", millis(now), nil, nil, nil)
			if err != nil {
				return err
			}
		}
		for i := range endpoints {
			e := &gateway.Endpoint{ID: gateway.NewID(), Name: fmt.Sprintf("scale-%05d", i), Type: gateway.TypeChat, Provider: "openai",
				Model: "gpt-4o-mini", Config: map[string]string{"openai_api_base": "https://llm.example.org/v1"},
				Secrets:     map[string]gateway.SecretRef{"openai_api_key": {Ref: "local:" + gateway.NewID(), Owned: true}},
				Permissions: gateway.Permissions{IsEveryoneAllowed: true}, CreatedAt: now, UpdatedAt: now}
			args, err := endpointArgs(e)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO endpoints (`+endpointColumns+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkLoadStateAtScale measures what a start or another process's change costs with
// 10,000 endpoints, 100,000 users and 100,000 keys: reading the state and indexing it, and the
// heap the snapshot keeps.
func BenchmarkLoadStateAtScale(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "llmgate.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	seedScale(b, s, 100_000, 10_000)
	var snap *gateway.Snapshot
	for b.Loop() {
		st, err := s.LoadState(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		snap = gateway.NewSnapshot(st)
	}
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	b.ReportMetric(float64(m.HeapAlloc)/(1<<20), "heap-MiB")
	runtime.KeepAlive(snap)
}
