package audit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/store/sqlite"
)

// boundedEvents is the trail length of the memory test: large enough that holding it in
// memory (≈1 KiB per decoded event) would dwarf the bound asserted below.
const boundedEvents = 200_000

// heapBound is the most the heap may grow over its starting point while one pass runs.
const heapBound = 32 << 20

// TestPassesOverALongTrailUseBoundedMemory appends 200k events to SQLite, then exports them
// as JSONL and CSV and verifies the chain while sampling the heap: each pass must see every
// event once and stay within heapBound of where it started. Reading the whole trail at once,
// as these passes did before, peaked at 405 MiB here.
func TestPassesOverALongTrailUseBoundedMemory(t *testing.T) {
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "llmgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	keys := NewKeyring(GenerateKey())
	store.SetAuditKeys(keys)
	fill(t, store, boundedEvents)

	passes := []struct {
		name string
		run  func(ctx context.Context) (int, error)
	}{
		{"export jsonl", func(ctx context.Context) (int, error) {
			c := &lineCounter{}
			err := ExportJSONL(ctx, store, gateway.AuditFilter{}, c)
			return c.lines, err
		}},
		{"export csv", func(ctx context.Context) (int, error) {
			c := &lineCounter{}
			err := ExportCSV(ctx, store, gateway.AuditFilter{}, c)
			return c.lines - 1, err // header
		}},
		{"export csv of one outcome", func(ctx context.Context) (int, error) {
			c := &lineCounter{}
			keep := func(ev *gateway.AuditEvent) bool { return ev.Metadata["outcome"] == "success" }
			err := ExportWhere(ctx, store, gateway.AuditFilter{}, "csv", keep, c)
			return c.lines - 1, err
		}},
		{"verify", func(ctx context.Context) (int, error) {
			r, err := Verify(ctx, store, keys)
			if err == nil && !r.OK {
				err = fmt.Errorf("verify: %+v", r)
			}
			return r.Events, err
		}},
	}
	for _, p := range passes {
		var n int
		peak, base := peakHeapDuring(func() { n, err = p.run(t.Context()) })
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		if n != boundedEvents {
			t.Fatalf("%s saw %d events, want %d", p.name, n, boundedEvents)
		}
		t.Logf("%s of %d events: heap %.1f MiB at start, peak %.1f MiB", p.name, n, mib(base), mib(peak))
		if peak-base > heapBound {
			t.Fatalf("%s: heap grew by %.1f MiB, bound %.1f MiB", p.name, mib(peak-base), mib(heapBound))
		}
	}
}

// fill appends n realistic access events in large batches.
func fill(t *testing.T, store gateway.Store, n int) {
	t.Helper()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := make([]*gateway.AuditEvent, 0, 5000)
	for i := range n {
		batch = append(batch, &gateway.AuditEvent{
			ID: gateway.NewID(), Kind: gateway.KindAccessEndpoint, Timestamp: start.Add(time.Duration(i) * time.Millisecond),
			PerformedBy: "66e1a0b2c3d4e5f601234567", EndpointID: "66f0c2c4d4e1b27a3c9e5f11", EndpointType: "llm/v1/chat",
			Metadata: map[string]string{
				"accessedByUsername": "priya", "endpointName": "support-chat", "outcome": "success",
				"httpStatus": "200", "latencyMs": "842", "promptTokens": "412", "completionTokens": "96",
				"totalTokens": "508", "requestId": gateway.NewRequestID(), "clientIp": "10.0.0.7",
				"userAgent": "python-requests/2.32", "api": "mlflow", "modelProvider": "openai", "modelName": "gpt-4o",
			},
		})
		if len(batch) == cap(batch) || i == n-1 {
			if err := store.AppendAudit(t.Context(), batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// peakHeapDuring runs fn while sampling the live heap, and returns the peak and the heap
// after a GC just before fn started.
func peakHeapDuring(fn func()) (peak, base uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak = ms.HeapAlloc, ms.HeapAlloc
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	fn()
	close(done)
	wg.Wait()
	return peak, base
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// lineCounter counts lines written and checks each JSON line parses, without keeping them.
type lineCounter struct{ lines int }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.lines += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

var _ io.Writer = (*lineCounter)(nil)
