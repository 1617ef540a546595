package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/store/internal/auditrows"
)

// A group commit of one event is mostly fixed cost, and part of it was not SQLite's page I/O:
// database/sql's Tx (a context and a goroutine watching it), BEGIN IMMEDIATE and COMMIT parsed
// anew by the driver every time, a goroutine watching the context around the COMMIT, and a
// statement and argument conversion per Tx.StmtContext. AppendAudit therefore runs its
// transaction on the write connection itself (sql.Conn.Raw), with every statement, BEGIN
// IMMEDIATE and COMMIT included, prepared once per driver connection. The transaction is the
// same: one BEGIN IMMEDIATE ... COMMIT, fsynced before AppendAudit returns.
//
// The connection must never go back to the pool inside a transaction: every error after the
// BEGIN rolls back, and a connection whose ROLLBACK fails is discarded (driver.ErrBadConn),
// which closes it and so rolls the transaction back in SQLite.

// rawAudit holds the append statements prepared on one driver connection of the write pool.
type rawAudit struct {
	mu sync.Mutex // held while a transaction runs on conn; the pool has one connection anyway
	// conn is the driver connection the statements belong to; another one (the pool replaced
	// a broken connection) prepares them again.
	conn                                           any
	begin, commit, rollback, head, moveHead, usage driver.Stmt
	insert                                         [len(auditrows.Sizes)]driver.Stmt
	// args is reused for every statement's arguments.
	args []driver.NamedValue
}

// appendRaw appends events in one immediate transaction on the write connection.
func (s *Store) appendRaw(ctx context.Context, events []*gateway.AuditEvent) error {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	s.raw.mu.Lock()
	defer s.raw.mu.Unlock()
	return conn.Raw(func(dc any) error {
		if err := s.raw.prepare(dc); err != nil {
			return err
		}
		err := s.raw.transact(ctx, s, events)
		if err != nil {
			// database/sql may close a connection that failed (one the driver interrupted,
			// say), and statements cannot be finalized after their connection closed: they
			// are prepared again, which costs little beside an error.
			s.raw.closeStatements()
		}
		return err
	})
}

// transact runs BEGIN IMMEDIATE, the append and COMMIT, and rolls back on any error.
func (r *rawAudit) transact(ctx context.Context, s *Store, events []*gateway.AuditEvent) error {
	// BEGIN waits for the write lock under busy_timeout; that wait ends when ctx does.
	if err := r.exec(ctx, r.begin); err != nil {
		if isBusy(err) {
			return err // the lock was not taken: no transaction to end
		}
		// Done with ctx, the driver reports its error even if the BEGIN took effect.
		return r.abort(err)
	}
	err := s.appendEvents(ctx, rawChain{r}, events)
	if err == nil {
		// The statements ran; ctx was checked last in appendEvents. Past this point the
		// commit is not interrupted: a transaction cut off inside its fsync is not better off.
		err = r.exec(context.WithoutCancel(ctx), r.commit)
	}
	if err != nil {
		return r.abort(err)
	}
	return nil
}

// abort rolls back after err. A failed ROLLBACK (also: no transaction was open, as after a
// COMMIT that SQLite itself rolled back) marks the connection bad, so database/sql closes it
// instead of pooling a connection that may still hold the write lock.
func (r *rawAudit) abort(err error) error {
	if rerr := r.exec(context.Background(), r.rollback); rerr != nil {
		r.closeStatements()
		return errors.Join(err, fmt.Errorf("sqlite: rolling back the audit append: %w (%w)", rerr, driver.ErrBadConn))
	}
	return err
}

func (r *rawAudit) exec(ctx context.Context, st driver.Stmt, args ...any) error {
	nv, err := r.bind(args)
	if err != nil {
		return err
	}
	_, err = st.(driver.StmtExecContext).ExecContext(ctx, nv)
	return err
}

// bind converts args as database/sql does for a driver without its own checker.
func (r *rawAudit) bind(args []any) ([]driver.NamedValue, error) {
	r.args = r.args[:0]
	for i, a := range args {
		v, err := driver.DefaultParameterConverter.ConvertValue(a)
		if err != nil {
			return nil, fmt.Errorf("sqlite: argument %d: %w", i+1, err)
		}
		r.args = append(r.args, driver.NamedValue{Ordinal: i + 1, Value: v})
	}
	return r.args, nil
}

// prepare prepares the statements on dc unless they already are.
func (r *rawAudit) prepare(dc any) error {
	if r.conn == dc {
		return nil
	}
	if old, ok := r.conn.(driver.Validator); ok && !old.IsValid() {
		r.forget() // their connection was closed under them (a mutation's error): nothing to finalize
	}
	r.closeStatements()
	conn, ok := dc.(driver.Conn)
	if !ok {
		return fmt.Errorf("sqlite: the driver connection is a %T", dc)
	}
	queries := []struct {
		dst   *driver.Stmt
		query string
	}{
		{&r.begin, `BEGIN IMMEDIATE`}, {&r.commit, `COMMIT`}, {&r.rollback, `ROLLBACK`},
		{&r.head, headQuery}, {&r.moveHead, moveHeadQuery}, {&r.usage, usageUpsert},
	}
	for i, n := range auditrows.Sizes {
		queries = append(queries, struct {
			dst   *driver.Stmt
			query string
		}{&r.insert[i], insertQuery(n)})
	}
	for _, q := range queries {
		st, err := conn.Prepare(q.query)
		if err != nil {
			r.closeStatements()
			return fmt.Errorf("sqlite: preparing audit statements: %w", err)
		}
		*q.dst = st
	}
	r.conn = dc
	return nil
}

// closeStatements finalizes the statements prepared so far and forgets their connection.
func (r *rawAudit) closeStatements() error {
	var errs []error
	for _, st := range append([]driver.Stmt{r.begin, r.commit, r.rollback, r.head, r.moveHead, r.usage}, r.insert[:]...) {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	r.forget()
	return errors.Join(errs...)
}

// forget drops the statements without finalizing them.
func (r *rawAudit) forget() {
	r.conn, r.begin, r.commit, r.rollback, r.head, r.moveHead, r.usage = nil, nil, nil, nil, nil, nil, nil
	r.insert = [len(auditrows.Sizes)]driver.Stmt{}
}

// close finalizes the statements, on the write connection (Store.Close).
func (r *rawAudit) close(db *sql.DB) error {
	r.mu.Lock()
	prepared := r.conn != nil
	r.mu.Unlock()
	if !prepared {
		return nil
	}
	conn, err := db.Conn(context.Background()) // first, as appendRaw takes them
	if err != nil {
		return err
	}
	defer conn.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	return conn.Raw(func(dc any) error {
		if r.conn != dc {
			r.forget()
			return nil
		}
		return r.closeStatements()
	})
}

// rawChain runs the chain-append statements on the raw connection.
type rawChain struct{ r *rawAudit }

func (c rawChain) head(ctx context.Context) (seq int64, hash string, err error) {
	rows, err := c.r.head.(driver.StmtQueryContext).QueryContext(ctx, nil)
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	dest := make([]driver.Value, 2)
	if err := rows.Next(dest); err != nil {
		return 0, "", fmt.Errorf("sqlite: reading the audit head: %w", err)
	}
	seq, ok := dest[0].(int64)
	switch h := dest[1].(type) {
	case string:
		hash = h
	case []byte:
		hash = string(h)
	default:
		ok = false
	}
	if !ok {
		return 0, "", fmt.Errorf("sqlite: the audit head holds %T, %T", dest[0], dest[1])
	}
	return seq, hash, nil
}

func (c rawChain) insert(ctx context.Context, i int, args []any) error {
	return c.r.exec(ctx, c.r.insert[i], args...)
}

func (c rawChain) moveHead(ctx context.Context, seq int64, hash string) error {
	return c.r.exec(ctx, c.r.moveHead, seq, hash)
}

func (c rawChain) upsertUsage(ctx context.Context, args []any) error {
	return c.r.exec(ctx, c.r.usage, args...)
}
