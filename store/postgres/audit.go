package postgres

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/store/internal/auditrows"
	"github.com/llmgate/llmgate/store/internal/usagecols"
	"github.com/llmgate/llmgate/usage"
)

// SetAuditKeys makes later appends chain with keys (HMAC) instead of the unkeyed scheme.
func (s *Store) SetAuditKeys(keys gateway.AuditKeys) { s.auditKeys = keys }

// AppendAudit chains and commits events in one transaction.
func (s *Store) AppendAudit(ctx context.Context, events []*gateway.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx pgx.Tx) error { return appendEvents(ctx, tx, s.auditKeys, events) })
}

// insertQueries[i] inserts auditrows.Sizes[i] events.
var insertQueries = func() (q [len(auditrows.Sizes)]string) {
	for i, n := range auditrows.Sizes {
		q[i] = auditrows.Query(n, func(k int) string { return "$" + strconv.Itoa(k) })
	}
	return q
}()

// appendEvents links events to the stored chain head and moves the head past them.
//
// Why FOR UPDATE: every replica appends through this one row. Its row lock is held until the
// transaction commits, so a second replica's SELECT ... FOR UPDATE waits and then reads the
// head the first one committed. Appends are thereby totally ordered by the database, and N
// replicas extend ONE chain with consecutive sequence numbers; reading the head without the
// lock would let two replicas chain onto the same predecessor and fork the trail.
func appendEvents(ctx context.Context, tx pgx.Tx, keys gateway.AuditKeys, events []*gateway.AuditEvent) error {
	var seq int64
	var head string
	if err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE`).Scan(&seq, &head); err != nil {
		return err
	}
	key, err := gateway.CurrentAuditKey(keys)
	if err != nil {
		return err
	}
	batch := &pgx.Batch{}
	link := gateway.AcquireLinker(key)
	defer link.Release()
	var row auditrows.Row
	for rest := events; len(rest) > 0; {
		i := auditrows.Fit(len(rest))
		args := make([]any, 0, auditrows.Columns*auditrows.Sizes[i]) // the batch keeps them until sent
		for _, ev := range rest[:auditrows.Sizes[i]] {
			seq++
			ev.Seq = seq
			metadata := link.LinkStorable(head, ev)
			head = ev.Hash
			row = row.Next(ev, ev.Timestamp, metadata)
			args = append(args, row[:]...)
		}
		batch.Queue(insertQueries[i], args...)
		rest = rest[auditrows.Sizes[i]:]
	}
	batch.Queue(`UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, seq, head)
	for _, r := range usage.Tally(events) {
		batch.Queue(usageUpsert, usagecols.Args(r)...)
	}
	return tx.SendBatch(ctx, batch).Close()
}

const eventColumns = `seq, id, kind, ts, performed_by, endpoint_id, endpoint_type, metadata, prev_hash, hash, key_id`

// QueryAudit returns the events matching f, ordered by timestamp, then Seq.
func (s *Store) QueryAudit(ctx context.Context, f gateway.AuditFilter) ([]gateway.AuditEvent, error) {
	where, args := auditWhere(f)
	var limit *int64 // NULL: no limit
	if f.Limit > 0 {
		limit = new(int64(f.Limit))
	}
	args = append(args, limit, max(f.Offset, 0))
	n := len(args)
	events, err := queryEvents(ctx, s.pool, `SELECT `+eventColumns+` FROM audit_events`+where+
		` ORDER BY ts, seq LIMIT $`+strconv.Itoa(n-1)+` OFFSET $`+strconv.Itoa(n), args...)
	return events, dbError(err)
}

// auditWhere translates f into SQL with the same meaning as gateway.AuditFilter.Match.
func auditWhere(f gateway.AuditFilter) (string, []any) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if !f.Since.IsZero() {
		conds = append(conds, `ts >= `+arg(f.Since))
	}
	if !f.Until.IsZero() {
		conds = append(conds, `ts <= `+arg(f.Until))
	}
	if f.After != nil {
		conds = append(conds, `(ts, seq) > (`+arg(f.After.Timestamp)+`, `+arg(f.After.Seq)+`)`)
	}
	if f.MaxSeq > 0 {
		conds = append(conds, `seq <= `+arg(f.MaxSeq))
	}
	if len(f.Kinds) > 0 {
		conds = append(conds, `kind = ANY(`+arg(f.Kinds)+`)`)
	}
	if len(f.Usernames) > 0 {
		conds = append(conds, `username = ANY(`+arg(f.Usernames)+`)`)
	}
	if len(f.EndpointIDs)+len(f.EndpointNames) > 0 {
		conds = append(conds, `(endpoint_id = ANY(`+arg(nonNil(f.EndpointIDs))+`) OR endpoint_name = ANY(`+arg(nonNil(f.EndpointNames))+`))`)
	}
	if len(conds) == 0 {
		return "", args
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args
}

// nonNil sends an empty array rather than NULL, so "= ANY" is false rather than unknown.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// AuditChainPage returns up to limit events after afterSeq in Seq order.
func (s *Store) AuditChainPage(ctx context.Context, afterSeq int64, limit int) ([]gateway.AuditEvent, error) {
	events, err := queryEvents(ctx, s.pool, `SELECT `+eventColumns+` FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2`,
		afterSeq, max(limit, 1))
	return events, dbError(err)
}

// AuditHead returns the stored chain head.
func (s *Store) AuditHead(ctx context.Context) (gateway.AuditHead, error) {
	var h gateway.AuditHead
	err := s.pool.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&h.Seq, &h.Hash)
	return h, dbError(err)
}

func queryEvents(ctx context.Context, q querier, query string, args ...any) ([]gateway.AuditEvent, error) {
	rows, _ := q.Query(ctx, query, args...)
	events, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (gateway.AuditEvent, error) {
		var ev gateway.AuditEvent
		var metadata string
		err := row.Scan(&ev.Seq, &ev.ID, &ev.Kind, &ev.Timestamp, &ev.PerformedBy, &ev.EndpointID, &ev.EndpointType,
			&metadata, &ev.PrevHash, &ev.Hash, &ev.KeyID)
		// A row whose metadata was damaged still comes back (with what could be decoded), so
		// verification reports it as a hash mismatch instead of failing to read the trail.
		_ = json.Unmarshal([]byte(metadata), &ev.Metadata)
		ev.Timestamp = ev.Timestamp.UTC()
		return ev, err
	})
	return nilIfEmpty(events), err
}
