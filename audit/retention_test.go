package audit

import (
	"strings"
	"testing"
	"time"
)

// TestPruneByAgeAndCountKeepsVerificationTotal: fill's events are 1 ms apart from
// 2026-01-01; pruning by age removes exactly the older prefix, by count keeps the newest N,
// each time the rest verifies from the anchor. Deleting a kept event right after the anchor,
// or the anchor row, is then detected.
func TestPruneByAgeAndCountKeepsVerificationTotal(t *testing.T) {
	tr := newTrail(t)
	fill(t, tr.store, 12000)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start.Add(24 * time.Hour)

	// Older than now-(24h - 7s): the first 7000 events (ts < start+7s).
	pruned, anchor, err := Prune(t.Context(), tr.store, Retention{MaxAge: 24*time.Hour - 7*time.Second}, now)
	if err != nil || pruned != 7000 || anchor.Seq != 7000 {
		t.Fatalf("prune by age: %d pruned, anchor %+v, %v", pruned, anchor, err)
	}
	if r := tr.verify(t); !r.OK || r.Events != 5000 || r.PrunedUpTo != 7000 {
		t.Fatalf("after pruning by age: %+v", r)
	}
	pruned, _, err = Prune(t.Context(), tr.store, Retention{MaxAge: 24*time.Hour - 7*time.Second, MaxEvents: 1000}, now)
	if err != nil || pruned != 4000 {
		t.Fatalf("prune to the newest 1000: %d, %v", pruned, err)
	}
	if pruned, _, err := Prune(t.Context(), tr.store, Retention{MaxEvents: 1000}, now); err != nil || pruned != 0 {
		t.Fatalf("prune with nothing beyond retention: %d, %v", pruned, err)
	}
	if r := tr.verify(t); !r.OK || r.Events != 1000 {
		t.Fatalf("after pruning by count: %+v", r)
	}

	tr.sql(t, `DELETE FROM audit_events WHERE seq = 11001`)
	if r := tr.verify(t); r.OK || r.BadSeq != 11002 {
		t.Fatalf("first kept event deleted after the anchor: %+v", r)
	}
	tr.sql(t, `DELETE FROM audit_anchor`)
	if r := tr.verify(t); r.OK {
		t.Fatalf("anchor row deleted: %+v", r)
	}
	tr.sql(t, `INSERT INTO audit_anchor (id, seq, hash, key_id, mac) SELECT 1, seq, hash, key_id, 'forged' FROM audit_events WHERE seq = 11002`)
	if r := tr.verify(t); r.OK || !strings.Contains(r.Reason, "MAC") {
		t.Fatalf("anchor forged at the new first event: %+v", r)
	}
}
