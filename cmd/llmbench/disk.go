package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"
)

// The durable audit's share of CPU (issue 13 target 2) has a floor no storage design can go
// under while every answer waits for its event to be fsynced: the system calls of one group
// commit, paid once per commit and shared by the events in it. What those calls cost depends
// on the disk and the kernel (on a virtual machine an fsync is a round trip to the host), so
// the bench measures them on the disk the gateway writes to, and says what they alone come to
// per request at the events per commit it measured.

// syncSamples is how many write-and-fsync rounds the floor is the mean of.
const syncSamples = 500

// syncBlock is one group commit's bytes: about what 13 access events take in SQLite's WAL.
const syncBlock = 16 << 10

// syncCost is the CPU and wall time of one write of syncBlock bytes followed by fsync, as
// SQLite commits (modernc's SQLite calls fsync, not fdatasync), into a file that does not grow.
type syncCost struct {
	cpu, wall time.Duration
	samples   int
}

// measureSync times syncSamples rounds in a scratch file in dir, on one locked OS thread so
// that the thread's own CPU time is what the rounds cost.
func measureSync(dir string) (syncCost, error) {
	f, err := os.CreateTemp(dir, "sync-floor-*")
	if err != nil {
		return syncCost{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	block := make([]byte, syncBlock)
	const slots = 64 // rounds rewrite these blocks, as SQLite rewrites a WAL it has reset
	for range slots {
		if _, err := f.Write(block); err != nil {
			return syncCost{}, err
		}
	}
	if err := f.Sync(); err != nil {
		return syncCost{}, err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0, wall0 := threadCPU(), time.Now()
	for i := range syncSamples {
		if _, err := f.WriteAt(block, int64(i%slots)*syncBlock); err != nil {
			return syncCost{}, err
		}
		if err := f.Sync(); err != nil {
			return syncCost{}, err
		}
	}
	wall, cpu := time.Since(wall0), threadCPU()-cpu0
	return syncCost{cpu: cpu / syncSamples, wall: wall / syncSamples, samples: syncSamples}, nil
}

// threadCPU is the calling OS thread's user and system time.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// syncLines states the floor: the measured round, and for the gateway's unstreamed phase at
// the target concurrency what one round per commit costs per request, also as a share of the
// no-audit gateway's CPU per request when that was measured.
func syncLines(rows []result, c syncCost) []string {
	if c.samples == 0 {
		return nil
	}
	out := []string{fmt.Sprintf("this disk: a %d KiB write and fsync costs %s of CPU (%s wall), mean of %d",
		syncBlock>>10, us(c.cpu), us(c.wall), c.samples)}
	gw, ok := find(rows, "gateway", false, targetConcurrency)
	if !ok || gw.commits == 0 || gw.commitEvents == 0 {
		return out
	}
	perRequest := time.Duration(float64(c.cpu) * gw.commits / gw.commitEvents)
	line := fmt.Sprintf("at %.1f events per commit (gateway chat c=%d) that alone is %s of CPU per request",
		gw.commitEvents/gw.commits, targetConcurrency, us(perRequest))
	if na, ok := find(rows, noAuditTarget, false, targetConcurrency); ok && na.cpuPerRequest() > 0 {
		line += fmt.Sprintf(": over %s's %s, a durable audit share of at least %.0f%%", noAuditTarget,
			us(na.cpuPerRequest()), 100*float64(perRequest)/float64(na.cpuPerRequest()+perRequest))
	}
	return append(out, line)
}
