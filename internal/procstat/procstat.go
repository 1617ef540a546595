// Package procstat reads what Linux's /proc says about a process: its parent and the CPU time
// it and its reaped children have used (/proc/<pid>/stat), and its memory lines (KiB). The benchmarks charge processes with CPU this
// way (cmd/llmbench per phase, the configuration-scale test per turn), so both count alike.
package procstat

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ClockTick is Linux's USER_HZ, the unit of utime and stime in /proc/<pid>/stat.
const ClockTick = 10 * time.Millisecond

// Stat is what the benchmarks read from /proc/<pid>/stat.
type Stat struct {
	PPID int
	// CPU is user plus system time of the process and of its children it has reaped (a
	// worker that died during a phase still counts).
	CPU time.Duration
}

// Parse reads the parent and the CPU times from the text of /proc/<pid>/stat.
func Parse(raw string) (Stat, error) {
	end := strings.LastIndexByte(raw, ')') // the command name is in parentheses and may hold spaces
	if end < 0 {
		return Stat{}, fmt.Errorf("no command name in %.60q", raw)
	}
	f := strings.Fields(raw[end+1:])
	if len(f) < 15 {
		return Stat{}, fmt.Errorf("short stat %.60q", raw)
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return Stat{}, fmt.Errorf("parent pid %q: %w", f[1], err)
	}
	var ticks int64
	for _, i := range []int{11, 12, 13, 14} { // utime, stime, cutime, cstime
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return Stat{}, fmt.Errorf("CPU field %d %q: %w", i, f[i], err)
		}
		ticks += n
	}
	return Stat{PPID: ppid, CPU: time.Duration(ticks) * ClockTick}, nil
}

// KiB is the value in kB of the first line starting with key (e.g. "VmRSS:") in a text shaped
// like /proc/<pid>/status or smaps_rollup; 0 when there is none.
func KiB(text, key string) int64 {
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// Read returns pid's Stat.
func Read(pid int) (Stat, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Stat{}, err
	}
	return Parse(string(raw))
}
