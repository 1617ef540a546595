package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/llmgate/llmgate/gateway"
)

// PruneAudit deletes the events up to upTo and records their anchor in one transaction.
// It holds the chain head's row lock, so prunes by several replicas (and appends) take turns
// and the anchor only ever moves forward.
func (s *Store) PruneAudit(ctx context.Context, upTo int64) (gateway.AuditAnchor, error) {
	var a gateway.AuditAnchor
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM audit_head WHERE id = 1 FOR UPDATE`); err != nil {
			return err
		}
		var cur int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE((SELECT seq FROM audit_anchor WHERE id = 1), 0)`).Scan(&cur); err != nil {
			return err
		}
		a = gateway.AuditAnchor{Seq: upTo}
		if upTo <= cur {
			return gateway.Errorf(gateway.CodeInvalid, "audit events up to seq %d are already pruned", cur)
		}
		err := tx.QueryRow(ctx, `SELECT hash FROM audit_events WHERE seq = $1`, upTo).Scan(&a.Hash)
		if errors.Is(err, pgx.ErrNoRows) {
			return gateway.Errorf(gateway.CodeInvalid, "no audit event with seq %d to prune up to", upTo)
		} else if err != nil {
			return err
		}
		key, err := gateway.CurrentAuditKey(s.auditKeys)
		if err != nil {
			return err
		}
		if key.ID == "" {
			return gateway.Errorf(gateway.CodeInvalid, "pruning the audit trail needs the audit chain key")
		}
		a.KeyID, a.MAC = key.ID, gateway.AnchorMAC(key, a)
		if _, err := tx.Exec(ctx, `DELETE FROM audit_events WHERE seq <= $1`, upTo); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_anchor (id, seq, hash, key_id, mac) VALUES (1, $1, $2, $3, $4)
			ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, key_id = excluded.key_id, mac = excluded.mac`,
			a.Seq, a.Hash, a.KeyID, a.MAC)
		return err
	})
	return a, dbError(err)
}

// AuditAnchor returns the retention anchor, or the zero anchor.
func (s *Store) AuditAnchor(ctx context.Context) (gateway.AuditAnchor, error) {
	var a gateway.AuditAnchor
	err := s.pool.QueryRow(ctx, `SELECT seq, hash, key_id, mac FROM audit_anchor WHERE id = 1`).Scan(&a.Seq, &a.Hash, &a.KeyID, &a.MAC)
	if errors.Is(err, pgx.ErrNoRows) {
		return gateway.AuditAnchor{}, nil
	}
	return a, dbError(err)
}
