package audit

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// countingStore records how AppendAudit is called; a gate holds the first commit so that
// the events arriving meanwhile must share the next one.
type countingStore struct {
	gateway.Store
	mu      sync.Mutex
	batches []int
	chain   []gateway.AuditEvent
	gate    chan struct{}
	entered chan struct{}
	failN   int
}

func (s *countingStore) AppendAudit(_ context.Context, events []*gateway.AuditEvent) error {
	s.mu.Lock()
	first := len(s.batches) == 0
	s.mu.Unlock()
	if first && s.gate != nil {
		close(s.entered)
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failN > 0 {
		s.failN--
		return errors.New("database is locked")
	}
	s.batches = append(s.batches, len(events))
	prev := ""
	if n := len(s.chain); n > 0 {
		prev = s.chain[n-1].Hash
	}
	for _, ev := range events {
		ev.PrevHash, ev.Hash = prev, gateway.ChainHash(prev, ev)
		prev = ev.Hash
		s.chain = append(s.chain, *ev)
	}
	return nil
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestConcurrentWritesShareCommits(t *testing.T) {
	store := &countingStore{gate: make(chan struct{}), entered: make(chan struct{})}
	w := NewWriter(store, quiet())
	var observed []int // written by the commit loop, read after every Write returned
	w.SetCommitObserver(func(events int, took time.Duration) {
		if took < 0 {
			t.Errorf("a commit took %v", took)
		}
		observed = append(observed, events)
	})
	defer w.Close()

	first := make(chan error, 1)
	go func() { first <- w.Write(&gateway.AuditEvent{Kind: gateway.KindAccessEndpoint}) }()
	<-store.entered // the first commit is in progress and held

	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Go(func() { errs <- w.Write(&gateway.AuditEvent{Kind: gateway.KindAccessEndpoint}) })
	}
	// Every writer must be queued before the gate opens; the queue length says so.
	for len(w.queue) < n {
		select {
		case err := <-errs:
			t.Fatalf("a write returned while the store was blocked: %v", err)
		default:
			runtime.Gosched()
		}
	}
	close(store.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	if len(store.batches) != 2 || store.batches[0] != 1 || store.batches[1] != n {
		t.Fatalf("commits = %v, want [1 %d]: the waiting events must share one commit", store.batches, n)
	}
	if len(observed) != 2 || observed[0] != 1 || observed[1] != n {
		t.Fatalf("the commit observer saw %v, want [1 %d]", observed, n)
	}
	if bad, reason := gateway.VerifyChain(nil, store.chain); bad >= 0 {
		t.Fatalf("chain broken at %d: %s", bad, reason)
	}
}

func TestWriteReturnsOnlyWhenDurableAndRetriesTransientFailures(t *testing.T) {
	store := &countingStore{failN: 2}
	w := newWriter(store, quiet(), 0, maxGather)
	defer w.Close()
	ev := &gateway.AuditEvent{Kind: gateway.KindCreateUser}
	if err := w.Write(ev); err != nil {
		t.Fatal(err)
	}
	if ev.ID == "" || ev.Timestamp.IsZero() || ev.Hash == "" {
		t.Fatalf("event not filled and committed: %+v", ev)
	}
}

func TestCloseCommitsQueuedEventsAndRefusesNewOnes(t *testing.T) {
	store := &countingStore{}
	w := NewWriter(store, quiet())
	for i := 0; i < 10; i++ {
		if err := w.Write(&gateway.AuditEvent{Kind: gateway.KindAccessEndpoint}); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	if err := w.Write(&gateway.AuditEvent{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	if len(store.chain) != 10 {
		t.Fatalf("%d events committed, want 10", len(store.chain))
	}
}

func TestCSVExportDefusesFormulasAndKeepsColumns(t *testing.T) {
	events := []gateway.AuditEvent{{Seq: 1, ID: "a", Kind: gateway.KindAccessEndpoint, Timestamp: gateway.Now(),
		Metadata: map[string]string{"userAgent": "=HYPERLINK(\"x\")", "accessedByUsername": "ann", "custom": "v"}}}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, events); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "'=HYPERLINK") || strings.Contains(out, ",=HYPERLINK") {
		t.Fatalf("formula not defused: %s", out)
	}
	if !strings.Contains(strings.SplitN(out, "\n", 2)[0], "metadata.custom") {
		t.Fatalf("unknown metadata key lost its column: %s", out)
	}
}

// waitTaken returns once the writer's loop has taken everything queued so far.
func waitTaken(w *Writer) {
	for len(w.queue) > 0 {
		runtime.Gosched()
	}
}

func TestOpenBatchWaitsForAnnouncedEvents(t *testing.T) {
	store := &countingStore{}
	w := newWriter(store, quiet(), 0, time.Hour) // only the announced event can close the batch
	defer w.Close()
	w.Expect()
	w.Expect()
	first := make(chan error, 1)
	go func() { w.Arrived(); first <- w.Write(&gateway.AuditEvent{Kind: "first"}) }()
	for w.expected.Load() != 1 { // the first request has handed its event over
		runtime.Gosched()
	}
	waitTaken(w) // and the writer opened a batch with it
	w.Arrived()
	if err := w.Write(&gateway.AuditEvent{Kind: "second"}); err != nil {
		t.Fatal(err)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	if len(store.batches) != 1 || store.batches[0] != 2 {
		t.Fatalf("commits %v; want one commit of both events (the batch waits for the announced one)", store.batches)
	}
}

func TestBatchCommitsWithoutAnAnnouncedEventThatNeverComes(t *testing.T) {
	store := &countingStore{}
	w := newWriter(store, quiet(), 0, 20*time.Millisecond)
	defer w.Close()
	w.Expect() // a request that announced its event and then ended without one, never withdrawn
	start := time.Now()
	if err := w.Write(&gateway.AuditEvent{Kind: "alone"}); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("Write waited %v for an event that never came; the gather bound is 20ms", waited)
	}
}

func TestNothingAnnouncedCommitsAtOnce(t *testing.T) {
	store := &countingStore{}
	w := newWriter(store, quiet(), 0, time.Hour) // a wait would hang the test
	defer w.Close()
	for range 3 {
		if err := w.Write(&gateway.AuditEvent{Kind: "k"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(store.batches); got != 3 {
		t.Fatalf("%d commits; want 3, one per sequential write", got)
	}
}
