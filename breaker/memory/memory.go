// Package memory is the in-process breaker.Breaker.
package memory

import (
	"context"
	"sync"
	"time"

	"github.com/llmgate/llmgate/breaker"
)

type state struct {
	fails     int
	openUntil time.Time // zero: closed
	probing   time.Time // a probe's lease end while half-open
}

// Breaker keeps each target's state in memory.
type Breaker struct {
	mu    sync.Mutex
	items map[string]*state
	now   func() time.Time
}

// New returns a breaker with every target closed.
func New() *Breaker { return &Breaker{items: map[string]*state{}, now: time.Now} }

// WithClock replaces the clock (tests).
func (b *Breaker) WithClock(now func() time.Time) *Breaker { b.now = now; return b }

func (b *Breaker) get(key string) *state {
	s := b.items[key]
	if s == nil {
		s = &state{}
		b.items[key] = s
	}
	return s
}

// Allow implements breaker.Breaker.
func (b *Breaker) Allow(_ context.Context, key string, cooldown time.Duration) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, now := b.get(key), b.now()
	switch {
	case s.openUntil.IsZero():
		return true, nil
	case now.Before(s.openUntil), now.Before(s.probing):
		return false, nil
	}
	s.probing = now.Add(cooldown) // this caller is the probe
	return true, nil
}

// Report implements breaker.Breaker.
func (b *Breaker) Report(_ context.Context, key string, ok bool, cooldown time.Duration) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, now := b.get(key), b.now()
	if ok {
		*s = state{}
		return nil
	}
	s.fails++
	if !s.openUntil.IsZero() || s.fails >= breaker.Threshold {
		s.openUntil, s.probing = now.Add(cooldown), time.Time{}
	}
	return nil
}

// Open implements breaker.Breaker.
func (b *Breaker) Open(_ context.Context, key string) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.items[key]
	return s != nil && !s.openUntil.IsZero(), nil
}
