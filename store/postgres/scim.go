package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/llmgate/llmgate/gateway"
)

const scimTokenColumns = `id, name, hash, prefix, created_at, revoked_at`

// CreateSCIMToken implements gateway.SCIMTokenStore.
func (s *Store) CreateSCIMToken(ctx context.Context, t *gateway.SCIMToken, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO scim_tokens (`+scimTokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			t.ID, t.Name, t.Hash, t.Prefix, ts(t.CreatedAt), nullTS(t.RevokedAt))
		return err
	})
}

// RevokeSCIMToken implements gateway.SCIMTokenStore.
func (s *Store) RevokeSCIMToken(ctx context.Context, id string, at time.Time, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE scim_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`, ts(at), id)
		if err != nil {
			return err
		}
		return mustAffect(tag, "SCIM token")
	})
}

// ListSCIMTokens implements gateway.SCIMTokenStore.
func (s *Store) ListSCIMTokens(ctx context.Context) ([]gateway.SCIMToken, error) {
	return s.scimTokens(ctx, `SELECT `+scimTokenColumns+` FROM scim_tokens ORDER BY created_at DESC, id DESC`)
}

// SCIMTokenByHash implements gateway.SCIMTokenStore.
func (s *Store) SCIMTokenByHash(ctx context.Context, hash []byte) (*gateway.SCIMToken, error) {
	ts, err := s.scimTokens(ctx, `SELECT `+scimTokenColumns+` FROM scim_tokens WHERE hash = $1`, hash)
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, gateway.Errorf(gateway.CodeNotFound, "SCIM token not found")
	}
	return &ts[0], nil
}

func (s *Store) scimTokens(ctx context.Context, query string, args ...any) ([]gateway.SCIMToken, error) {
	rows, _ := s.pool.Query(ctx, query, args...)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (gateway.SCIMToken, error) {
		var t gateway.SCIMToken
		err := row.Scan(&t.ID, &t.Name, &t.Hash, &t.Prefix, &t.CreatedAt, &t.RevokedAt)
		t.CreatedAt, t.RevokedAt = t.CreatedAt.UTC(), utc(t.RevokedAt)
		return t, err
	})
	return out, dbError(err)
}
