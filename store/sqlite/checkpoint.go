package sqlite

import (
	"context"
	"time"
)

// SQLite's own WAL checkpoint runs inside the commit that pushes the WAL past 1,000 pages:
// that commit copies the WAL into the database file and fsyncs it before it returns. Under
// load it is an audit group commit, so every request waiting on it stalled for the copy (tens
// of milliseconds, every second or two at a few thousand requests a second). The write
// connection therefore never checkpoints (wal_autocheckpoint 0); a goroutine runs a PASSIVE
// checkpoint on a read connection instead, which copies what it can without taking the write
// lock, so commits carry on beside it. The WAL file is truncated back to journalSizeLimit
// after it has been reset, and the last connection to close checkpoints whatever is left, as
// SQLite always does.

const (
	// checkpointEvery is how often the checkpointer looks at the WAL.
	checkpointEvery = 250 * time.Millisecond
	// journalSizeLimit bounds the WAL file kept after a reset, in bytes.
	journalSizeLimit = 64 << 20
)

// checkpointer runs PASSIVE checkpoints until ctx ends; done is closed when it has returned.
func (s *Store) checkpointer(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.checkpoint(ctx) // a failure (busy, closing) is retried on the next tick
		}
	}
}

// checkpoint copies every WAL frame no reader still needs into the database file, without
// blocking the writer, and reports how many frames the WAL holds and how many are copied.
func (s *Store) checkpoint(ctx context.Context) (frames, copied int, err error) {
	var busy int
	err = s.read.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
	return frames, copied, err
}
