// Package sqlite implements gateway.Store on an embedded SQLite file (modernc.org/sqlite, pure
// Go), llmgate's default database.
//
// The file is shared by the `serve` process and admin CLI commands running beside it, so every
// write is a BEGIN IMMEDIATE transaction: the write lock is taken up front, which lets SQLite's
// busy timeout queue writers instead of failing them half-way with SQLITE_BUSY on upgrade. WAL
// mode lets readers proceed while one process writes, and synchronous=FULL makes a commit
// durable before it returns, which the audit trail's "recorded before the response" promise
// relies on.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/llmgate/llmgate/gateway"
)

const (
	// busyTimeout is how long SQLite itself waits for another connection's lock.
	busyTimeout = 10 * time.Second
	// maxAttempts bounds the retries after SQLite gave up waiting, so a stuck writer in another
	// process surfaces as an error instead of a hang.
	maxAttempts = 5
)

// Store is a gateway.Store on one SQLite file. Safe for concurrent use, and for use by several
// processes on the same file.
type Store struct {
	// write runs BEGIN IMMEDIATE transactions on a single connection: writers in this process
	// queue in database/sql rather than contending for SQLite's file lock.
	write *sql.DB
	// read runs deferred transactions, which in WAL mode see one consistent snapshot without
	// blocking or being blocked by the writer.
	read *sql.DB
	// audit holds the write pool's prepared chain-append statements (mutations).
	audit *auditStatements
	// raw holds the statements AppendAudit runs on the write connection itself.
	raw rawAudit
	// auditKeys chain new events (HMAC); nil: the legacy unkeyed scheme.
	auditKeys gateway.AuditKeys
	// stopCheckpoints ends the checkpointer, which closes checkpointsDone (checkpoint.go).
	stopCheckpoints context.CancelFunc
	checkpointsDone chan struct{}
}

var _ gateway.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path and applies pending migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	write, err := sql.Open("sqlite", dsn(path, "immediate", "wal_autocheckpoint(0)"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", dsn(path, "deferred"))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	s := &Store{write: write, read: read}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	// Prepared after migrating: the statements name tables the migrations create.
	if s.audit, err = prepareAudit(ctx, write); err != nil {
		s.Close()
		return nil, err
	}
	var bg context.Context
	bg, s.stopCheckpoints = context.WithCancel(context.Background())
	s.checkpointsDone = make(chan struct{})
	go s.checkpointer(bg, s.checkpointsDone)
	return s, nil
}

// createPrivate creates the database file readable by its owner only: it holds key hashes and
// sealed credentials, which are nobody else's business even encrypted.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: creating %s: %w", path, err)
	}
	return f.Close()
}

// dsn is the connection string of a pool taking txlock transactions, with the pragmas every
// connection has and extra ones.
func dsn(path, txlock string, extra ...string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", journalSizeLimit))
	for _, p := range extra {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", txlock)
	// Without a "file:" prefix the driver strips its parameters and opens path verbatim, so
	// no character in the path needs URI escaping.
	return path + "?" + q.Encode()
}

// Close stops the checkpointer and releases the prepared statements and both connection pools.
func (s *Store) Close() error {
	if s.stopCheckpoints != nil {
		s.stopCheckpoints()
		<-s.checkpointsDone
	}
	var stmtErr, rawErr error
	if s.audit != nil {
		stmtErr = s.audit.Close()
	}
	rawErr = s.raw.close(s.write)
	return errors.Join(stmtErr, rawErr, s.write.Close(), s.read.Close())
}

// inWrite runs fn in an immediate transaction, retrying the whole transaction when another
// process held the lock longer than the busy timeout. fn must be safe to run again.
func (s *Store) inWrite(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.retryBusy(ctx, func() error { return s.writeOnce(ctx, fn) })
}

// retryBusy runs once, a whole write transaction, again while it fails because another
// process held the lock longer than the busy timeout.
func (s *Store) retryBusy(ctx context.Context, once func() error) error {
	var err error
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if err = once(); !isBusy(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return gateway.Wrap(gateway.CodeUnavailable, ctx.Err(), "database busy")
		case <-time.After(time.Duration(attempt+1) * 50 * time.Millisecond):
		}
	}
	return gateway.Wrap(gateway.CodeUnavailable, err, "database busy")
}

func (s *Store) writeOnce(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// inRead runs fn in a read transaction, so everything fn reads comes from one snapshot.
func (s *Store) inRead(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return dbError(err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// mutate runs change, bumps the state version and appends ev, all in one transaction.
func (s *Store) mutate(ctx context.Context, ev *gateway.AuditEvent, change func(tx *sql.Tx) error) error {
	if ev == nil {
		return gateway.Errorf(gateway.CodeInternal, "store: a mutation needs its audit event")
	}
	var version int64
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		if err := change(tx); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `UPDATE state SET version = version + 1 WHERE id = 1 RETURNING version`).Scan(&version); err != nil {
			return err
		}
		return s.appendEvents(ctx, txChain{tx, s.audit}, []*gateway.AuditEvent{ev})
	})
	if err != nil {
		return dbError(err)
	}
	gateway.RecordCommit(ctx, version)
	return nil
}

// sqliteCode returns the extended result code of an SQLite error, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

func isBusy(err error) bool {
	primary := sqliteCode(err) & 0xff
	return primary == sqlite3.SQLITE_BUSY || primary == sqlite3.SQLITE_LOCKED
}

// dbError maps driver errors to *gateway.Error. Messages are fixed strings: SQLite's own text
// names columns, never values, but callers show Message to users, so it stays generic.
func dbError(err error) error {
	if err == nil {
		return nil
	}
	var ge *gateway.Error
	if errors.As(err, &ge) {
		return ge
	}
	switch sqliteCode(err) {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return gateway.Wrap(gateway.CodeConflict, err, "already exists")
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return gateway.Wrap(gateway.CodeNotFound, err, "referenced record not found")
	}
	if isBusy(err) {
		return gateway.Wrap(gateway.CodeUnavailable, err, "database busy")
	}
	return gateway.Wrap(gateway.CodeInternal, err, "database error")
}

// mustAffect turns "no row matched" into CodeNotFound.
func mustAffect(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return gateway.Errorf(gateway.CodeNotFound, "%s not found", what)
	}
	return nil
}

func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func nullMillis(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func fromNullMillis(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMillis(v.Int64)
	return &t
}
