package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

const scimTokenColumns = `id, name, hash, prefix, created_at, revoked_at`

// CreateSCIMToken implements gateway.SCIMTokenStore.
func (s *Store) CreateSCIMToken(ctx context.Context, t *gateway.SCIMToken, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO scim_tokens (`+scimTokenColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
			t.ID, t.Name, t.Hash, t.Prefix, millis(t.CreatedAt), nullMillis(t.RevokedAt))
		return err
	})
}

// RevokeSCIMToken implements gateway.SCIMTokenStore.
func (s *Store) RevokeSCIMToken(ctx context.Context, id string, at time.Time, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE scim_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, millis(at), id)
		if err != nil {
			return err
		}
		return mustAffect(res, "SCIM token")
	})
}

// ListSCIMTokens implements gateway.SCIMTokenStore.
func (s *Store) ListSCIMTokens(ctx context.Context) ([]gateway.SCIMToken, error) {
	return s.scimTokens(ctx, `SELECT `+scimTokenColumns+` FROM scim_tokens ORDER BY created_at DESC, rowid DESC`)
}

// SCIMTokenByHash implements gateway.SCIMTokenStore.
func (s *Store) SCIMTokenByHash(ctx context.Context, hash []byte) (*gateway.SCIMToken, error) {
	ts, err := s.scimTokens(ctx, `SELECT `+scimTokenColumns+` FROM scim_tokens WHERE hash = ?`, hash)
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, gateway.Errorf(gateway.CodeNotFound, "SCIM token not found")
	}
	return &ts[0], nil
}

func (s *Store) scimTokens(ctx context.Context, query string, args ...any) ([]gateway.SCIMToken, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbError(err)
	}
	defer rows.Close()
	var out []gateway.SCIMToken
	for rows.Next() {
		var t gateway.SCIMToken
		var created int64
		var revoked sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Name, &t.Hash, &t.Prefix, &created, &revoked); err != nil {
			return nil, dbError(err)
		}
		t.CreatedAt, t.RevokedAt = fromMillis(created), fromNullMillis(revoked)
		out = append(out, t)
	}
	return out, dbError(rows.Err())
}
