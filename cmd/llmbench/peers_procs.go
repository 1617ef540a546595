package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// A Python server is a tree of processes (the CLI, uvicorn or gunicorn, its workers), so the
// bench charges a target with the CPU and memory of its whole process tree. For the Go
// processes, which have no children, the tree is the process itself.

// procStat is what the bench reads from /proc/<pid>/stat.
type procStat struct {
	ppid int
	// cpu is user plus system time of the process and of its children it has reaped (a
	// worker that died during a phase still counts).
	cpu time.Duration
}

// parseStat reads the parent and the CPU times from the text of /proc/<pid>/stat.
func parseStat(raw string) (procStat, error) {
	end := strings.LastIndexByte(raw, ')') // the command name is in parentheses and may hold spaces
	if end < 0 {
		return procStat{}, fmt.Errorf("no command name in %.60q", raw)
	}
	f := strings.Fields(raw[end+1:])
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("short stat %.60q", raw)
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return procStat{}, fmt.Errorf("parent pid %q: %w", f[1], err)
	}
	var ticks int64
	for _, i := range []int{11, 12, 13, 14} { // utime, stime, cutime, cstime
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("CPU field %d %q: %w", i, f[i], err)
		}
		ticks += n
	}
	return procStat{ppid: ppid, cpu: time.Duration(ticks) * clockTick}, nil
}

// readStats reads every process's stat; processes that end while it reads are skipped.
func readStats() map[int]procStat {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	out := make(map[int]procStat, len(dirs))
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		if st, err := parseStat(string(raw)); err == nil {
			out[pid] = st
		}
	}
	return out
}

// tree is root and all its descendants, root first.
func tree(root int, stats map[int]procStat) []int {
	children := make(map[int][]int)
	for pid, st := range stats {
		children[st.ppid] = append(children[st.ppid], pid)
	}
	out := []int{root}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// treeCPU is the CPU used so far by root's process tree.
func treeCPU(root int) (time.Duration, error) {
	stats := readStats()
	if _, ok := stats[root]; !ok {
		return 0, fmt.Errorf("process %d is gone", root)
	}
	var sum time.Duration
	for _, pid := range tree(root, stats) {
		sum += stats[pid].cpu
	}
	return sum, nil
}

// treeMemory is the memory of a process tree, in KiB: resident (VmRSS, counting shared pages
// once per process), peak resident (VmHWM) and proportional (Pss, shared pages split among
// the processes sharing them, so forked workers are not counted twice).
type treeMemory struct {
	procs                int
	rssKiB, peakKiB, pss int64
}

func readTreeMemory(root int) (treeMemory, error) {
	m := treeMemory{}
	for _, pid := range tree(root, readStats()) {
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		m.procs++
		m.rssKiB += kib(string(status), "VmRSS:")
		m.peakKiB += kib(string(status), "VmHWM:")
		if rollup, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid)); err == nil {
			m.pss += kib(string(rollup), "Pss:")
		}
	}
	if m.procs == 0 {
		return m, fmt.Errorf("process %d is gone", root)
	}
	return m, nil
}

// kib is the value in kB of the first line starting with key in a /proc status-like text.
func kib(text, key string) int64 {
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}
