package gateway

import "context"

// CommitReceipt is where a StateStore mutation reports the state version it committed. The
// App that made a change uses it to tell whether its snapshot is exactly one change behind
// (then it applies the change in place instead of reloading everything).
type CommitReceipt struct {
	// Version is the state version the mutation committed; 0 until it has committed.
	Version int64
}

type commitReceiptKey struct{}

// WithCommitReceipt returns a context whose StateStore mutations record into r.
func WithCommitReceipt(ctx context.Context, r *CommitReceipt) context.Context {
	return context.WithValue(ctx, commitReceiptKey{}, r)
}

// RecordCommit is called by a StateStore after a mutation committed version: it fills the
// receipt ctx carries, if any.
func RecordCommit(ctx context.Context, version int64) {
	if r, ok := ctx.Value(commitReceiptKey{}).(*CommitReceipt); ok && r != nil {
		r.Version = version
	}
}
