package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/llmgate/llmgate/gateway"
)

// StateVersion returns the version bumped by every mutation.
func (s *Store) StateVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.pool.QueryRow(ctx, `SELECT version FROM state WHERE id = 1`).Scan(&v)
	return v, dbError(err)
}

// LoadState reads everything the hot path needs from one snapshot.
func (s *Store) LoadState(ctx context.Context) (*gateway.State, error) {
	st := &gateway.State{}
	err := s.inSnapshot(ctx, func(tx pgx.Tx) error {
		steps := []func(context.Context, pgx.Tx, *gateway.State) error{loadVersion, loadUsers, loadOrgs, loadKeys, loadEndpoints, loadBudgets}
		for _, step := range steps {
			if err := step(ctx, tx, st); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

func loadVersion(ctx context.Context, tx pgx.Tx, st *gateway.State) error {
	return tx.QueryRow(ctx, `SELECT version FROM state WHERE id = 1`).Scan(&st.Version)
}

func loadUsers(ctx context.Context, tx pgx.Tx, st *gateway.State) error {
	users := sized[gateway.User](ctx, tx, `SELECT COUNT(*) FROM users`)
	rows, _ := tx.Query(ctx, `SELECT id, user_name, email, first_name, last_name, admin, created_at, deactivated_at
		FROM users ORDER BY created_at, id`)
	users, err := pgx.AppendRows(users, rows, func(row pgx.CollectableRow) (gateway.User, error) {
		var u gateway.User
		err := row.Scan(&u.ID, &u.UserName, &u.Email, &u.FirstName, &u.LastName, &u.Admin, &u.CreatedAt, &u.DeactivatedAt)
		u.CreatedAt, u.DeactivatedAt = u.CreatedAt.UTC(), utc(u.DeactivatedAt)
		return u, err
	})
	st.Users = nilIfEmpty(users)
	return err
}

func loadOrgs(ctx context.Context, tx pgx.Tx, st *gateway.State) error {
	rows, _ := tx.Query(ctx, `SELECT id, name, created_at FROM orgs ORDER BY name`)
	orgs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (gateway.Org, error) {
		var o gateway.Org
		err := row.Scan(&o.ID, &o.Name, &o.CreatedAt)
		o.CreatedAt = o.CreatedAt.UTC()
		return o, err
	})
	if err != nil {
		return err
	}
	index := make(map[string]int, len(orgs))
	for i := range orgs {
		index[orgs[i].ID] = i
	}
	rows, _ = tx.Query(ctx, `SELECT org_id, user_id, role FROM org_members ORDER BY pos`)
	var orgID string
	var m gateway.OrgMember
	_, err = pgx.ForEachRow(rows, []any{&orgID, &m.UserID, &m.Role}, func() error {
		if i, ok := index[orgID]; ok {
			orgs[i].Members = append(orgs[i].Members, m)
		}
		return nil
	})
	st.Orgs = nilIfEmpty(orgs)
	return err
}

const keyColumns = `id, user_id, name, hash, prefix, created_at, expires_at, revoked_at, parent_key_id`

func loadKeys(ctx context.Context, tx pgx.Tx, st *gateway.State) error {
	keys := sized[gateway.APIKey](ctx, tx, `SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL`)
	keys, err := appendKeys(ctx, tx, keys, `SELECT `+keyColumns+` FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at, pos`)
	st.Keys = nilIfEmpty(keys)
	return err
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func queryKeys(ctx context.Context, q querier, query string, args ...any) ([]gateway.APIKey, error) {
	keys, err := appendKeys(ctx, q, nil, query, args...)
	return nilIfEmpty(keys), err
}

// appendKeys appends the keys query returns to out.
func appendKeys(ctx context.Context, q querier, out []gateway.APIKey, query string, args ...any) ([]gateway.APIKey, error) {
	rows, _ := q.Query(ctx, query, args...)
	return pgx.AppendRows(out, rows, func(row pgx.CollectableRow) (gateway.APIKey, error) {
		var k gateway.APIKey
		var parent *string
		err := row.Scan(&k.ID, &k.UserID, &k.Name, &k.Hash, &k.Prefix, &k.CreatedAt, &k.ExpiresAt, &k.RevokedAt, &parent)
		k.CreatedAt, k.ExpiresAt, k.RevokedAt = k.CreatedAt.UTC(), utc(k.ExpiresAt), utc(k.RevokedAt)
		if parent != nil {
			k.ParentID = *parent
		}
		return k, err
	})
}

const endpointColumns = `id, name, type, provider, model, config, secrets, permissions, rate_limits,
	log_payloads, timeout_seconds, created_at, updated_at, extensions`

// extensions are the endpoint fields stored together in the extensions column.
type extensions struct {
	Pricing *gateway.Pricing     `json:"pricing,omitempty"`
	Routing *gateway.Routing     `json:"routing,omitempty"`
	Cache   *gateway.CachePolicy `json:"cache,omitempty"`
	Targets []gateway.Target     `json:"targets,omitempty"`
}

func loadEndpoints(ctx context.Context, tx pgx.Tx, st *gateway.State) error {
	endpoints := sized[gateway.Endpoint](ctx, tx, `SELECT COUNT(*) FROM endpoints WHERE deleted_at IS NULL`)
	rows, _ := tx.Query(ctx, `SELECT `+endpointColumns+` FROM endpoints WHERE deleted_at IS NULL ORDER BY created_at, id`)
	endpoints, err := pgx.AppendRows(endpoints, rows, scanEndpoint)
	st.Endpoints = nilIfEmpty(endpoints)
	return err
}

func scanEndpoint(row pgx.CollectableRow) (gateway.Endpoint, error) {
	var e gateway.Endpoint
	var config, secrets, perms, limits, ext string
	err := row.Scan(&e.ID, &e.Name, &e.Type, &e.Provider, &e.Model, &config, &secrets, &perms, &limits,
		&e.LogPayloads, &e.TimeoutSeconds, &e.CreatedAt, &e.UpdatedAt, &ext)
	if err != nil {
		return e, err
	}
	for _, f := range []struct {
		raw string
		dst any
	}{{config, &e.Config}, {secrets, &e.Secrets}, {perms, &e.Permissions}, {limits, &e.RateLimits}} {
		if err := json.Unmarshal([]byte(f.raw), f.dst); err != nil {
			return e, err
		}
	}
	var x extensions
	if err := json.Unmarshal([]byte(ext), &x); err != nil {
		return e, err
	}
	e.Pricing, e.Routing, e.Cache, e.Targets = x.Pricing, x.Routing, x.Cache, x.Targets
	e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	return e, nil
}

// endpointArgs encodes e's columns in endpointColumns order.
func endpointArgs(e *gateway.Endpoint) ([]any, error) {
	args := []any{e.ID, e.Name, string(e.Type), e.Provider, e.Model}
	for _, v := range []any{e.Config, e.Secrets, e.Permissions, e.RateLimits} {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		args = append(args, string(b))
	}
	ext, err := json.Marshal(extensions{Pricing: e.Pricing, Routing: e.Routing, Cache: e.Cache, Targets: e.Targets})
	if err != nil {
		return nil, err
	}
	return append(args, e.LogPayloads, e.TimeoutSeconds, ts(e.CreatedAt), ts(e.UpdatedAt), string(ext)), nil
}

// sized returns an empty slice with room for the rows query counts, so a load allocates its
// slice once: the snapshot keeps it, and growing it by appending could keep twice the memory.
// The count is a hint: if it fails, the load's own query reports the error.
func sized[T any](ctx context.Context, tx pgx.Tx, query string) []T {
	var n int
	if tx.QueryRow(ctx, query).Scan(&n) != nil || n <= 0 {
		return nil
	}
	return make([]T, 0, n)
}

// nilIfEmpty makes "no rows" nil, as the SQLite store returns it, so States compare equal.
func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// CreateUser inserts u; a taken user name is CodeConflict.
func (s *Store) CreateUser(ctx context.Context, u *gateway.User, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (id, user_name, email, first_name, last_name, admin, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, u.ID, u.UserName, u.Email, u.FirstName, u.LastName, u.Admin, ts(u.CreatedAt))
		return conflictAs(err, "user name already taken")
	})
}

// SetUserDeactivated sets or clears the user's deactivation time; an unknown user is
// CodeNotFound, the last active administrator stays active (keepAnAdmin).
func (s *Store) SetUserDeactivated(ctx context.Context, userID string, at *time.Time, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx pgx.Tx) error {
		if at != nil {
			if err := keepAnAdmin(ctx, tx, userID); err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, `UPDATE users SET deactivated_at = $1 WHERE id = $2`, nullTS(at), userID)
		if err != nil {
			return err
		}
		return mustAffect(tag, "user")
	})
}

// CreateOrg inserts o with the members it lists; a taken name is CodeConflict.
func (s *Store) CreateOrg(ctx context.Context, o *gateway.Org, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO orgs (id, name, created_at) VALUES ($1, $2, $3)`, o.ID, o.Name, ts(o.CreatedAt))
		if err != nil {
			return conflictAs(err, "organization name already taken")
		}
		for _, m := range o.Members {
			if err := upsertMember(ctx, tx, o.ID, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetOrgMember adds the member or changes its role; an unknown org or user is CodeNotFound.
func (s *Store) SetOrgMember(ctx context.Context, orgID string, m gateway.OrgMember, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx pgx.Tx) error { return upsertMember(ctx, tx, orgID, m) })
}

func upsertMember(ctx context.Context, tx pgx.Tx, orgID string, m gateway.OrgMember) error {
	_, err := tx.Exec(ctx, `INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, $3)
		ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role`, orgID, m.UserID, string(m.Role))
	if err != nil && gateway.ErrorCode(dbError(err)) == gateway.CodeNotFound {
		return gateway.Wrap(gateway.CodeNotFound, err, "organization or user not found")
	}
	return err
}

// RemoveOrgMember removes a membership; a missing one is CodeNotFound.
func (s *Store) RemoveOrgMember(ctx context.Context, orgID, userID string, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM org_members WHERE org_id = $1 AND user_id = $2`, orgID, userID)
		if err != nil {
			return err
		}
		return mustAffect(tag, "organization member")
	})
}

// CreateKey inserts k; an unknown user is CodeNotFound.
func (s *Store) CreateKey(ctx context.Context, k *gateway.APIKey, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx pgx.Tx) error {
		var parent *string
		if k.ParentID != "" {
			parent = &k.ParentID
		}
		_, err := tx.Exec(ctx, `INSERT INTO api_keys (`+keyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			k.ID, k.UserID, k.Name, k.Hash, k.Prefix, ts(k.CreatedAt), nullTS(k.ExpiresAt), nullTS(k.RevokedAt), parent)
		return err
	})
}

// RevokeKey marks the key revoked at `at`; revoking again keeps the first time.
func (s *Store) RevokeKey(ctx context.Context, keyID string, at time.Time, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`, ts(at), keyID)
		if err != nil {
			return err
		}
		return mustAffect(tag, "API key")
	})
}

// ListKeys returns every key of userID, revoked ones included, newest first.
func (s *Store) ListKeys(ctx context.Context, userID string) ([]gateway.APIKey, error) {
	keys, err := queryKeys(ctx, s.pool, `SELECT `+keyColumns+` FROM api_keys WHERE user_id = $1
		ORDER BY created_at DESC, pos DESC`, userID)
	return keys, dbError(err)
}

// ListLiveKeys returns a page of the keys not revoked, newest first, and how many there are.
func (s *Store) ListLiveKeys(ctx context.Context, offset, limit int) ([]gateway.APIKey, int, error) {
	var keys []gateway.APIKey
	var total int
	var max *int // LIMIT NULL is no limit
	if limit > 0 {
		max = &limit
	}
	err := s.inSnapshot(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL`).Scan(&total); err != nil {
			return err
		}
		var err error
		keys, err = queryKeys(ctx, tx, `SELECT `+keyColumns+` FROM api_keys WHERE revoked_at IS NULL
			ORDER BY created_at DESC, pos DESC LIMIT $1 OFFSET $2`, max, offset)
		return err
	})
	return keys, total, dbError(err)
}

// GetKey returns one key, revoked or not.
func (s *Store) GetKey(ctx context.Context, keyID string) (*gateway.APIKey, error) {
	keys, err := queryKeys(ctx, s.pool, `SELECT `+keyColumns+` FROM api_keys WHERE id = $1`, keyID)
	if err != nil {
		return nil, dbError(err)
	}
	if len(keys) == 0 {
		return nil, gateway.Errorf(gateway.CodeNotFound, "API key not found")
	}
	return &keys[0], nil
}

// CreateEndpoint inserts e; an active endpoint with the same name is CodeConflict.
func (s *Store) CreateEndpoint(ctx context.Context, e *gateway.Endpoint, ev *gateway.AuditEvent) error {
	args, err := endpointArgs(e)
	if err != nil {
		return gateway.Wrap(gateway.CodeInvalid, err, "endpoint cannot be encoded")
	}
	return s.mutate(ctx, ev, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO endpoints (`+endpointColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`, args...)
		return conflictAs(err, "endpoint name already taken")
	})
}

// UpdateEndpoint replaces the active endpoint with e.ID, name included.
func (s *Store) UpdateEndpoint(ctx context.Context, e *gateway.Endpoint, ev *gateway.AuditEvent) error {
	args, err := endpointArgs(e)
	if err != nil {
		return gateway.Wrap(gateway.CodeInvalid, err, "endpoint cannot be encoded")
	}
	return s.mutate(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE endpoints SET name = $2, type = $3, provider = $4, model = $5,
			config = $6, secrets = $7, permissions = $8, rate_limits = $9, log_payloads = $10, timeout_seconds = $11,
			created_at = $12, updated_at = $13, extensions = $14 WHERE id = $1 AND deleted_at IS NULL`, args...)
		if err != nil {
			return conflictAs(err, "endpoint name already taken")
		}
		return mustAffect(tag, "endpoint")
	})
}

// DeleteEndpoint soft-deletes the active endpoint id, freeing its name.
func (s *Store) DeleteEndpoint(ctx context.Context, id string, at time.Time, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE endpoints SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL`, ts(at), id)
		if err != nil {
			return err
		}
		return mustAffect(tag, "endpoint")
	})
}

// conflictAs gives a uniqueness violation a specific message; other errors pass through.
func conflictAs(err error, message string) error {
	if err != nil && gateway.ErrorCode(dbError(err)) == gateway.CodeConflict {
		return gateway.Wrap(gateway.CodeConflict, err, message)
	}
	return err
}
