package app

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// keyUses remembers when each key was last used, for the admin listings. The request path
// only stores a timestamp in the key's cell (no lock, no store write); FlushKeyUses records
// the batch in the store every few seconds and reads back what every replica recorded.
// Memory is one cell per live key that was used: FlushKeyUses drops the cells of keys that
// are no longer in the snapshot.
type keyUses struct {
	cells  sync.Map // key id → *useCell
	stored atomic.Pointer[map[string]time.Time]
}

type useCell struct {
	last    atomic.Int64 // unix ms of the latest use seen here
	flushed atomic.Int64 // the value last recorded in the store
}

// note records a use of key id at now.
func (u *keyUses) note(id string, now time.Time) {
	v, ok := u.cells.Load(id)
	if !ok {
		v, _ = u.cells.LoadOrStore(id, new(useCell))
	}
	c := v.(*useCell)
	ms := now.UnixMilli()
	for {
		cur := c.last.Load()
		if cur >= ms || c.last.CompareAndSwap(cur, ms) {
			return
		}
	}
}

// KeyLastUsed returns when key id was last used, as far as this process knows: its own uses
// and what the store held at the last flush. Nil when never.
func (a *App) KeyLastUsed(id string) *time.Time {
	var best int64
	if v, ok := a.keyUses.cells.Load(id); ok {
		best = v.(*useCell).last.Load()
	}
	if m := a.keyUses.stored.Load(); m != nil {
		if t, ok := (*m)[id]; ok && t.UnixMilli() > best {
			best = t.UnixMilli()
		}
	}
	if best == 0 {
		return nil
	}
	t := time.UnixMilli(best).UTC()
	return &t
}

// FlushKeyUses records the uses seen since the last flush and reloads every key's last use
// from the store. `llmgate serve` calls it periodically and at shutdown.
func (a *App) FlushKeyUses(ctx context.Context) error {
	batch := map[string]time.Time{}
	pending := map[*useCell]int64{}
	snap := a.Snapshot()
	a.keyUses.cells.Range(func(k, v any) bool {
		id, c := k.(string), v.(*useCell)
		if snap.Key(id) == nil { // revoked or gone: nothing will list it
			a.keyUses.cells.Delete(id)
			return true
		}
		if last := c.last.Load(); last > c.flushed.Load() {
			batch[id] = time.UnixMilli(last)
			pending[c] = last
		}
		return true
	})
	if err := a.Store.RecordKeyUses(ctx, batch); err != nil {
		return err
	}
	for c, last := range pending {
		c.flushed.Store(last)
	}
	stored, err := a.Store.KeysLastUsed(ctx)
	if err != nil {
		return err
	}
	a.keyUses.stored.Store(&stored)
	return nil
}
