package sqlite

import (
	"context"
	"database/sql"

	"github.com/llmgate/llmgate/gateway"
)

// SetUserAdmin implements gateway.StateStore.
func (s *Store) SetUserAdmin(ctx context.Context, userID string, admin bool, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET admin = ? WHERE id = ?`, admin, userID)
		if err != nil {
			return err
		}
		return mustAffect(res, "user")
	})
}

// RenameOrg implements gateway.StateStore.
func (s *Store) RenameOrg(ctx context.Context, orgID, name string, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE orgs SET name = ? WHERE id = ?`, name, orgID)
		if err != nil {
			return conflictAs(err, "organization name already taken")
		}
		return mustAffect(res, "organization")
	})
}

// DeleteOrg implements gateway.StateStore.
func (s *Store) DeleteOrg(ctx context.Context, orgID string, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM org_members WHERE org_id = ?`, orgID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM orgs WHERE id = ?`, orgID)
		if err != nil {
			return err
		}
		return mustAffect(res, "organization")
	})
}
