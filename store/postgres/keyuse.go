package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// RecordKeyUses implements gateway.KeyUseStore: one statement for the whole batch.
func (s *Store) RecordKeyUses(ctx context.Context, used map[string]time.Time) error {
	if len(used) == 0 {
		return nil
	}
	ids, times := make([]string, 0, len(used)), make([]time.Time, 0, len(used))
	for id, t := range used {
		ids, times = append(ids, id), append(times, ts(t))
	}
	_, err := s.pool.Exec(ctx, `UPDATE api_keys k SET last_used_at = GREATEST(k.last_used_at, u.t)
		FROM unnest($1::text[], $2::timestamptz[]) AS u(id, t) WHERE k.id = u.id`, ids, times)
	return dbError(err)
}

// KeysLastUsed implements gateway.KeyUseStore.
func (s *Store) KeysLastUsed(ctx context.Context) (map[string]time.Time, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, last_used_at FROM api_keys
		WHERE revoked_at IS NULL AND last_used_at IS NOT NULL`)
	if err != nil {
		return nil, dbError(err)
	}
	out := map[string]time.Time{}
	var id string
	var t time.Time
	_, err = pgx.ForEachRow(rows, []any{&id, &t}, func() error {
		out[id] = t.UTC()
		return nil
	})
	return out, dbError(err)
}
