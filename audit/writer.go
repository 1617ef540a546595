// Package audit writes, verifies and exports llmgate's tamper-evident audit trail.
//
// Writer is a group-commit writer: every request hands its event over and waits; one
// goroutine appends whatever has queued up in a single store transaction (one fsync) and wakes
// all waiters when it is durable. Under load many requests share one commit, so "durable
// before the response completes" does not cost one fsync per request.
//
// A commit costs far more than the events in it (the transaction, the chain head, the WAL
// write and its fsync), so the writer also waits, briefly, for events it has been told are on
// their way (Expect: the pipeline announces a query's event when it sends the query upstream).
// At one caller nothing else is expected and nothing waits; with other queries in flight a
// batch waits up to maxGather for theirs, the group-commit delay databases offer for the same
// reason (PostgreSQL's commit_delay), and carries ten or more events instead of two or three.
package audit

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// maxBatch bounds one transaction so a burst cannot hold the chain lock for long.
const maxBatch = 512

// maxGather bounds how long an open batch waits for expected events, and so what gathering
// can add to a response: an upstream slower than this (any real model) leaves its event for a
// later batch.
const maxGather = time.Millisecond

type pending struct {
	ev   *gateway.AuditEvent
	done chan error
}

// Writer batches events into group commits. Safe for concurrent use.
type Writer struct {
	store  gateway.AuditLog
	log    *slog.Logger
	queue  chan pending
	closed chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
	// mu orders enqueueing against Close: Write sends under the read lock after checking
	// stopped, and Close sets stopped under the write lock before the loop drains, so no
	// event can land in the queue after the final drain and wait forever.
	mu      sync.RWMutex
	stopped bool
	// retryBackoff is how long the writer waits before retrying a failed commit.
	retryBackoff time.Duration
	// committed, when set, receives every batch once it is durable (SetCommitted).
	committed func([]*gateway.AuditEvent)
	// observe, when set, is told each durable commit's size and time (SetCommitObserver).
	observe func(events int, took time.Duration)
	// expected counts events announced by Expect and not yet handed over (Arrived);
	// gatherFor is how long an open batch waits for them (maxGather).
	expected  atomic.Int64
	gatherFor time.Duration
}

// Expect announces an event that is about to be written; the caller must call Arrived
// exactly once afterwards, just before its Write or when it will not write after all.
func (w *Writer) Expect() { w.expected.Add(1) }

// Arrived withdraws one announcement made by Expect.
func (w *Writer) Arrived() { w.expected.Add(-1) }

// SetCommitted makes the writer hand every durable batch to f, in commit order, from its
// commit loop: f must not block (queue and return). Call it before the first Write.
func (w *Writer) SetCommitted(f func([]*gateway.AuditEvent)) { w.committed = f }

// SetCommitObserver makes the writer tell f the number of events and the time of every
// durable commit (the group-commit size operators watch, llmgate_audit_commit_*), from its
// commit loop: f must be quick. Call it before the first Write.
func (w *Writer) SetCommitObserver(f func(events int, took time.Duration)) { w.observe = f }

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("audit writer closed")

// NewWriter starts the commit loop.
func NewWriter(store gateway.AuditLog, log *slog.Logger) *Writer {
	return newWriter(store, log, 50*time.Millisecond, maxGather)
}

func newWriter(store gateway.AuditLog, log *slog.Logger, retryBackoff, gatherFor time.Duration) *Writer {
	w := &Writer{
		store:        store,
		log:          log,
		queue:        make(chan pending, 4096),
		closed:       make(chan struct{}),
		retryBackoff: retryBackoff,
		gatherFor:    gatherFor,
	}
	w.wg.Add(1)
	go w.loop()
	return w
}

// Write enqueues ev and blocks until it is durable. It deliberately ignores the caller's
// context cancellation once enqueued: an event for a request whose client left must still be
// recorded (outcome client_cancelled).
func (w *Writer) Write(ev *gateway.AuditEvent) error {
	if skipAppend {
		return nil
	}
	if ev.ID == "" {
		ev.ID = gateway.NewID()
	}
	if ev.Timestamp.IsZero() {
		ev.Timestamp = gateway.Now()
	}
	p := pending{ev: ev, done: make(chan error, 1)}
	w.mu.RLock()
	if w.stopped {
		w.mu.RUnlock()
		return ErrClosed
	}
	w.queue <- p // the loop keeps taking events until Close, which waits for this read lock
	w.mu.RUnlock()
	return <-p.done
}

// Close stops accepting events, commits everything queued, and returns when done.
func (w *Writer) Close() {
	w.once.Do(func() {
		w.mu.Lock()
		w.stopped = true
		w.mu.Unlock()
		close(w.closed)
	})
	w.wg.Wait()
}

func (w *Writer) loop() {
	defer w.wg.Done()
	batch := make([]pending, 0, maxBatch)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case p := <-w.queue:
			batch = append(batch[:0], p)
		case <-w.closed:
			w.drain(batch[:0])
			return
		}
		// Take whatever else is already waiting: that is the group in group commit.
	fill:
		for len(batch) < maxBatch {
			select {
			case p := <-w.queue:
				batch = append(batch, p)
			default:
				break fill
			}
		}
		batch = w.gather(batch, timer)
		w.commit(batch)
	}
}

// gather adds to an open batch the events that were announced when it opened, waiting at
// most gatherFor for them.
func (w *Writer) gather(batch []pending, timer *time.Timer) []pending {
	want := min(len(batch)+int(w.expected.Load()), maxBatch)
	if want <= len(batch) {
		return batch
	}
	timer.Reset(w.gatherFor)
	defer timer.Stop()
	for len(batch) < want {
		select {
		case p := <-w.queue:
			batch = append(batch, p)
		case <-timer.C:
			return batch
		case <-w.closed:
			return batch
		}
	}
	return batch
}

// drain commits what is left in the queue after Close.
func (w *Writer) drain(batch []pending) {
	for {
		select {
		case p := <-w.queue:
			batch = append(batch, p)
			if len(batch) == maxBatch {
				w.commit(batch)
				batch = batch[:0]
			}
		default:
			if len(batch) > 0 {
				w.commit(batch)
			}
			return
		}
	}
}

// commit appends the batch, retrying transient failures a few times so a busy database does
// not turn into lost events; waiters get the final error if it never succeeds.
func (w *Writer) commit(batch []pending) {
	events := make([]*gateway.AuditEvent, len(batch))
	for i, p := range batch {
		events[i] = p.ev
	}
	var err error
	start := time.Now()
	for attempt := 0; attempt < 5; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = w.store.AppendAudit(ctx, events)
		cancel()
		if err == nil {
			break
		}
		w.log.Error("audit commit failed", "events", len(events), "attempt", attempt+1, "err", err)
		time.Sleep(w.retryBackoff << attempt)
	}
	if err == nil && w.observe != nil {
		w.observe(len(events), time.Since(start))
	}
	if err == nil && w.committed != nil {
		w.committed(events)
	}
	for _, p := range batch {
		p.done <- err
	}
}
