package audit

import (
	"context"
	"errors"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// Retention bounds the trail by age and/or by number of events (zero: no bound).
type Retention struct {
	MaxAge    time.Duration
	MaxEvents int64
}

// Enabled reports whether any bound is set.
func (r Retention) Enabled() bool { return r.MaxAge > 0 || r.MaxEvents > 0 }

// pruneChunk bounds one prune transaction, so retention never holds the write lock long.
const pruneChunk = 5000

// Prune deletes the oldest events beyond r as a prefix of the chain — events older than
// MaxAge up to the first one that is not, and anything beyond the newest MaxEvents — in
// chunks, each moving the store's MACed anchor forward. It returns how many events it
// deleted and the anchor verification now starts from.
func Prune(ctx context.Context, store gateway.AuditLog, r Retention, now time.Time) (int64, gateway.AuditAnchor, error) {
	head, err := store.AuditHead(ctx)
	if err != nil {
		return 0, gateway.AuditAnchor{}, err
	}
	anchor, err := store.AuditAnchor(ctx)
	if err != nil {
		return 0, anchor, err
	}
	target := anchor.Seq
	if r.MaxEvents > 0 && head.Seq-anchor.Seq > r.MaxEvents {
		target = head.Seq - r.MaxEvents
	}
	if r.MaxAge > 0 {
		cutoff := now.Add(-r.MaxAge)
		err := EachInChain(ctx, store, target, head.Seq, func(ev *gateway.AuditEvent) error {
			if !ev.Timestamp.Before(cutoff) {
				return errStop
			}
			target = ev.Seq
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			return 0, anchor, err
		}
	}
	var pruned int64
	for anchor.Seq < target {
		upTo := min(target, anchor.Seq+pruneChunk)
		a, err := store.PruneAudit(ctx, upTo)
		if err != nil {
			return pruned, anchor, err
		}
		pruned += a.Seq - anchor.Seq
		anchor = a
	}
	return pruned, anchor, nil
}
