package heapfloor

import (
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercentPutsTheGoalAtTheFloorAndNeverBelowDefault(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		live, floor uint64
		want        int
	}{
		{4 * mib, 32 * mib, 700},     // 4 × (1 + 7) = 32
		{5 * mib, 32 * mib, 500},     // 540 rounded down to a multiple of 50
		{1 * mib, 32 * mib, maxGOGC}, // capped
		{16 * mib, 32 * mib, 100},    // half the floor: Go's default
		{45 * mib, 32 * mib, 100},    // a large heap: Go's default
		{0, 32 * mib, 100},           // nothing measured yet
		{12 * mib, 32 * mib, 150},    // 166 rounded down
		{15 * mib, 32 * mib, 100},    // 113 rounded down to the default
	} {
		if got := Percent(tc.live, tc.floor); got != tc.want {
			t.Errorf("Percent(%d MiB, %d MiB) = %d, want %d", tc.live/mib, tc.floor/mib, got, tc.want)
		}
	}
}

// gogc reads the collector's current GOGC.
func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}

// waitFor polls cond after collections until it holds or a deadline passes: the floor adjusts
// from a cleanup that runs shortly after a cycle, on its own goroutine.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: GOGC is %d", what, gogc())
		}
		runtime.GC()
		runtime.Gosched()
	}
}

var keep []byte

func TestFloorFollowsTheLiveHeapAfterEachCollection(t *testing.T) {
	f := Start(256 << 20)
	defer f.Stop()
	waitFor(t, "a small heap under a 256 MiB floor", func() bool { return gogc() > 100 })

	keep = make([]byte, 200<<20) // live heap past half the floor
	for i := range keep {
		keep[i] = 1
	}
	waitFor(t, "a heap past half the floor", func() bool { return gogc() == 100 })

	keep = nil
	waitFor(t, "the heap small again", func() bool { return gogc() > 100 })

	f.Stop()
	if got := gogc(); got != 100 {
		t.Fatalf("after Stop GOGC is %d, want Go's default", got)
	}
	runtime.GC()
	runtime.GC()
	if got := gogc(); got != 100 {
		t.Fatalf("a collection after Stop set GOGC to %d", got)
	}
}

func TestNoFloorWithoutBytes(t *testing.T) {
	if f := Start(0); f != nil {
		t.Fatal("Start(0) started a floor")
	}
	var f *Floor
	f.Stop() // nil-safe
}

func TestOverriddenByTheEnvironment(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	if Overridden() {
		t.Fatal("overridden with neither GOGC nor GOMEMLIMIT set")
	}
	t.Setenv("GOGC", "200")
	if !Overridden() {
		t.Fatal("GOGC=200 did not override the floor")
	}
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "1GiB")
	if !Overridden() {
		t.Fatal("GOMEMLIMIT did not override the floor")
	}
}
