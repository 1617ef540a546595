package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/llmgate/llmgate/internal/procstat"
)

// A Python server is a tree of processes (the CLI, uvicorn or gunicorn, its workers), so the
// bench charges a target with the CPU and memory of its whole process tree. For the Go
// processes, which have no children, the tree is the process itself.

// readStats reads every process's stat; processes that end while it reads are skipped.
func readStats() map[int]procstat.Stat {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	out := make(map[int]procstat.Stat, len(dirs))
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		if st, err := procstat.Parse(string(raw)); err == nil {
			out[pid] = st
		}
	}
	return out
}

// tree is root and all its descendants, root first.
func tree(root int, stats map[int]procstat.Stat) []int {
	children := make(map[int][]int)
	for pid, st := range stats {
		children[st.PPID] = append(children[st.PPID], pid)
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
		sum += stats[pid].CPU
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
		m.rssKiB += procstat.KiB(string(status), "VmRSS:")
		m.peakKiB += procstat.KiB(string(status), "VmHWM:")
		if rollup, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid)); err == nil {
			m.pss += procstat.KiB(string(rollup), "Pss:")
		}
	}
	if m.procs == 0 {
		return m, fmt.Errorf("process %d is gone", root)
	}
	return m, nil
}
