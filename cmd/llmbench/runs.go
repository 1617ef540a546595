package main

import (
	"fmt"
	"slices"
	"strings"
)

// With -runs N the whole measurement is repeated N times on the same processes and the
// report gives medians: each phase's row is the one of the run with the median throughput,
// and each target's verdict is the run's whose judged value is the median, with every run's
// value beside it. One noisy run on a shared machine then neither passes nor fails a target.

// summary is what the report prints: the phases' rows and the targets' verdicts.
type summary struct {
	rows     []result
	verdicts []string
	runs     int
	// sync is the disk's write-and-fsync round (disk.go), measured once before the phases.
	sync syncCost
}

// summarize reduces the runs (each the same phases in the same order) to medians.
func summarize(runs [][]result) summary {
	if len(runs) == 1 {
		return summary{rows: runs[0], verdicts: verdicts(runs[0]), runs: 1}
	}
	rows := make([]result, len(runs[0]))
	for i := range rows {
		rows[i] = medianBy(runs, func(run []result) float64 { return run[i].rate() })[i]
	}
	per := make([][]check, len(runs))
	for k, run := range runs {
		per[k] = checks(run)
	}
	var lines []string
	for i := range per[0] {
		values := make([]string, len(per))
		for k := range per {
			values[k] = per[k][i].shown
		}
		mid := medianBy(per, func(cs []check) float64 { return cs[i].value })[i]
		lines = append(lines, fmt.Sprintf("%s  [median of %d runs: %s]", mid.line, len(runs), strings.Join(values, ", ")))
	}
	if len(lines) == 0 {
		lines = verdicts(nil)
	}
	return summary{rows: rows, verdicts: lines, runs: len(runs)}
}

// medianBy returns the element of xs whose key is the median (the lower one of an even count:
// make bench runs three times).
func medianBy[T any](xs []T, key func(T) float64) T {
	sorted := slices.Clone(xs)
	slices.SortStableFunc(sorted, func(a, b T) int {
		ka, kb := key(a), key(b)
		switch {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return 0
	})
	return sorted[(len(sorted)-1)/2]
}
