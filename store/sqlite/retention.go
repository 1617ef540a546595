package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/llmgate/llmgate/gateway"
)

// PruneAudit deletes the events up to upTo and records their anchor, in one write
// transaction (SQLite's single writer orders it against appends and other prunes).
func (s *Store) PruneAudit(ctx context.Context, upTo int64) (gateway.AuditAnchor, error) {
	var a gateway.AuditAnchor
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		var cur int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT seq FROM audit_anchor WHERE id = 1), 0)`).Scan(&cur); err != nil {
			return err
		}
		var err error
		if a, err = newAnchor(s.auditKeys, cur, upTo, func(dst *string) error {
			return tx.QueryRowContext(ctx, `SELECT hash FROM audit_events WHERE seq = ?`, upTo).Scan(dst)
		}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM audit_events WHERE seq <= ?`, upTo); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO audit_anchor (id, seq, hash, key_id, mac) VALUES (1, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, key_id = excluded.key_id, mac = excluded.mac`,
			a.Seq, a.Hash, a.KeyID, a.MAC)
		return err
	})
	return a, dbError(err)
}

// newAnchor checks upTo against the current anchor, reads its hash with readHash and MACs it
// under the current chain key. Without a key there is no pruning: an unkeyed anchor could be
// forged by anyone who can write the database.
func newAnchor(keys gateway.AuditKeys, current, upTo int64, readHash func(*string) error) (gateway.AuditAnchor, error) {
	a := gateway.AuditAnchor{Seq: upTo}
	if upTo <= current {
		return a, gateway.Errorf(gateway.CodeInvalid, "audit events up to seq %d are already pruned", current)
	}
	if err := readHash(&a.Hash); errors.Is(err, sql.ErrNoRows) {
		return a, gateway.Errorf(gateway.CodeInvalid, "no audit event with seq %d to prune up to", upTo)
	} else if err != nil {
		return a, err
	}
	key, err := gateway.CurrentAuditKey(keys)
	if err != nil {
		return a, err
	}
	if key.ID == "" {
		return a, gateway.Errorf(gateway.CodeInvalid, "pruning the audit trail needs the audit chain key")
	}
	a.KeyID, a.MAC = key.ID, gateway.AnchorMAC(key, a)
	return a, nil
}

// AuditAnchor returns the retention anchor, or the zero anchor.
func (s *Store) AuditAnchor(ctx context.Context) (gateway.AuditAnchor, error) {
	var a gateway.AuditAnchor
	err := s.read.QueryRowContext(ctx, `SELECT seq, hash, key_id, mac FROM audit_anchor WHERE id = 1`).Scan(&a.Seq, &a.Hash, &a.KeyID, &a.MAC)
	if errors.Is(err, sql.ErrNoRows) {
		return gateway.AuditAnchor{}, nil
	}
	return a, dbError(err)
}
