// Package memory is the in-process budget.Ledger, for a single replica (no Redis).
package memory

import (
	"context"
	"sync"
	"time"

	"github.com/llmgate/llmgate/budget"
)

type entry struct {
	committed, reserved budget.Amount
	expires             time.Time
	alerted             map[int]bool
}

// Ledger is a budget.Ledger in memory. The zero value is not usable; call New.
type Ledger struct {
	mu      sync.Mutex
	buckets map[string]*entry
	now     func() time.Time
}

// New returns an empty ledger.
func New() *Ledger { return &Ledger{buckets: map[string]*entry{}, now: time.Now} }

func (l *Ledger) get(b budget.Bucket) *entry {
	e := l.buckets[b.Key]
	if e == nil {
		if len(l.buckets) > 4096 {
			l.sweep()
		}
		e = &entry{expires: b.Expires}
		l.buckets[b.Key] = e
	}
	return e
}

// sweep forgets buckets whose period has ended.
func (l *Ledger) sweep() {
	now := l.now()
	for k, e := range l.buckets {
		if now.After(e.expires) {
			delete(l.buckets, k)
		}
	}
}

// Reserve implements budget.Ledger.
func (l *Ledger) Reserve(_ context.Context, buckets []budget.Bucket, est budget.Amount) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, b := range buckets {
		e := l.get(b)
		if !budget.Fits(b, e.committed, e.reserved, est) {
			return i, nil
		}
	}
	for _, b := range buckets {
		e := l.get(b)
		e.reserved.Tokens += est.Tokens
		e.reserved.CostMicros += est.CostMicros
	}
	return -1, nil
}

// Settle implements budget.Ledger.
func (l *Ledger) Settle(_ context.Context, buckets []budget.Bucket, est, actual budget.Amount) ([]budget.Settled, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]budget.Settled, len(buckets))
	for i, b := range buckets {
		e := l.get(b)
		out[i].Before = e.committed
		e.reserved.Tokens -= est.Tokens
		e.reserved.CostMicros -= est.CostMicros
		e.committed.Tokens += actual.Tokens
		e.committed.CostMicros += actual.CostMicros
		out[i].After = e.committed
	}
	return out, nil
}

// Used implements budget.Ledger.
func (l *Ledger) Used(_ context.Context, key string) (budget.Amount, budget.Amount, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.buckets[key]; e != nil {
		return e.committed, e.reserved, nil
	}
	return budget.Amount{}, budget.Amount{}, nil
}

// MarkAlert implements budget.Ledger.
func (l *Ledger) MarkAlert(_ context.Context, b budget.Bucket, threshold int) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.get(b)
	if e.alerted == nil {
		e.alerted = map[int]bool{}
	}
	if e.alerted[threshold] {
		return false, nil
	}
	e.alerted[threshold] = true
	return true, nil
}
