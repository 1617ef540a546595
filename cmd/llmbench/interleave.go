package main

import (
	"context"
	"slices"
	"time"
)

// The CPU and throughput targets compare phases of different targets. Run one after the
// other, each whole phase saw a different machine: on a shared 2-core machine the load moves
// within seconds, and the same gateway measured 137 µs and 191 µs of CPU per request in two
// phases an hour apart. So the phases of one mode and concurrency are interleaved: each
// target runs for one slice (sliceFor) in turn, round after round, until every target has had
// its whole duration, and a target's row adds up its slices. Drift of the machine's load then
// reaches every target alike instead of whichever ran during it.

// sliceFor is the length of one target's turn.
const sliceFor = time.Second

// interleave warms every phase up once, then runs them in turns of slice until each has run
// for d, and returns one merged result per phase in the phases' order.
func interleave(ctx context.Context, phases []phase, warmup, d, slice time.Duration) []result {
	for _, ph := range phases {
		ph.run(ctx, warmup)
	}
	out := make([]result, len(phases))
	for done := time.Duration(0); done < d; done += slice {
		turn := min(slice, d-done)
		for i, ph := range phases {
			out[i] = out[i].merge(ph.run(ctx, turn))
		}
	}
	for i := range out {
		slices.Sort(out[i].latency)
		slices.Sort(out[i].ttfb)
	}
	return out
}

// merge adds slice s to r: counts, time and CPU add up, samples join (unsorted).
func (r result) merge(s result) result {
	if r.target == "" {
		r.target, r.stream, r.concurrency = s.target, s.stream, s.concurrency
	}
	r.ok += s.ok
	r.failed += s.failed
	if r.firstError == "" {
		r.firstError = s.firstError
	}
	r.elapsed += s.elapsed
	r.cpu += s.cpu
	r.commits += s.commits
	r.commitEvents += s.commitEvents
	r.latency = append(r.latency, s.latency...)
	r.ttfb = append(r.ttfb, s.ttfb...)
	return r
}
