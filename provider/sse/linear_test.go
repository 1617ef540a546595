package sse

import (
	"bytes"
	"errors"
	"runtime"
	"testing"
	"time"
)

// feedLongLine feeds size bytes of one line without a line end in 16 KiB pieces (the
// pipeline's read size), as a hostile upstream would, and returns the error Feed ended with,
// the time it took and the bytes allocated meanwhile.
func feedLongLine(size int) (err error, took time.Duration, alloc uint64) {
	piece := bytes.Repeat([]byte("x"), 16<<10)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	var p Parser
	if _, err = p.Feed([]byte("data: ")); err != nil {
		return err, 0, 0
	}
	for fed := 0; fed < size && err == nil; fed += len(piece) {
		_, err = p.Feed(piece)
	}
	took = time.Since(start)
	runtime.ReadMemStats(&after)
	return err, took, after.TotalAlloc - before.TotalAlloc
}

// TestLongLineCostsLinearTime: a line without a newline up to the 8 MB cap is scanned and
// buffered once, not rescanned and recopied on every read (that took 6.8 s of CPU).
func TestLongLineCostsLinearTime(t *testing.T) {
	err, took, alloc := feedLongLine(DefaultMaxLine + 64<<10)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	// Linear: the buffer grows by doubling, so ~2-3× the line is allocated in all; the
	// quadratic parser copied the whole line on every 16 KiB read (~4 GB).
	if alloc > 64<<20 {
		t.Errorf("feeding an 8 MB line allocated %d MB", alloc>>20)
	}
	if took > 500*time.Millisecond {
		t.Errorf("feeding an 8 MB line took %v", took)
	}
	t.Logf("8 MB line without newline: %v, %d MB allocated", took, alloc>>20)
}

func BenchmarkLongLine8MB(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if err, _, _ := feedLongLine(DefaultMaxLine + 64<<10); !errors.Is(err, ErrTooLarge) {
			b.Fatal(err)
		}
	}
}
