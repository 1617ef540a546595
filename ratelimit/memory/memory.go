// Package memory is the in-process gateway.Limiter: exact sliding windows for a single
// replica, with no dependency to fail. Keys are spread over mutex-guarded shards so unrelated
// keys do not contend; a Take locks every shard its rules touch (in a fixed order, so
// concurrent Takes cannot deadlock), which makes the check-then-record step atomic across
// all its rules.
package memory

import (
	"context"
	"hash/maphash"
	"slices"
	"sync"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/ratelimit"
)

const (
	shardCount = 64
	// sweepInterval is how often a shard drops keys whose every entry has expired, which
	// keeps memory proportional to the keys active within their window.
	sweepInterval = time.Minute
)

// Limiter is an in-process sliding-window limiter. The zero value is not usable; call New.
type Limiter struct {
	now    func() time.Time
	seed   maphash.Seed
	shards [shardCount]shard
}

type shard struct {
	mu        sync.Mutex
	logs      map[string]*slidingLog
	lastSweep time.Time
}

// Option configures a Limiter.
type Option func(*Limiter)

// WithClock replaces the wall clock, so tests can move time instead of waiting for it.
func WithClock(now func() time.Time) Option {
	return func(l *Limiter) { l.now = now }
}

// New returns an empty limiter.
func New(opts ...Option) *Limiter {
	l := &Limiter{now: time.Now, seed: maphash.MakeSeed()}
	for _, opt := range opts {
		opt(l)
	}
	for i := range l.shards {
		l.shards[i].logs = make(map[string]*slidingLog)
	}
	return l
}

var _ gateway.Limiter = (*Limiter)(nil)

// Take admits the request when every rule has Need units free, recording each rule's Add;
// otherwise it records nothing and reports the first denying rule.
func (l *Limiter) Take(ctx context.Context, rules []gateway.LimitRule) (gateway.LimitDecision, error) {
	if err := ratelimit.Validate(rules); err != nil {
		return gateway.LimitDecision{Denied: -1}, err
	}
	if err := ctx.Err(); err != nil {
		return gateway.LimitDecision{Denied: -1}, err
	}
	unlock := l.lock(rules)
	defer unlock()
	now := l.now()
	logs := l.logsFor(rules, now)
	// pending counts units this Take would add to a key named by an earlier rule, so a key
	// repeated within one Take is checked against what the Take itself records.
	pending := make(map[*slidingLog]int64, len(rules))
	for i, r := range rules {
		lg := logs[i]
		if wait, ok := lg.room(r, pending[lg], now); !ok {
			return gateway.LimitDecision{RetryAfter: ratelimit.RoundRetryAfter(wait), Denied: i}, nil
		}
		pending[lg] += r.Add
	}
	for i, r := range rules {
		logs[i].add(r.Add, r.Window, now)
	}
	return gateway.LimitDecision{Allowed: true, Denied: -1}, nil
}

// Record adds n units to every rule's key without checking its limit.
func (l *Limiter) Record(ctx context.Context, rules []gateway.LimitRule, n int64) error {
	if err := ratelimit.ValidateRecord(rules, n); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	unlock := l.lock(rules)
	defer unlock()
	now := l.now()
	for i, lg := range l.logsFor(rules, now) {
		lg.add(n, rules[i].Window, now)
	}
	return nil
}

func (l *Limiter) shardIndex(key string) int {
	return int(maphash.String(l.seed, key) % shardCount)
}

// lock takes every shard the rules touch in ascending order and returns the unlock.
func (l *Limiter) lock(rules []gateway.LimitRule) func() {
	idx := make([]int, 0, len(rules))
	for _, r := range rules {
		idx = append(idx, l.shardIndex(r.Key))
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	for _, i := range idx {
		l.shards[i].mu.Lock()
	}
	return func() {
		for _, i := range slices.Backward(idx) {
			l.shards[i].mu.Unlock()
		}
	}
}

// logsFor returns each rule's log, pruned to its window, creating missing ones. It also gives
// each touched shard its chance to sweep. The caller holds the shards' locks.
func (l *Limiter) logsFor(rules []gateway.LimitRule, now time.Time) []*slidingLog {
	logs := make([]*slidingLog, len(rules))
	for i, r := range rules {
		sh := &l.shards[l.shardIndex(r.Key)]
		sh.sweep(now)
		lg, ok := sh.logs[r.Key]
		if !ok {
			lg = &slidingLog{}
			sh.logs[r.Key] = lg
		}
		lg.prune(r.Window, now)
		logs[i] = lg
	}
	return logs
}

// sweep drops logs that hold nothing unexpired, at most once per sweepInterval.
func (s *shard) sweep(now time.Time) {
	if now.Sub(s.lastSweep) < sweepInterval {
		return
	}
	s.lastSweep = now
	for key, lg := range s.logs {
		if !now.Before(lg.expires) {
			delete(s.logs, key)
		}
	}
}
