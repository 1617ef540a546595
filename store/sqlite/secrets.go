package sqlite

import (
	"context"
	"database/sql"

	"github.com/llmgate/llmgate/gateway"
)

// PutSecret stores a sealed secret, replacing one with the same ID.
func (s *Store) PutSecret(ctx context.Context, sec *gateway.SealedSecret) error {
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sealed_secrets (id, master_key_id, wrapped_key, ciphertext, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET master_key_id = excluded.master_key_id,
			wrapped_key = excluded.wrapped_key, ciphertext = excluded.ciphertext, created_at = excluded.created_at`,
			sec.ID, sec.MasterKeyID, sec.WrappedKey, sec.Ciphertext, millis(sec.CreatedAt))
		return err
	})
	return dbError(err)
}

// GetSecret returns one sealed secret.
func (s *Store) GetSecret(ctx context.Context, id string) (*gateway.SealedSecret, error) {
	list, err := querySecrets(ctx, s.read, `WHERE id = ?`, id)
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
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sealed_secrets WHERE id = ?`, id)
		if err != nil {
			return err
		}
		return mustAffect(res, "secret")
	})
	return dbError(err)
}

// ListSecrets returns every sealed secret ordered by ID (master key rotation walks them all).
func (s *Store) ListSecrets(ctx context.Context) ([]gateway.SealedSecret, error) {
	list, err := querySecrets(ctx, s.read, `ORDER BY id`)
	return list, dbError(err)
}

// UpdateSecretWrapping replaces only the wrapped data key and its master key id.
func (s *Store) UpdateSecretWrapping(ctx context.Context, sec *gateway.SealedSecret) error {
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sealed_secrets SET master_key_id = ?, wrapped_key = ? WHERE id = ?`,
			sec.MasterKeyID, sec.WrappedKey, sec.ID)
		if err != nil {
			return err
		}
		return mustAffect(res, "secret")
	})
	return dbError(err)
}

func querySecrets(ctx context.Context, q querier, tail string, args ...any) ([]gateway.SealedSecret, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, master_key_id, wrapped_key, ciphertext, created_at FROM sealed_secrets `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []gateway.SealedSecret
	for rows.Next() {
		var sec gateway.SealedSecret
		var created int64
		if err := rows.Scan(&sec.ID, &sec.MasterKeyID, &sec.WrappedKey, &sec.Ciphertext, &created); err != nil {
			return nil, err
		}
		sec.CreatedAt = fromMillis(created)
		out = append(out, sec)
	}
	return out, rows.Err()
}
