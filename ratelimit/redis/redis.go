// Package redis is the gateway.Limiter shared by replicas: every decision is one Lua script
// run atomically by Redis, so limits stay exact however many gateway processes share the
// server. Wrap it with ratelimit.WithPolicy so an unreachable Redis neither hangs requests
// nor lifts limits silently.
package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/ratelimit"
)

// DefaultPrefix namespaces limiter keys so they cannot collide with other data in a shared
// Redis.
const DefaultPrefix = "llmgate:rl:"

// Limiter is a Redis-backed sliding-window limiter.
type Limiter struct {
	client *goredis.Client
	prefix string
}

// Option configures a Limiter.
type Option func(*Limiter)

// WithPrefix replaces DefaultPrefix, e.g. to run several gateways on one Redis.
func WithPrefix(prefix string) Option {
	return func(l *Limiter) { l.prefix = prefix }
}

// New returns a limiter that keeps its counters in client's database.
func New(client *goredis.Client, opts ...Option) *Limiter {
	l := &Limiter{client: client, prefix: DefaultPrefix}
	for _, opt := range opts {
		opt(l)
	}
	return l
}

var _ gateway.Limiter = (*Limiter)(nil)

// Take admits the request when every rule has Need units free, recording each rule's Add;
// otherwise it records nothing and reports the first denying rule. Scripts run by EVALSHA,
// falling back to EVAL when the server's script cache lacks them (restart, SCRIPT FLUSH).
func (l *Limiter) Take(ctx context.Context, rules []gateway.LimitRule) (gateway.LimitDecision, error) {
	if err := ratelimit.Validate(rules); err != nil {
		return gateway.LimitDecision{Denied: -1}, err
	}
	if len(rules) == 0 {
		return gateway.LimitDecision{Allowed: true, Denied: -1}, nil
	}
	args := make([]any, 0, 4*len(rules))
	for _, r := range rules {
		args = append(args, r.Limit, r.Window.Microseconds(), r.Need, r.Add)
	}
	res, err := takeScript.Run(ctx, l.client, l.keys(rules), args...).Int64Slice()
	if err != nil {
		return gateway.LimitDecision{Denied: -1}, backendError(err)
	}
	return decision(res)
}

// Record adds n units to every rule's key without checking its limit.
func (l *Limiter) Record(ctx context.Context, rules []gateway.LimitRule, n int64) error {
	if err := ratelimit.ValidateRecord(rules, n); err != nil {
		return err
	}
	if len(rules) == 0 || n == 0 {
		return nil
	}
	args := make([]any, 0, 1+len(rules))
	args = append(args, n)
	for _, r := range rules {
		args = append(args, r.Window.Microseconds())
	}
	if err := recordScript.Run(ctx, l.client, l.keys(rules), args...).Err(); err != nil {
		return backendError(err)
	}
	return nil
}

func (l *Limiter) keys(rules []gateway.LimitRule) []string {
	keys := make([]string, len(rules))
	for i, r := range rules {
		keys[i] = l.prefix + r.Key
	}
	return keys
}

// decision reads the take script's {allowed, denied index, wait µs} reply.
func decision(res []int64) (gateway.LimitDecision, error) {
	if len(res) != 3 {
		return gateway.LimitDecision{Denied: -1}, gateway.Errorf(gateway.CodeInternal, "rate limiter: unexpected script reply")
	}
	if res[0] == 1 {
		return gateway.LimitDecision{Allowed: true, Denied: -1}, nil
	}
	wait := time.Duration(res[2]) * time.Microsecond
	return gateway.LimitDecision{RetryAfter: ratelimit.RoundRetryAfter(wait), Denied: int(res[1])}, nil
}

func backendError(err error) error {
	return gateway.Wrap(gateway.CodeUnavailable, err, "rate limiter backend failed")
}
