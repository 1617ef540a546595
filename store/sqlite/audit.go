package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/store/internal/auditrows"
	"github.com/llmgate/llmgate/store/internal/usagecols"
	"github.com/llmgate/llmgate/usage"
)

// SetAuditKeys makes later appends chain with keys (HMAC) instead of the unkeyed scheme.
func (s *Store) SetAuditKeys(keys gateway.AuditKeys) { s.auditKeys = keys }

// AppendAudit chains and commits events in one transaction. The immediate transaction holds
// SQLite's single write lock, so writers in every process take turns at the chain head.
func (s *Store) AppendAudit(ctx context.Context, events []*gateway.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	err := s.retryBusy(ctx, func() error { return s.appendRaw(ctx, events) })
	return dbError(err)
}

// The chain-append statements. insertQuery(n) inserts n events at once.
const (
	headQuery     = `SELECT seq, hash FROM audit_head WHERE id = 1`
	moveHeadQuery = `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`
)

func insertQuery(n int) string { return auditrows.Query(n, func(int) string { return "?" }) }

// auditStatements are the chain-append statements, prepared once on the write pool: every
// group commit runs them, and parsing and planning them each time was a sizeable share of a
// commit's CPU. database/sql re-prepares them by itself should the connection be replaced.
// insert[i] inserts auditrows.Sizes[i] events at once.
type auditStatements struct {
	head, moveHead, usage *sql.Stmt
	insert                [len(auditrows.Sizes)]*sql.Stmt
}

func prepareAudit(ctx context.Context, db *sql.DB) (*auditStatements, error) {
	var st auditStatements
	queries := []struct {
		dst   **sql.Stmt
		query string
	}{
		{&st.head, headQuery},
		{&st.moveHead, moveHeadQuery},
		{&st.usage, usageUpsert},
	}
	for i, n := range auditrows.Sizes {
		queries = append(queries, struct {
			dst   **sql.Stmt
			query string
		}{&st.insert[i], insertQuery(n)})
	}
	for _, q := range queries {
		stmt, err := db.PrepareContext(ctx, q.query)
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("sqlite: preparing audit statements: %w", err)
		}
		*q.dst = stmt
	}
	return &st, nil
}

// Close releases the prepared statements (those never prepared are nil).
func (st *auditStatements) Close() error {
	var errs []error
	for _, stmt := range append([]*sql.Stmt{st.head, st.moveHead, st.usage}, st.insert[:]...) {
		if stmt != nil {
			errs = append(errs, stmt.Close())
		}
	}
	return errors.Join(errs...)
}

// chain runs the chain-append statements of one write transaction: on a database/sql Tx
// (mutations) or on the raw write connection (AppendAudit, appendconn.go).
type chain interface {
	head(ctx context.Context) (seq int64, hash string, err error)
	insert(ctx context.Context, i int, args []any) error
	moveHead(ctx context.Context, seq int64, hash string) error
	upsertUsage(ctx context.Context, args []any) error
}

// txChain runs the prepared statements on tx.
type txChain struct {
	tx *sql.Tx
	st *auditStatements
}

func (c txChain) head(ctx context.Context) (seq int64, hash string, err error) {
	err = c.tx.StmtContext(ctx, c.st.head).QueryRowContext(ctx).Scan(&seq, &hash)
	return seq, hash, err
}

func (c txChain) insert(ctx context.Context, i int, args []any) error {
	_, err := c.tx.StmtContext(ctx, c.st.insert[i]).ExecContext(ctx, args...)
	return err
}

func (c txChain) moveHead(ctx context.Context, seq int64, hash string) error {
	_, err := c.tx.StmtContext(ctx, c.st.moveHead).ExecContext(ctx, seq, hash)
	return err
}

func (c txChain) upsertUsage(ctx context.Context, args []any) error {
	_, err := c.tx.StmtContext(ctx, c.st.usage).ExecContext(ctx, args...)
	return err
}

// appendEvents links events to the stored chain head and moves the head past them. It must
// run inside a write transaction, on whose statements c runs.
//
// The statements run under ctx's values but not its cancellation: for a context that can end
// the driver starts a watcher goroutine around every statement, which cost more than the
// insert itself. A batch's statements take microseconds each; ctx is checked between them, and
// the transaction, begun with ctx, still rolls back when ctx ends.
func (s *Store) appendEvents(ctx context.Context, c chain, events []*gateway.AuditEvent) error {
	run := context.WithoutCancel(ctx)
	seq, head, err := c.head(run)
	if err != nil {
		return err
	}
	key, err := gateway.CurrentAuditKey(s.auditKeys)
	if err != nil {
		return err
	}
	link := gateway.AcquireLinker(key)
	defer link.Release()
	args := make([]any, 0, auditrows.Columns*min(len(events), auditrows.Sizes[0]))
	var row auditrows.Row
	for rest := events; len(rest) > 0; {
		if err := ctx.Err(); err != nil {
			return err
		}
		i := auditrows.Fit(len(rest))
		args = args[:0]
		for _, ev := range rest[:auditrows.Sizes[i]] {
			seq++
			ev.Seq = seq
			metadata := link.LinkStorable(head, ev)
			head = ev.Hash
			row = row.Next(ev, millis(ev.Timestamp), metadata)
			args = append(args, row[:]...)
		}
		if err := c.insert(run, i, args); err != nil {
			return err
		}
		rest = rest[auditrows.Sizes[i]:]
	}
	if err := c.moveHead(run, seq, head); err != nil {
		return err
	}
	for _, r := range usage.Tally(events) {
		if err := c.upsertUsage(run, usagecols.Args(r)); err != nil {
			return err
		}
	}
	return ctx.Err()
}

const eventColumns = `seq, id, kind, ts, performed_by, endpoint_id, endpoint_type, metadata, prev_hash, hash, key_id`

// QueryAudit returns the events matching f, ordered by timestamp, then Seq.
func (s *Store) QueryAudit(ctx context.Context, f gateway.AuditFilter) ([]gateway.AuditEvent, error) {
	where, args := auditWhere(f)
	limit := int64(-1) // SQLite's "no limit"
	if f.Limit > 0 {
		limit = int64(f.Limit)
	}
	args = append(args, limit, max(f.Offset, 0))
	events, err := queryEvents(ctx, s.read, `SELECT `+eventColumns+` FROM audit_events`+where+
		` ORDER BY ts, seq LIMIT ? OFFSET ?`, args...)
	return events, dbError(err)
}

// auditWhere translates f into SQL with the same meaning as gateway.AuditFilter.Match.
func auditWhere(f gateway.AuditFilter) (string, []any) {
	var conds []string
	var args []any
	if !f.Since.IsZero() {
		conds, args = append(conds, `ts >= ?`), append(args, millis(f.Since))
	}
	if !f.Until.IsZero() {
		conds, args = append(conds, `ts <= ?`), append(args, millis(f.Until))
	}
	if f.After != nil {
		conds, args = append(conds, `(ts, seq) > (?, ?)`), append(args, millis(f.After.Timestamp), f.After.Seq)
	}
	if f.MaxSeq > 0 {
		conds, args = append(conds, `seq <= ?`), append(args, f.MaxSeq)
	}
	if len(f.Kinds) > 0 {
		conds, args = append(conds, `kind IN (`+placeholders(len(f.Kinds))+`)`), appendStrings(args, f.Kinds)
	}
	if len(f.Usernames) > 0 {
		conds, args = append(conds, `username IN (`+placeholders(len(f.Usernames))+`)`), appendStrings(args, f.Usernames)
	}
	if len(f.EndpointIDs)+len(f.EndpointNames) > 0 {
		conds = append(conds, `(endpoint_id IN (`+placeholders(len(f.EndpointIDs))+`) OR endpoint_name IN (`+
			placeholders(len(f.EndpointNames))+`))`)
		args = appendStrings(appendStrings(args, f.EndpointIDs), f.EndpointNames)
	}
	if len(conds) == 0 {
		return "", args
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args
}

// placeholders returns n comma-separated "?"; for n = 0 it returns NULL, which matches nothing.
func placeholders(n int) string {
	if n == 0 {
		return "NULL"
	}
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func appendStrings(args []any, values []string) []any {
	for _, v := range values {
		args = append(args, v)
	}
	return args
}

// AuditChainPage returns up to limit events after afterSeq in Seq order.
func (s *Store) AuditChainPage(ctx context.Context, afterSeq int64, limit int) ([]gateway.AuditEvent, error) {
	events, err := queryEvents(ctx, s.read, `SELECT `+eventColumns+` FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?`,
		afterSeq, max(limit, 1))
	return events, dbError(err)
}

// AuditHead returns the stored chain head.
func (s *Store) AuditHead(ctx context.Context) (gateway.AuditHead, error) {
	var h gateway.AuditHead
	err := s.read.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&h.Seq, &h.Hash)
	return h, dbError(err)
}

func queryEvents(ctx context.Context, q querier, query string, args ...any) ([]gateway.AuditEvent, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []gateway.AuditEvent
	for rows.Next() {
		var ev gateway.AuditEvent
		var ts int64
		var metadata []byte
		if err := rows.Scan(&ev.Seq, &ev.ID, &ev.Kind, &ts, &ev.PerformedBy, &ev.EndpointID, &ev.EndpointType,
			&metadata, &ev.PrevHash, &ev.Hash, &ev.KeyID); err != nil {
			return nil, err
		}
		// A row whose metadata was damaged still comes back (with what could be decoded), so
		// verification reports it as a hash mismatch instead of failing to read the trail.
		_ = json.Unmarshal(metadata, &ev.Metadata)
		ev.Timestamp = fromMillis(ts)
		out = append(out, ev)
	}
	return out, rows.Err()
}
