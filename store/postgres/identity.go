package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/llmgate/llmgate/gateway"
)

// SetUserAdmin implements gateway.StateStore.
func (s *Store) SetUserAdmin(ctx context.Context, userID string, admin bool, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET admin = $1 WHERE id = $2`, admin, userID)
		if err != nil {
			return err
		}
		return mustAffect(tag, "user")
	})
}

// RenameOrg implements gateway.StateStore.
func (s *Store) RenameOrg(ctx context.Context, orgID, name string, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE orgs SET name = $1 WHERE id = $2`, name, orgID)
		if err != nil {
			return conflictAs(err, "organization name already taken")
		}
		return mustAffect(tag, "organization")
	})
}

// DeleteOrg implements gateway.StateStore.
func (s *Store) DeleteOrg(ctx context.Context, orgID string, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM org_members WHERE org_id = $1`, orgID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM orgs WHERE id = $1`, orgID)
		if err != nil {
			return err
		}
		return mustAffect(tag, "organization")
	})
}
