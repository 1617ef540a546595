// Package postgres implements gateway.Store on PostgreSQL (pgx v5), the database replicas
// share.
//
// Several replicas write concurrently, so everything that must be totally ordered is ordered
// by row locks in the database rather than in any process: the audit chain by the audit_head
// row, the state version by the state row. Every mutation also sends pg_notify on the
// llmgate_state channel in its transaction, delivered on commit, so the other replicas can
// reload at once (WatchChanges).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/llmgate/llmgate/gateway"
)

// NotifyChannel is the LISTEN/NOTIFY channel carrying each new state version.
const NotifyChannel = "llmgate_state"

// maxAttempts bounds retries of transactions PostgreSQL aborted to resolve a deadlock or a
// serialization conflict; both are transient by definition.
const maxAttempts = 3

// Store is a gateway.Store on a PostgreSQL database. Safe for concurrent use, and for use by
// any number of replicas on the same database.
type Store struct {
	pool *pgxpool.Pool
	// auditKeys chain new events (HMAC); nil: the legacy unkeyed scheme.
	auditKeys gateway.AuditKeys
}

var _ gateway.Store = (*Store)(nil)

// Open connects to url (any libpq-style URL pgx accepts, e.g. with search_path=...) and applies
// pending migrations.
func Open(ctx context.Context, url string) (*Store, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		// pgx's parse errors may quote the URL, password included: keep the cause out.
		return nil, errors.New("postgres: invalid database URL")
	}
	s := &Store{pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes every pooled connection.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// inTx runs fn in a read-committed transaction, retrying it when PostgreSQL aborted it as a
// deadlock victim or serialization failure. fn must be safe to run again.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	var err error
	for attempt := 0; attempt < maxAttempts; attempt++ {
		err = pgx.BeginFunc(ctx, s.pool, fn)
		if !isTransient(err) {
			return dbError(err)
		}
		select {
		case <-ctx.Done():
			return dbError(ctx.Err())
		case <-time.After(time.Duration(attempt+1) * 20 * time.Millisecond):
		}
	}
	return dbError(err)
}

// inSnapshot runs fn in a read-only repeatable-read transaction: every query fn makes sees
// the same snapshot.
func (s *Store) inSnapshot(ctx context.Context, fn func(tx pgx.Tx) error) error {
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	return dbError(pgx.BeginTxFunc(ctx, s.pool, opts, fn))
}

// mutate runs change, bumps the state version, announces it and appends ev, all in one
// transaction.
func (s *Store) mutate(ctx context.Context, ev *gateway.AuditEvent, change func(tx pgx.Tx) error) error {
	if ev == nil {
		return gateway.Errorf(gateway.CodeInternal, "store: a mutation needs its audit event")
	}
	var version int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := change(tx); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `UPDATE state SET version = version + 1 WHERE id = 1 RETURNING version`).Scan(&version); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, NotifyChannel, fmt.Sprint(version)); err != nil {
			return err
		}
		return appendEvents(ctx, tx, s.auditKeys, []*gateway.AuditEvent{ev})
	})
	if err != nil {
		return err
	}
	gateway.RecordCommit(ctx, version)
	return nil
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func isTransient(err error) bool {
	code := pgCode(err)
	return code == "40001" || code == "40P01" // serialization_failure, deadlock_detected
}

// dbError maps driver errors to *gateway.Error. Only fixed messages are used: PostgreSQL's
// error detail quotes row values ("Key (user_name)=(alice) already exists").
func dbError(err error) error {
	if err == nil {
		return nil
	}
	var ge *gateway.Error
	if errors.As(err, &ge) {
		return ge
	}
	switch pgCode(err) {
	case "23505": // unique_violation
		return gateway.Wrap(gateway.CodeConflict, err, "already exists")
	case "23503": // foreign_key_violation
		return gateway.Wrap(gateway.CodeNotFound, err, "referenced record not found")
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || pgconn.SafeToRetry(err) {
		return gateway.Wrap(gateway.CodeUnavailable, err, "database unavailable")
	}
	return gateway.Wrap(gateway.CodeInternal, err, "database error")
}

// mustAffect turns "no row matched" into CodeNotFound.
func mustAffect(tag pgconn.CommandTag, what string) error {
	if tag.RowsAffected() == 0 {
		return gateway.Errorf(gateway.CodeNotFound, "%s not found", what)
	}
	return nil
}

// ts cuts t to the millisecond precision every llmgate timestamp has, so what is read back
// equals what the SQLite store would return.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func nullTS(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := ts(*t)
	return &v
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}
