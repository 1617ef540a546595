package app

import (
	"context"

	"github.com/llmgate/llmgate/gateway"
)

// delta derives the snapshot that follows one committed change from the one before it.
type delta func(*gateway.Snapshot) *gateway.Snapshot

// commit runs write, which makes exactly one StateStore mutation, and makes its effect visible
// to this replica's next request. When the snapshot is exactly one version behind the one write
// committed, nobody else wrote in between, so applying d to it gives the store's new state at a
// cost proportional to the change; otherwise (another process wrote too) it reloads. Other
// replicas learn of the change from the store, as before.
func (a *App) commit(ctx context.Context, write func(ctx context.Context) error, d delta) error {
	var r gateway.CommitReceipt
	if err := write(gateway.WithCommitReceipt(ctx, &r)); err != nil {
		return err
	}
	if !a.applyCommitted(r.Version, d) {
		a.changed(ctx)
	}
	return nil
}

// applyCommitted swaps in d applied to the snapshot when that gives the state at version;
// false means a reload is needed.
func (a *App) applyCommitted(version int64, d delta) bool {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	cur := a.snap.Load()
	switch {
	case version == 0 || d == nil:
		return false
	case cur.Version >= version: // a reload since the commit already read it
		return true
	case cur.Version != version-1:
		return false
	}
	next := d(cur)
	next.Version = version
	a.snap.Store(next)
	return true
}

// withEndpoint is the delta of creating or replacing e.
func withEndpoint(e *gateway.Endpoint) delta {
	return func(s *gateway.Snapshot) *gateway.Snapshot { return s.WithEndpoint(e) }
}
