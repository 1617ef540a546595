// Package heapfloor keeps Go's garbage collector from running while the heap is small.
//
// The collector starts a cycle when the heap has grown by GOGC percent (100) over what the
// last cycle found live, with a 4 MiB minimum. A gateway without a large configuration has a
// live heap of a few MiB, yet allocates tens of KB per query, so at a few thousand queries a
// second it collected tens of times a second: each cycle's fixed cost (stacks, globals, the
// mark workers taking a core of two) came back every hundred-odd queries, which cost ≈ 13 %
// of the gateway's CPU per query and showed in the tail of time to first byte (issue 13).
//
// A floor makes the heap goal of a small heap Floor instead: after every cycle, GOGC is set
// so that live × (1 + GOGC/100) = Floor, and back to the default 100 once the live heap is
// past half the floor, from where the collector behaves exactly as Go's default, so a large
// configuration uses no more memory than before. What the floor costs is memory: a small
// heap grows to Floor between cycles instead of to twice its live size. GOGC or GOMEMLIMIT
// set in the environment are the operator's choice and turn the floor off.
package heapfloor

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// defaultGOGC is Go's default, used once the live heap is past half the floor.
const defaultGOGC = 100

// Floor runs until Stop; create it with Start.
type Floor struct {
	bytes   uint64
	stopped atomic.Bool
	last    int // the GOGC this floor set last
	sample  []metrics.Sample
}

// Overridden reports whether the environment sets the collector's own knobs, which the
// floor then leaves alone.
func Overridden() bool {
	return os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != ""
}

// Start sets the floor to bytes and keeps it after every collection. bytes <= 0 returns nil
// (no floor). The caller checks Overridden first.
func Start(bytes int64) *Floor {
	if bytes <= 0 {
		return nil
	}
	f := &Floor{bytes: uint64(bytes), last: -1, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	f.adjust()
	f.arm()
	return f
}

// Stop ends the floor's adjustments and restores Go's default GOGC. Safe on nil.
func (f *Floor) Stop() {
	if f == nil || f.stopped.Swap(true) {
		return
	}
	debug.SetGCPercent(defaultGOGC)
}

// arm attaches the next adjustment to a fresh object that nothing references: the cleanup
// runs once a collection has found it unreachable, i.e. after each cycle, and re-arms.
// The object is bigger than the tiny allocator's 16 bytes, which could keep it alive.
func (f *Floor) arm() {
	runtime.AddCleanup(new([64]byte), func(f *Floor) {
		if f.stopped.Load() {
			return
		}
		f.adjust()
		f.arm()
	}, f)
}

// adjust sets GOGC from the live heap the last cycle marked.
func (f *Floor) adjust() {
	metrics.Read(f.sample)
	gogc := Percent(f.sample[0].Value.Uint64(), f.bytes)
	if gogc != f.last && !f.stopped.Load() {
		debug.SetGCPercent(gogc)
		f.last = gogc
	}
}

// maxGOGC bounds the percent for a nearly empty heap (a 1 MiB live heap with a 32 MiB
// floor would otherwise ask for 3100).
const maxGOGC = 1600

// Percent is the GOGC that puts the heap goal of a live heap at floor, rounded down to a
// multiple of 50 so that small changes of the live heap do not reset it after every cycle;
// never below Go's default.
func Percent(live, floor uint64) int {
	if live == 0 || 2*live >= floor {
		return defaultGOGC
	}
	p := int((floor-live)*100/live) / 50 * 50
	return min(max(p, defaultGOGC), maxGOGC)
}
