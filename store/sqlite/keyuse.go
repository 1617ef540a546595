package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// RecordKeyUses implements gateway.KeyUseStore: one write transaction for the whole batch.
func (s *Store) RecordKeyUses(ctx context.Context, used map[string]time.Time) error {
	if len(used) == 0 {
		return nil
	}
	return dbError(s.inWrite(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE api_keys SET last_used_at = MAX(COALESCE(last_used_at, 0), ?) WHERE id = ?`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for id, t := range used {
			if _, err := stmt.ExecContext(ctx, millis(t), id); err != nil {
				return err
			}
		}
		return nil
	}))
}

// KeysLastUsed implements gateway.KeyUseStore.
func (s *Store) KeysLastUsed(ctx context.Context) (map[string]time.Time, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, last_used_at FROM api_keys
		WHERE revoked_at IS NULL AND last_used_at IS NOT NULL`)
	if err != nil {
		return nil, dbError(err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var id string
		var ms int64
		if err := rows.Scan(&id, &ms); err != nil {
			return nil, dbError(err)
		}
		out[id] = fromMillis(ms)
	}
	return out, dbError(rows.Err())
}
