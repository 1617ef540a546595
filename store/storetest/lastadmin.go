package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// testLastAdminStays: neither unmaking nor deactivating may leave no active administrator,
// and the store checks it in the change's transaction, so two concurrent changes that are
// each fine alone (unmake one admin, deactivate the other) never both land.
func testLastAdminStays(t *testing.T, s gateway.Store) {
	ctx := t.Context()
	root, ann := user("root", 0), user("ann", time.Second)
	root.Admin = true
	for _, u := range []*gateway.User{root, ann} {
		mustMutate(t, s, "CreateUser", func(ev *gateway.AuditEvent) error { return s.CreateUser(ctx, u, ev) })
	}
	off := at(time.Hour)
	mustReject(t, s, "SetUserAdmin(false, last admin)", gateway.CodeInvalid, func(ev *gateway.AuditEvent) error {
		return s.SetUserAdmin(ctx, root.ID, false, ev)
	})
	mustReject(t, s, "SetUserDeactivated(last admin)", gateway.CodeInvalid, func(ev *gateway.AuditEvent) error {
		return s.SetUserDeactivated(ctx, root.ID, &off, ev)
	})
	mustMutate(t, s, "SetUserDeactivated(non-admin)", func(ev *gateway.AuditEvent) error { return s.SetUserDeactivated(ctx, ann.ID, &off, ev) })
	mustMutate(t, s, "SetUserDeactivated(nil)", func(ev *gateway.AuditEvent) error { return s.SetUserDeactivated(ctx, ann.ID, nil, ev) })

	// With ann an admin too, root may go; then ann is the last active one. A deactivated
	// administrator does not count, and may be unmade.
	mustMutate(t, s, "SetUserAdmin(true)", func(ev *gateway.AuditEvent) error { return s.SetUserAdmin(ctx, ann.ID, true, ev) })
	mustMutate(t, s, "SetUserDeactivated(admin, another left)", func(ev *gateway.AuditEvent) error {
		return s.SetUserDeactivated(ctx, root.ID, &off, ev)
	})
	mustReject(t, s, "SetUserAdmin(false, last active admin)", gateway.CodeInvalid, func(ev *gateway.AuditEvent) error {
		return s.SetUserAdmin(ctx, ann.ID, false, ev)
	})
	mustMutate(t, s, "SetUserAdmin(false, deactivated admin)", func(ev *gateway.AuditEvent) error {
		return s.SetUserAdmin(ctx, root.ID, false, ev)
	})
	mustMutate(t, s, "SetUserDeactivated(nil)", func(ev *gateway.AuditEvent) error { return s.SetUserDeactivated(ctx, root.ID, nil, ev) })

	for round := range 5 {
		mustMutate(t, s, "SetUserAdmin(true)", func(ev *gateway.AuditEvent) error { return s.SetUserAdmin(ctx, root.ID, true, ev) })
		if n := activeAdmins(t, s); n != 2 {
			t.Fatalf("round %d: %d active admins before the race, want 2", round, n)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Go(func() { errs[0] = s.SetUserAdmin(ctx, root.ID, false, event("TestUnmake", "admin")) })
		wg.Go(func() { errs[1] = s.SetUserDeactivated(ctx, ann.ID, &off, event("TestDeactivate", "admin")) })
		wg.Wait()
		refused := 0
		for _, err := range errs {
			switch {
			case errors.Is(err, gateway.ErrLastAdmin):
				refused++
			case err != nil:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if refused != 1 || activeAdmins(t, s) != 1 {
			t.Fatalf("round %d: %d of the two concurrent changes refused, %d active admins left; want 1 and 1", round, refused, activeAdmins(t, s))
		}
		verifiedChain(t, s)
		// Back to two active admins for the next round.
		if errs[1] == nil {
			mustMutate(t, s, "SetUserDeactivated(nil)", func(ev *gateway.AuditEvent) error { return s.SetUserDeactivated(ctx, ann.ID, nil, ev) })
		}
	}
}

func activeAdmins(t *testing.T, s gateway.Store) int {
	t.Helper()
	n := 0
	for _, u := range loadState(t, s).Users {
		if u.Admin && u.DeactivatedAt == nil {
			n++
		}
	}
	return n
}
