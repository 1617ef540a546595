package gateway

import (
	"fmt"
	"slices"
	"strings"
)

// Routing is how an endpoint's upstream calls are retried: which failures (RetryClasses) are
// tried again and how many attempts a query makes in all, within the endpoint's timeout.
type Routing struct {
	RetryOn     []string `json:"retryOn,omitempty"`
	MaxAttempts int      `json:"maxAttempts,omitempty"`
}

// RetryClasses are the failures a query may retry: the provider's 429, its 5xx, our
// deadline for one attempt, and a connection that could not be made or broke.
var RetryClasses = []string{"429", "5xx", "timeout", "connect"}

// MaxAttempts bounds Routing.MaxAttempts.
const MaxAttempts = 10

// Validate names the first bad field under prefix.
func (r *Routing) Validate(prefix string) error {
	for _, c := range r.RetryOn {
		if !slices.Contains(RetryClasses, c) {
			return &Error{Code: CodeInvalid, Field: prefix + "retryOn",
				Message: fmt.Sprintf("%sretryOn: %q is not one of %s", prefix, c, strings.Join(RetryClasses, ", "))}
		}
	}
	if r.MaxAttempts < 0 || r.MaxAttempts > MaxAttempts {
		return &Error{Code: CodeInvalid, Field: prefix + "maxAttempts",
			Message: fmt.Sprintf("%smaxAttempts must be from 1 to %d", prefix, MaxAttempts)}
	}
	return nil
}

// Retries reports whether a failure of class may be tried again.
func (r *Routing) Retries(class string) bool {
	return r != nil && slices.Contains(r.RetryOn, class)
}

// Attempts is how many attempts a query makes at most (1 without retries).
func (r *Routing) Attempts() int {
	if r == nil || r.MaxAttempts < 1 || len(r.RetryOn) == 0 {
		return 1
	}
	return r.MaxAttempts
}

// CachePolicy turns on the response cache for an endpoint (package respcache): exact-match
// answers to non-streamed queries kept for TTLSeconds.
type CachePolicy struct {
	TTLSeconds int `json:"ttlSeconds"`
}

// MaxCacheTTL bounds CachePolicy.TTLSeconds (a day).
const MaxCacheTTL = 86400

// Validate names the first bad field under prefix.
func (c *CachePolicy) Validate(prefix string) error {
	if c.TTLSeconds < 1 || c.TTLSeconds > MaxCacheTTL {
		return &Error{Code: CodeInvalid, Field: prefix + "ttlSeconds",
			Message: fmt.Sprintf("%sttlSeconds must be from 1 to %d", prefix, MaxCacheTTL)}
	}
	return nil
}
