package storetest

import (
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// testKeyUses: a recorded use only ever moves a key's last use forward, unknown ids are
// ignored, revoked keys are not listed, and recording is neither an admin change (no event)
// nor a state change (no version bump).
func testKeyUses(t *testing.T, s gateway.Store) {
	ctx := t.Context()
	alice := user("alice", 0)
	mustMutate(t, s, "CreateUser", func(ev *gateway.AuditEvent) error { return s.CreateUser(ctx, alice, ev) })
	ci, laptop, idle := apiKey(alice.ID, "ci", time.Hour), apiKey(alice.ID, "laptop", 2*time.Hour), apiKey(alice.ID, "idle", 3*time.Hour)
	for _, k := range []*gateway.APIKey{ci, laptop, idle} {
		mustMutate(t, s, "CreateKey", func(ev *gateway.AuditEvent) error { return s.CreateKey(ctx, k, ev) })
	}
	record := func(used map[string]time.Time) {
		t.Helper()
		if err := s.RecordKeyUses(ctx, used); err != nil {
			t.Fatalf("RecordKeyUses: %v", err)
		}
	}
	lastUsed := func() map[string]time.Time {
		t.Helper()
		got, err := s.KeysLastUsed(ctx)
		if err != nil {
			t.Fatalf("KeysLastUsed: %v", err)
		}
		return got
	}
	before := observe(t, s)
	equal(t, "no uses yet", lastUsed(), map[string]time.Time{})
	record(nil)
	record(map[string]time.Time{ci.ID: at(5 * time.Hour), laptop.ID: at(6 * time.Hour), gateway.NewID(): at(time.Hour)})
	record(map[string]time.Time{ci.ID: at(4 * time.Hour), laptop.ID: at(7 * time.Hour)}) // ci's older use is ignored
	equal(t, "last uses", lastUsed(), map[string]time.Time{ci.ID: at(5 * time.Hour), laptop.ID: at(7 * time.Hour)})
	if after := observe(t, s); after != before {
		t.Fatalf("recording key uses changed version/trail from %+v to %+v", before, after)
	}
	mustMutate(t, s, "RevokeKey", func(ev *gateway.AuditEvent) error { return s.RevokeKey(ctx, laptop.ID, at(8*time.Hour), ev) })
	equal(t, "last uses without the revoked key", lastUsed(), map[string]time.Time{ci.ID: at(5 * time.Hour)})
	equal(t, "LoadState keys unchanged by uses", len(loadState(t, s).Keys), 2)
}
