package gateway

import "context"

// ChangeWatcher is implemented by stores that can push "state changed" signals from other
// processes (store/postgres via LISTEN/NOTIFY), so a replica reloads at once instead of at its
// next periodic StateVersion check.
type ChangeWatcher interface {
	// WatchChanges calls onChange with the new state version after changes committed by any
	// process, until ctx ends; it then returns nil.
	WatchChanges(ctx context.Context, onChange func(version int64)) error
}
