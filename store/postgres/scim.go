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

// SetExternalID implements gateway.SCIMLinkStore.
func (s *Store) SetExternalID(ctx context.Context, kind, resourceID, externalID string) error {
	if externalID == "" {
		_, err := s.pool.Exec(ctx, `DELETE FROM scim_external_ids WHERE kind = $1 AND resource_id = $2`, kind, resourceID)
		return dbError(err)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO scim_external_ids (kind, resource_id, external_id) VALUES ($1, $2, $3)
		ON CONFLICT (kind, resource_id) DO UPDATE SET external_id = excluded.external_id`, kind, resourceID, externalID)
	return dbError(err)
}

// ExternalIDs implements gateway.SCIMLinkStore.
func (s *Store) ExternalIDs(ctx context.Context, kind string, resourceIDs []string) (map[string]string, error) {
	out := make(map[string]string)
	if len(resourceIDs) == 0 {
		return out, nil
	}
	rows, _ := s.pool.Query(ctx, `SELECT resource_id, external_id FROM scim_external_ids
		WHERE kind = $1 AND resource_id = ANY($2)`, kind, resourceIDs)
	var id, ext string
	_, err := pgx.ForEachRow(rows, []any{&id, &ext}, func() error {
		out[id] = ext
		return nil
	})
	return out, dbError(err)
}

// ResourcesByExternalID implements gateway.SCIMLinkStore.
func (s *Store) ResourcesByExternalID(ctx context.Context, kind, externalID string) ([]string, error) {
	rows, _ := s.pool.Query(ctx, `SELECT resource_id FROM scim_external_ids WHERE kind = $1 AND external_id = $2
		ORDER BY resource_id`, kind, externalID)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return ids, dbError(err)
}
