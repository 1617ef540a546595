package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// WatchApplicationName names WatchChanges' connection in pg_stat_activity.
const WatchApplicationName = "llmgate-watch"

// Reconnection backoff of WatchChanges: quick after a blip, at most every few seconds while
// the database is down.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// WatchChanges calls onChange with the new state version whenever any Store on this database
// (any replica) commits a mutation. It holds a dedicated LISTEN connection, reconnecting with
// backoff, and returns nil when ctx ends.
//
// onChange is also called right after every (re)connection with the current version, so a
// change committed while the connection was down is not missed — and a caller knows from the
// first call that notifications are flowing. Versions may repeat; callers compare them with
// what they have. onChange runs on WatchChanges' goroutine, so it should return quickly.
func (s *Store) WatchChanges(ctx context.Context, onChange func(version int64)) error {
	backoff := minBackoff
	for {
		if s.listen(ctx, onChange) {
			backoff = minBackoff // the connection worked: the next failure is a new incident
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// listen serves one LISTEN connection until it fails or ctx ends, and reports whether it got
// as far as listening.
func (s *Store) listen(ctx context.Context, onChange func(version int64)) bool {
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = WatchApplicationName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+NotifyChannel); err != nil {
		return false
	}
	var version int64
	if err := conn.QueryRow(ctx, `SELECT version FROM state WHERE id = 1`).Scan(&version); err != nil {
		return false
	}
	onChange(version)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true
		}
		if v, err := strconv.ParseInt(n.Payload, 10, 64); err == nil {
			onChange(v)
		}
	}
}
