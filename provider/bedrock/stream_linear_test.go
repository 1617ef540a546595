package bedrock

import (
	"encoding/binary"
	"runtime"
	"testing"
	"time"
)

// TestLargeMessageArrivesInLinearTime feeds the 16 MB maximum event-stream message in 16 KiB
// reads (the pipeline's read size): the partial message must be appended, not recopied on
// every read.
func TestLargeMessageArrivesInLinearTime(t *testing.T) {
	d := newStreamDecoder("m").(*streamDecoder)
	piece, zeros := make([]byte, 16<<10), make([]byte, 16<<10)
	binary.BigEndian.PutUint32(piece, maxMessage) // the prelude announces the largest message
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	for fed := 0; fed+len(piece) < maxMessage; fed += len(piece) {
		if _, err := d.Feed(piece); err != nil {
			t.Fatal(err)
		}
		piece = zeros // the rest of the message
	}
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("16 MB message in 16 KiB reads: %v, %d MB allocated", took, alloc>>20)
	if alloc > 128<<20 {
		t.Errorf("allocated %d MB for a 16 MB message", alloc>>20)
	}
}
