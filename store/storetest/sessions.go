package storetest

import (
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// testSessions: a session round-trips by its token's hash, changes neither the state version
// nor the audit trail, and goes away by itself, with its user, or when expired.
func testSessions(t *testing.T, s gateway.Store) {
	ctx := t.Context()
	alice, bob := user("alice", 0), user("bob", 0)
	for _, u := range []*gateway.User{alice, bob} {
		mustMutate(t, s, "CreateUser", func(ev *gateway.AuditEvent) error { return s.CreateUser(ctx, u, ev) })
	}
	before := observe(t, s)
	session := func(u *gateway.User, token, keyID string, expires time.Duration) *gateway.Session {
		ss := &gateway.Session{Hash: gateway.HashSessionToken(token), UserID: u.ID, KeyID: keyID, Method: "apikey",
			CSRF: "csrf-" + token, CreatedAt: at(0), ExpiresAt: at(expires)}
		if err := s.CreateSession(ctx, ss); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		return ss
	}
	a1 := session(alice, "a1", "key-1", time.Hour)
	a2 := session(alice, "a2", "", 2*time.Hour)
	b1 := session(bob, "b1", "key-2", time.Minute)
	if after := observe(t, s); after != before {
		t.Fatalf("sessions changed the state version or the trail: %+v -> %+v", before, after)
	}
	got, err := s.GetSession(ctx, gateway.HashSessionToken("a1"))
	if err != nil {
		t.Fatalf("GetSession: %v", err)
	}
	equal(t, "GetSession", got, a1)
	if got, _ = s.GetSession(ctx, a2.Hash); got == nil || got.KeyID != "" {
		t.Fatalf("a session without a key reads back as %+v", got)
	}
	if _, err := s.GetSession(ctx, gateway.HashSessionToken("nope")); gateway.ErrorCode(err) != gateway.CodeNotFound {
		t.Fatalf("unknown session: err = %v, want CodeNotFound", err)
	}

	if err := s.DeleteSession(ctx, a1.Hash); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	if err := s.DeleteSession(ctx, a1.Hash); err != nil {
		t.Fatalf("DeleteSession twice: %v", err)
	}
	if _, err := s.GetSession(ctx, a1.Hash); gateway.ErrorCode(err) != gateway.CodeNotFound {
		t.Fatalf("deleted session still readable: %v", err)
	}
	if n, err := s.PruneSessions(ctx, at(30*time.Minute)); err != nil || n != 1 {
		t.Fatalf("PruneSessions = %d, %v; want bob's one expired session", n, err)
	}
	if _, err := s.GetSession(ctx, b1.Hash); gateway.ErrorCode(err) != gateway.CodeNotFound {
		t.Fatalf("pruned session still readable: %v", err)
	}
	session(alice, "a3", "", time.Hour)
	if n, err := s.DeleteUserSessions(ctx, alice.ID); err != nil || n != 2 {
		t.Fatalf("DeleteUserSessions = %d, %v; want alice's 2", n, err)
	}
	if _, err := s.GetSession(ctx, a2.Hash); gateway.ErrorCode(err) != gateway.CodeNotFound {
		t.Fatalf("a signed-out user's session still readable: %v", err)
	}
}
