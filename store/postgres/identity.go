package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/llmgate/llmgate/gateway"
)

// SetUserAdmin implements gateway.StateStore. Unmaking the last active administrator is
// refused inside the transaction, after locking the state row, so concurrent unmakings (on
// any replica) run one after the other and cannot leave none.
func (s *Store) SetUserAdmin(ctx context.Context, userID string, admin bool, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx pgx.Tx) error {
		if !admin {
			if err := keepAnAdmin(ctx, tx, userID); err != nil {
				return err
			}
		}
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

// keepAnAdmin refuses a change that takes userID out of the active administrators when it is
// the last one (gateway.ErrLastAdmin). It first locks the state row every mutation updates at
// its end, so two such changes cannot both count the other as still there.
func keepAnAdmin(ctx context.Context, tx pgx.Tx, userID string) error {
	if _, err := tx.Exec(ctx, `SELECT version FROM state WHERE id = 1 FOR UPDATE`); err != nil {
		return err
	}
	var target, others int
	err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE id = $1), count(*) FILTER (WHERE id <> $1)
		FROM users WHERE admin AND deactivated_at IS NULL`, userID).Scan(&target, &others)
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
	return s.mutate(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET user_name = $1, email = $2, first_name = $3, last_name = $4 WHERE id = $5`,
			u.UserName, u.Email, u.FirstName, u.LastName, u.ID)
		if err != nil {
			return conflictAs(err, "user name already taken")
		}
		return mustAffect(tag, "user")
	})
}
