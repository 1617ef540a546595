// Package breaker takes a failing upstream target out of rotation: after Threshold failures in
// a row it is open — skipped — for a cooldown, then one probe at a time is let through
// (half-open); the probe's success closes it, its failure opens it for another cooldown. The
// state is shared: in Redis across replicas (breaker/redis), so three replicas send a dead
// target one probe per cooldown between them rather than each their own; in process otherwise
// (breaker/memory). One conformance suite holds both (breaker/breakertest).
package breaker

import (
	"context"
	"time"
)

// Threshold is how many failures in a row open a target.
const Threshold = 3

// Breaker decides whether a target may be called and learns from each call.
type Breaker interface {
	// Allow reports whether a call to key may go ahead now: always while closed; while open,
	// only once the cooldown has passed and only for one caller at a time (the probe).
	Allow(ctx context.Context, key string, cooldown time.Duration) (bool, error)
	// Report records a call's result: success closes the target, a failure counts towards
	// Threshold (or, for a probe, opens it again).
	Report(ctx context.Context, key string, ok bool, cooldown time.Duration) error
	// Open reports whether key is open (skipped) now.
	Open(ctx context.Context, key string) (bool, error)
}
