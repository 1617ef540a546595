package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/llmgate/llmgate/gateway"
)

// PutSecret stores a sealed secret, replacing one with the same ID.
func (s *Store) PutSecret(ctx context.Context, sec *gateway.SealedSecret) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sealed_secrets (id, master_key_id, wrapped_key, ciphertext, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET master_key_id = excluded.master_key_id,
		wrapped_key = excluded.wrapped_key, ciphertext = excluded.ciphertext, created_at = excluded.created_at`,
		sec.ID, sec.MasterKeyID, sec.WrappedKey, sec.Ciphertext, ts(sec.CreatedAt))
	return dbError(err)
}

// GetSecret returns one sealed secret.
func (s *Store) GetSecret(ctx context.Context, id string) (*gateway.SealedSecret, error) {
	list, err := querySecrets(ctx, `WHERE id = $1`, s.pool, id)
	if err != nil {
		return nil, dbError(err)
	}
	if len(list) == 0 {
		return nil, gateway.Errorf(gateway.CodeNotFound, "secret not found")
	}
	return &list[0], nil
}

// DeleteSecret removes one sealed secret; a missing one is CodeNotFound.
func (s *Store) DeleteSecret(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sealed_secrets WHERE id = $1`, id)
	if err != nil {
		return dbError(err)
	}
	return mustAffect(tag, "secret")
}

// ListSecrets returns every sealed secret ordered by ID (master key rotation walks them all).
func (s *Store) ListSecrets(ctx context.Context) ([]gateway.SealedSecret, error) {
	list, err := querySecrets(ctx, `ORDER BY id`, s.pool)
	return list, dbError(err)
}

// UpdateSecretWrapping replaces only the wrapped data key and its master key id.
func (s *Store) UpdateSecretWrapping(ctx context.Context, sec *gateway.SealedSecret) error {
	tag, err := s.pool.Exec(ctx, `UPDATE sealed_secrets SET master_key_id = $1, wrapped_key = $2 WHERE id = $3`,
		sec.MasterKeyID, sec.WrappedKey, sec.ID)
	if err != nil {
		return dbError(err)
	}
	return mustAffect(tag, "secret")
}

func querySecrets(ctx context.Context, tail string, q querier, args ...any) ([]gateway.SealedSecret, error) {
	rows, _ := q.Query(ctx, `SELECT id, master_key_id, wrapped_key, ciphertext, created_at FROM sealed_secrets `+tail, args...)
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (gateway.SealedSecret, error) {
		var sec gateway.SealedSecret
		err := row.Scan(&sec.ID, &sec.MasterKeyID, &sec.WrappedKey, &sec.Ciphertext, &sec.CreatedAt)
		sec.CreatedAt = sec.CreatedAt.UTC()
		return sec, err
	})
	return nilIfEmpty(list), err
}
