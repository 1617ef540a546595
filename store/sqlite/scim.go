package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"strings"
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

// SetExternalID implements gateway.SCIMLinkStore.
func (s *Store) SetExternalID(ctx context.Context, kind, resourceID, externalID string) error {
	return dbError(s.inWrite(ctx, func(tx *sql.Tx) error {
		if externalID == "" {
			_, err := tx.ExecContext(ctx, `DELETE FROM scim_external_ids WHERE kind = ? AND resource_id = ?`, kind, resourceID)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO scim_external_ids (kind, resource_id, external_id) VALUES (?, ?, ?)
			ON CONFLICT (kind, resource_id) DO UPDATE SET external_id = excluded.external_id`, kind, resourceID, externalID)
		return err
	}))
}

// ExternalIDs implements gateway.SCIMLinkStore, asking in chunks that stay under SQLite's
// bound on query parameters.
func (s *Store) ExternalIDs(ctx context.Context, kind string, resourceIDs []string) (map[string]string, error) {
	out := make(map[string]string)
	for chunk := range slices.Chunk(resourceIDs, 500) {
		args := []any{kind}
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := s.read.QueryContext(ctx, `SELECT resource_id, external_id FROM scim_external_ids
			WHERE kind = ? AND resource_id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, dbError(err)
		}
		for rows.Next() {
			var id, ext string
			if err := rows.Scan(&id, &ext); err != nil {
				rows.Close()
				return nil, dbError(err)
			}
			out[id] = ext
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, dbError(err)
		}
	}
	return out, nil
}

// ResourcesByExternalID implements gateway.SCIMLinkStore.
func (s *Store) ResourcesByExternalID(ctx context.Context, kind, externalID string) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT resource_id FROM scim_external_ids WHERE kind = ? AND external_id = ?
		ORDER BY resource_id`, kind, externalID)
	if err != nil {
		return nil, dbError(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, dbError(err)
		}
		ids = append(ids, id)
	}
	return ids, dbError(rows.Err())
}
