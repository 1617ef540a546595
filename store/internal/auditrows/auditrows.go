// Package auditrows is what both SQL stores share about inserting audit events, so the two
// cannot disagree: the columns and their order, the multi-row INSERTs a batch is split into,
// and a row's arguments.
//
// Why multi-row INSERTs: per statement, database/sql and the SQLite driver (or pgx and the
// protocol) cost about as much as inserting one row, so a group commit's events go in as few
// statements as the prepared sizes allow.
package auditrows

import (
	"strings"

	"github.com/llmgate/llmgate/gateway"
)

// Columns is how many columns an event's row has, in the order Query lists them.
const Columns = 13

// Sizes are the row counts of the multi-row INSERTs, largest first, ending in 1: powers of
// two, so a batch of up to 63 events takes at most six statements.
var Sizes = [...]int{32, 16, 8, 4, 2, 1}

// Fit returns the index in Sizes of the largest INSERT not longer than n (> 0) events.
func Fit(n int) int {
	i := 0
	for Sizes[i] > n {
		i++
	}
	return i
}

// Query is the INSERT of n events; placeholder(k) writes the k-th parameter, from 1.
func Query(n int, placeholder func(k int) string) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO audit_events (seq, id, kind, ts, performed_by, endpoint_id, endpoint_type, endpoint_name,
		username, metadata, prev_hash, hash, key_id) VALUES `)
	for r := range n {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range Columns {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteString(placeholder(r*Columns + c + 1))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// Row is the arguments of one event's row. Next reuses the previous row's boxed strings
// where they are equal: boxing a string allocates, and a batch's events mostly share their
// kind, user, endpoint and key, and each one's prevHash is the one before's hash.
type Row [Columns]any

// Next returns ev's row after r (the zero Row before the first); ts is the store's timestamp
// value and metadata the column's JSON.
func (r *Row) Next(ev *gateway.AuditEvent, ts any, metadata string) Row {
	return Row{ev.Seq, ev.ID, reuse(r[2], ev.Kind), ts, reuse(r[4], ev.PerformedBy), reuse(r[5], ev.EndpointID),
		reuse(r[6], ev.EndpointType), reuse(r[7], ev.EndpointName()), reuse(r[8], ev.Username()), metadata,
		reuse(r[11], ev.PrevHash), ev.Hash, reuse(r[12], ev.KeyID)}
}

func reuse(prev any, s string) any {
	if p, ok := prev.(string); ok && p == s {
		return prev
	}
	return s
}
