package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/llmgate/llmgate/app"
)

// keyUseFlushInterval is how often a serving process records the key uses it saw and reads
// back everyone's: the "last used" of the admin listings is at most this old for uses made
// on another replica, and current for this one's.
const keyUseFlushInterval = 10 * time.Second

// keepKeyUses flushes the key uses a has seen every keyUseFlushInterval until ctx ends. The
// returned function flushes once more; serve calls it at shutdown, before the store closes.
func keepKeyUses(ctx context.Context, a *app.App, log *slog.Logger) (final func()) {
	flush := func(ctx context.Context) {
		if err := a.FlushKeyUses(ctx); err != nil && ctx.Err() == nil {
			log.Warn("recording key uses failed; retried at the next flush", "err", err)
		}
	}
	go every(ctx, keyUseFlushInterval, flush)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		flush(ctx)
	}
}
