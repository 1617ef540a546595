package ratelimit

import (
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// SlicesPerWindow bounds how many log entries a key keeps per window. Units recorded within
// one slice (Window/SlicesPerWindow) are merged into one entry stamped with the latest time,
// so a key costs O(SlicesPerWindow) memory however busy it is. Merging only ever delays
// expiry (by less than a slice), so it can make a limit stricter for an instant but never
// admits more than Limit units in any trailing window.
const SlicesPerWindow = 64

// SliceOf is the merge span for a window.
func SliceOf(window time.Duration) time.Duration { return window / SlicesPerWindow }

// Validate rejects rules no limiter can enforce meaningfully. An unlimited scope is
// expressed by leaving its rule out, never by Limit 0.
func Validate(rules []gateway.LimitRule) error {
	for _, r := range rules {
		switch {
		case r.Key == "":
			return gateway.Errorf(gateway.CodeInvalid, "rate limit rule without a key")
		case r.Limit <= 0:
			return gateway.Errorf(gateway.CodeInvalid, "rate limit rule %q: limit must be positive", r.Key)
		case r.Window < time.Millisecond:
			return gateway.Errorf(gateway.CodeInvalid, "rate limit rule %q: window must be at least 1ms", r.Key)
		case r.Need < 0 || r.Add < 0:
			return gateway.Errorf(gateway.CodeInvalid, "rate limit rule %q: need and add must not be negative", r.Key)
		}
	}
	return nil
}

// ValidateRecord rejects a Record call that would corrupt counters.
func ValidateRecord(rules []gateway.LimitRule, n int64) error {
	if n < 0 {
		return gateway.Errorf(gateway.CodeInvalid, "rate limit record: units must not be negative")
	}
	return Validate(rules)
}

// RoundRetryAfter turns the exact wait into the value a Retry-After header can carry: whole
// seconds, rounded up so a client that obeys it is admitted, and at least one second.
func RoundRetryAfter(d time.Duration) time.Duration {
	if d <= time.Second {
		return time.Second
	}
	return (d + time.Second - 1).Truncate(time.Second)
}
