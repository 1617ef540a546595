package audit

import (
	"context"
	"errors"

	"github.com/llmgate/llmgate/gateway"
)

// PageSize is how many events one store read brings into memory. Every pass over the trail
// (export, download, verification) reads page after page by keyset, so its memory does not
// grow with the length of the trail.
const PageSize = 1000

// errStop ends an iteration early without being an error for the caller.
var errStop = errors.New("stop")

// Each calls fn for every event matching f in (timestamp, seq) order. f.Offset and f.Limit
// are ignored: the whole selection is visited.
func Each(ctx context.Context, store gateway.AuditLog, f gateway.AuditFilter, fn func(*gateway.AuditEvent) error) error {
	f.Offset, f.Limit = 0, PageSize
	for {
		page, err := store.QueryAudit(ctx, f)
		if err != nil {
			return err
		}
		for i := range page {
			if err := fn(&page[i]); err != nil {
				return err
			}
		}
		if len(page) < PageSize {
			return nil
		}
		f.After = gateway.CursorOf(&page[len(page)-1])
	}
}

// EachInChain calls fn for every event with afterSeq < Seq <= upTo, in Seq order.
func EachInChain(ctx context.Context, store gateway.AuditLog, afterSeq, upTo int64, fn func(*gateway.AuditEvent) error) error {
	for afterSeq < upTo {
		page, err := store.AuditChainPage(ctx, afterSeq, PageSize)
		if err != nil {
			return err
		}
		for i := range page {
			if page[i].Seq > upTo {
				return nil
			}
			if err := fn(&page[i]); err != nil {
				return err
			}
		}
		if len(page) < PageSize {
			return nil
		}
		afterSeq = page[len(page)-1].Seq
	}
	return nil
}
