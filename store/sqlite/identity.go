package sqlite

import (
	"context"
	"database/sql"

	"github.com/llmgate/llmgate/gateway"
)

// SetUserAdmin implements gateway.StateStore. Unmaking the last active administrator is
// refused inside the write transaction (SQLite has one writer), so two concurrent unmakings
// cannot leave none.
func (s *Store) SetUserAdmin(ctx context.Context, userID string, admin bool, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx *sql.Tx) error {
		if !admin {
			if err := keepAnAdmin(ctx, tx, userID); err != nil {
				return err
			}
		}
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

// keepAnAdmin refuses a change that takes userID out of the active administrators when it is
// the last one (gateway.ErrLastAdmin). Run inside the change's write transaction.
func keepAnAdmin(ctx context.Context, tx *sql.Tx, userID string) error {
	var target, others int
	err := tx.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(id = ?), 0), COALESCE(SUM(id <> ?), 0)
		FROM users WHERE admin AND deactivated_at IS NULL`, userID, userID).Scan(&target, &others)
	if err != nil {
		return err
	}
	if target == 1 && others == 0 {
		return gateway.ErrLastAdmin
	}
	return nil
}

// UpdateUser implements gateway.StateStore.
func (s *Store) UpdateUser(ctx context.Context, u *gateway.User, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET user_name = ?, email = ?, first_name = ?, last_name = ? WHERE id = ?`,
			u.UserName, u.Email, u.FirstName, u.LastName, u.ID)
		if err != nil {
			return conflictAs(err, "user name already taken")
		}
		return mustAffect(res, "user")
	})
}
