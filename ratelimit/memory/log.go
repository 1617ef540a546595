package memory

import (
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/ratelimit"
)

// slidingLog is one key's record of admitted units, oldest first. An entry counts until its
// time plus the window has passed; entries recorded within one slice are merged (see
// ratelimit.SlicesPerWindow), so the log stays short on a busy key.
type slidingLog struct {
	entries []entry
	used    int64     // sum of entries' units
	expires time.Time // when the newest entry expires: the whole log is dead from then on
}

type entry struct {
	start time.Time // first units merged into this entry; decides when a new entry begins
	at    time.Time // latest units merged into this entry; decides when it expires
	units int64
}

// prune drops entries that left the trailing window ending at now.
func (g *slidingLog) prune(window time.Duration, now time.Time) {
	cutoff := now.Add(-window)
	n := 0
	for n < len(g.entries) && !g.entries[n].at.After(cutoff) {
		g.used -= g.entries[n].units
		n++
	}
	g.entries = g.entries[n:]
}

// room reports whether the rule's Need fits next to pending units this Take already adds, and
// otherwise how long until enough of the oldest entries expire for it to fit.
func (g *slidingLog) room(r gateway.LimitRule, pending int64, now time.Time) (time.Duration, bool) {
	excess := g.used + pending + r.Need - r.Limit
	if excess <= 0 {
		return 0, true
	}
	for _, e := range g.entries {
		excess -= e.units
		if excess <= 0 {
			return e.at.Add(r.Window).Sub(now), false
		}
	}
	// Need plus this Take's own units exceed the limit: no amount of waiting within a
	// window helps, so report the longest honest wait.
	return r.Window, false
}

// add records units at now, merging into the newest entry while it is within its slice.
func (g *slidingLog) add(units int64, window time.Duration, now time.Time) {
	if units == 0 {
		return
	}
	if last := len(g.entries) - 1; last >= 0 {
		e := &g.entries[last]
		if now.Before(e.at) {
			now = e.at // a clock that stepped back must not reorder the log
		}
		if now.Sub(e.start) < ratelimit.SliceOf(window) {
			e.at = now
			e.units += units
			g.used += units
			g.expires = now.Add(window)
			return
		}
	}
	g.entries = append(g.entries, entry{start: now, at: now, units: units})
	g.used += units
	g.expires = now.Add(window)
}
