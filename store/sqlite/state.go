package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// StateVersion returns the version bumped by every mutation.
func (s *Store) StateVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.read.QueryRowContext(ctx, `SELECT version FROM state WHERE id = 1`).Scan(&v)
	return v, dbError(err)
}

// LoadState reads everything the hot path needs from one snapshot.
func (s *Store) LoadState(ctx context.Context) (*gateway.State, error) {
	st := &gateway.State{}
	err := s.inRead(ctx, func(tx *sql.Tx) error {
		steps := []func(context.Context, *sql.Tx, *gateway.State) error{loadVersion, loadUsers, loadOrgs, loadKeys, loadEndpoints, loadBudgets}
		for _, step := range steps {
			if err := step(ctx, tx, st); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, dbError(err)
	}
	return st, nil
}

func loadVersion(ctx context.Context, tx *sql.Tx, st *gateway.State) error {
	return tx.QueryRowContext(ctx, `SELECT version FROM state WHERE id = 1`).Scan(&st.Version)
}

// count returns how many rows query counts, so a load can size its slice once: the snapshot
// keeps the slice, and growing it by appending would keep up to twice the memory.
func count(ctx context.Context, tx *sql.Tx, query string) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, query).Scan(&n)
	return n, err
}

func loadUsers(ctx context.Context, tx *sql.Tx, st *gateway.State) error {
	n, err := count(ctx, tx, `SELECT COUNT(*) FROM users`)
	if err != nil {
		return err
	}
	if n > 0 {
		st.Users = make([]gateway.User, 0, n)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, user_name, email, first_name, last_name, admin, created_at,
		deactivated_at FROM users ORDER BY created_at, id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var u gateway.User
		var created int64
		var deactivated sql.NullInt64
		if err := rows.Scan(&u.ID, &u.UserName, &u.Email, &u.FirstName, &u.LastName, &u.Admin, &created, &deactivated); err != nil {
			return err
		}
		u.CreatedAt, u.DeactivatedAt = fromMillis(created), fromNullMillis(deactivated)
		st.Users = append(st.Users, u)
	}
	return rows.Err()
}

func loadOrgs(ctx context.Context, tx *sql.Tx, st *gateway.State) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, name, created_at FROM orgs ORDER BY name`)
	if err != nil {
		return err
	}
	index := map[string]int{}
	for rows.Next() {
		var o gateway.Org
		var created int64
		if err := rows.Scan(&o.ID, &o.Name, &created); err != nil {
			rows.Close()
			return err
		}
		o.CreatedAt = fromMillis(created)
		index[o.ID] = len(st.Orgs)
		st.Orgs = append(st.Orgs, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	members, err := tx.QueryContext(ctx, `SELECT org_id, user_id, role FROM org_members ORDER BY rowid`)
	if err != nil {
		return err
	}
	defer members.Close()
	for members.Next() {
		var orgID string
		var m gateway.OrgMember
		if err := members.Scan(&orgID, &m.UserID, &m.Role); err != nil {
			return err
		}
		if i, ok := index[orgID]; ok {
			st.Orgs[i].Members = append(st.Orgs[i].Members, m)
		}
	}
	return members.Err()
}

const keyColumns = `id, user_id, name, hash, prefix, created_at, expires_at, revoked_at, parent_key_id`

func loadKeys(ctx context.Context, tx *sql.Tx, st *gateway.State) error {
	n, err := count(ctx, tx, `SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL`)
	if err != nil {
		return err
	}
	if n > 0 {
		st.Keys = make([]gateway.APIKey, 0, n)
	}
	st.Keys, err = appendKeys(ctx, tx, st.Keys, `SELECT `+keyColumns+` FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at, rowid`)
	return err
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func queryKeys(ctx context.Context, q querier, query string, args ...any) ([]gateway.APIKey, error) {
	return appendKeys(ctx, q, nil, query, args...)
}

// appendKeys appends the keys query returns to out.
func appendKeys(ctx context.Context, q querier, out []gateway.APIKey, query string, args ...any) ([]gateway.APIKey, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var k gateway.APIKey
		var created int64
		var expires, revoked sql.NullInt64
		var parent sql.NullString
		if err := rows.Scan(&k.ID, &k.UserID, &k.Name, &k.Hash, &k.Prefix, &created, &expires, &revoked, &parent); err != nil {
			return out, err
		}
		k.ParentID = parent.String
		k.CreatedAt, k.ExpiresAt, k.RevokedAt = fromMillis(created), fromNullMillis(expires), fromNullMillis(revoked)
		out = append(out, k)
	}
	return out, rows.Err()
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

func loadEndpoints(ctx context.Context, tx *sql.Tx, st *gateway.State) error {
	n, err := count(ctx, tx, `SELECT COUNT(*) FROM endpoints WHERE deleted_at IS NULL`)
	if err != nil {
		return err
	}
	if n > 0 {
		st.Endpoints = make([]gateway.Endpoint, 0, n)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+endpointColumns+` FROM endpoints
		WHERE deleted_at IS NULL ORDER BY created_at, id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return err
		}
		st.Endpoints = append(st.Endpoints, e)
	}
	return rows.Err()
}

func scanEndpoint(rows *sql.Rows) (gateway.Endpoint, error) {
	var e gateway.Endpoint
	var config, secrets, perms, limits, ext []byte
	var created, updated int64
	err := rows.Scan(&e.ID, &e.Name, &e.Type, &e.Provider, &e.Model, &config, &secrets, &perms, &limits,
		&e.LogPayloads, &e.TimeoutSeconds, &created, &updated, &ext)
	if err != nil {
		return e, err
	}
	for _, f := range []struct {
		raw []byte
		dst any
	}{{config, &e.Config}, {secrets, &e.Secrets}, {perms, &e.Permissions}, {limits, &e.RateLimits}} {
		if err := json.Unmarshal(f.raw, f.dst); err != nil {
			return e, err
		}
	}
	var x extensions
	if err := json.Unmarshal(ext, &x); err != nil {
		return e, err
	}
	e.Pricing, e.Routing, e.Cache, e.Targets = x.Pricing, x.Routing, x.Cache, x.Targets
	e.CreatedAt, e.UpdatedAt = fromMillis(created), fromMillis(updated)
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
	return append(args, e.LogPayloads, e.TimeoutSeconds, millis(e.CreatedAt), millis(e.UpdatedAt), string(ext)), nil
}

// CreateUser inserts u; a taken user name is CodeConflict.
func (s *Store) CreateUser(ctx context.Context, u *gateway.User, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, user_name, email, first_name, last_name, admin, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, u.ID, u.UserName, u.Email, u.FirstName, u.LastName, u.Admin, millis(u.CreatedAt))
		return conflictAs(err, "user name already taken")
	})
}

// SetUserDeactivated sets or clears the user's deactivation time; an unknown user is
// CodeNotFound, the last active administrator stays active (keepAnAdmin).
func (s *Store) SetUserDeactivated(ctx context.Context, userID string, at *time.Time, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx *sql.Tx) error {
		if at != nil {
			if err := keepAnAdmin(ctx, tx, userID); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE users SET deactivated_at = ? WHERE id = ?`, nullMillis(at), userID)
		if err != nil {
			return err
		}
		return mustAffect(res, "user")
	})
}

// CreateOrg inserts o with the members it lists; a taken name is CodeConflict.
func (s *Store) CreateOrg(ctx context.Context, o *gateway.Org, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)`, o.ID, o.Name, millis(o.CreatedAt))
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
	return s.mutate(ctx, ev, func(tx *sql.Tx) error { return upsertMember(ctx, tx, orgID, m) })
}

func upsertMember(ctx context.Context, tx *sql.Tx, orgID string, m gateway.OrgMember) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO org_members (org_id, user_id, role) VALUES (?, ?, ?)
		ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role`, orgID, m.UserID, string(m.Role))
	if err != nil && dbErrorCode(err) == gateway.CodeNotFound {
		return gateway.Wrap(gateway.CodeNotFound, err, "organization or user not found")
	}
	return err
}

// RemoveOrgMember removes a membership; a missing one is CodeNotFound.
func (s *Store) RemoveOrgMember(ctx context.Context, orgID, userID string, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM org_members WHERE org_id = ? AND user_id = ?`, orgID, userID)
		if err != nil {
			return err
		}
		return mustAffect(res, "organization member")
	})
}

// CreateKey inserts k; an unknown user is CodeNotFound.
func (s *Store) CreateKey(ctx context.Context, k *gateway.APIKey, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (`+keyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			k.ID, k.UserID, k.Name, k.Hash, k.Prefix, millis(k.CreatedAt), nullMillis(k.ExpiresAt), nullMillis(k.RevokedAt),
			sql.NullString{String: k.ParentID, Valid: k.ParentID != ""})
		return err
	})
}

// RevokeKey marks the key revoked at `at`; revoking again keeps the first time.
func (s *Store) RevokeKey(ctx context.Context, keyID string, at time.Time, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, millis(at), keyID)
		if err != nil {
			return err
		}
		return mustAffect(res, "API key")
	})
}

// ListKeys returns every key of userID, revoked ones included, newest first.
func (s *Store) ListKeys(ctx context.Context, userID string) ([]gateway.APIKey, error) {
	keys, err := queryKeys(ctx, s.read, `SELECT `+keyColumns+` FROM api_keys WHERE user_id = ?
		ORDER BY created_at DESC, rowid DESC`, userID)
	return keys, dbError(err)
}

// ListLiveKeys returns a page of the keys not revoked, newest first, and how many there are.
func (s *Store) ListLiveKeys(ctx context.Context, offset, limit int) ([]gateway.APIKey, int, error) {
	var keys []gateway.APIKey
	var total int
	err := s.inRead(ctx, func(tx *sql.Tx) error {
		var err error
		if total, err = count(ctx, tx, `SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL`); err != nil {
			return err
		}
		keys, err = queryKeys(ctx, tx, `SELECT `+keyColumns+` FROM api_keys WHERE revoked_at IS NULL
			ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`, sqlLimit(limit), max(offset, 0))
		return err
	})
	return keys, total, dbError(err)
}

// sqlLimit is limit as a LIMIT clause takes it: -1 (none) for 0.
func sqlLimit(limit int) int {
	if limit <= 0 {
		return -1
	}
	return limit
}

// GetKey returns one key, revoked or not.
func (s *Store) GetKey(ctx context.Context, keyID string) (*gateway.APIKey, error) {
	keys, err := queryKeys(ctx, s.read, `SELECT `+keyColumns+` FROM api_keys WHERE id = ?`, keyID)
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
	return s.mutate(ctx, ev, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO endpoints (`+endpointColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
		return conflictAs(err, "endpoint name already taken")
	})
}

// UpdateEndpoint replaces the active endpoint with e.ID, name included.
func (s *Store) UpdateEndpoint(ctx context.Context, e *gateway.Endpoint, ev *gateway.AuditEvent) error {
	args, err := endpointArgs(e)
	if err != nil {
		return gateway.Wrap(gateway.CodeInvalid, err, "endpoint cannot be encoded")
	}
	return s.mutate(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE endpoints SET name = ?, type = ?, provider = ?, model = ?,
			config = ?, secrets = ?, permissions = ?, rate_limits = ?, log_payloads = ?, timeout_seconds = ?,
			created_at = ?, updated_at = ?, extensions = ? WHERE id = ? AND deleted_at IS NULL`, append(args[1:], e.ID)...)
		if err != nil {
			return conflictAs(err, "endpoint name already taken")
		}
		return mustAffect(res, "endpoint")
	})
}

// DeleteEndpoint soft-deletes the active endpoint id, freeing its name.
func (s *Store) DeleteEndpoint(ctx context.Context, id string, at time.Time, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE endpoints SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL`, millis(at), id)
		if err != nil {
			return err
		}
		return mustAffect(res, "endpoint")
	})
}

// conflictAs gives a uniqueness violation a specific message; other errors pass through.
func conflictAs(err error, message string) error {
	if err != nil && dbErrorCode(err) == gateway.CodeConflict {
		return gateway.Wrap(gateway.CodeConflict, err, message)
	}
	return err
}

func dbErrorCode(err error) gateway.Code { return gateway.ErrorCode(dbError(err)) }
