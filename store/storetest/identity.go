package storetest

import (
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// testIdentityOps: making and unmaking an administrator, renaming and deleting an
// organization, each committed with its event; a taken name or an unknown id changes nothing.
func testIdentityOps(t *testing.T, s gateway.Store) {
	ctx := t.Context()
	alice, bob, root := user("alice", 0), user("bob", time.Second), user("root", 2*time.Second)
	root.Admin = true // so alice is not the last administrator when she is unmade
	for _, u := range []*gateway.User{alice, bob, root} {
		mustMutate(t, s, "CreateUser", func(ev *gateway.AuditEvent) error { return s.CreateUser(ctx, u, ev) })
	}
	mustMutate(t, s, "SetUserAdmin", func(ev *gateway.AuditEvent) error { return s.SetUserAdmin(ctx, alice.ID, true, ev) })
	if st := load(t, s); !userIn(st, alice.ID).Admin || userIn(st, bob.ID).Admin {
		t.Fatal("alice should be an administrator and bob not")
	}
	mustMutate(t, s, "SetUserAdmin", func(ev *gateway.AuditEvent) error { return s.SetUserAdmin(ctx, alice.ID, false, ev) })
	if userIn(load(t, s), alice.ID).Admin {
		t.Fatal("alice is still an administrator")
	}
	mustReject(t, s, "SetUserAdmin(unknown)", gateway.CodeNotFound, func(ev *gateway.AuditEvent) error {
		return s.SetUserAdmin(ctx, gateway.NewID(), true, ev)
	})

	renamed := *bob
	renamed.UserName, renamed.Email, renamed.FirstName, renamed.LastName = "robert", "robert@example.com", "Robert", "Tables"
	renamed.Admin = true // not UpdateUser's to change
	mustMutate(t, s, "UpdateUser", func(ev *gateway.AuditEvent) error { return s.UpdateUser(ctx, &renamed, ev) })
	renamed.Admin = false
	equal(t, "updated user", userIn(load(t, s), bob.ID), &renamed)
	taken := renamed
	taken.UserName = "alice"
	mustReject(t, s, "UpdateUser(taken name)", gateway.CodeConflict, func(ev *gateway.AuditEvent) error { return s.UpdateUser(ctx, &taken, ev) })
	mustReject(t, s, "UpdateUser(unknown)", gateway.CodeNotFound, func(ev *gateway.AuditEvent) error {
		return s.UpdateUser(ctx, &gateway.User{ID: gateway.NewID(), UserName: "nobody"}, ev)
	})

	lab := &gateway.Org{ID: gateway.NewID(), Name: "lab", CreatedAt: at(0), Members: []gateway.OrgMember{{UserID: alice.ID, Role: gateway.OrgRoleMember}}}
	ops := &gateway.Org{ID: gateway.NewID(), Name: "ops", CreatedAt: at(0)}
	for _, o := range []*gateway.Org{lab, ops} {
		mustMutate(t, s, "CreateOrg", func(ev *gateway.AuditEvent) error { return s.CreateOrg(ctx, o, ev) })
	}
	mustMutate(t, s, "RenameOrg", func(ev *gateway.AuditEvent) error { return s.RenameOrg(ctx, lab.ID, "research", ev) })
	mustReject(t, s, "RenameOrg(taken)", gateway.CodeConflict, func(ev *gateway.AuditEvent) error { return s.RenameOrg(ctx, lab.ID, "ops", ev) })
	mustReject(t, s, "RenameOrg(unknown)", gateway.CodeNotFound, func(ev *gateway.AuditEvent) error {
		return s.RenameOrg(ctx, gateway.NewID(), "x", ev)
	})
	if o := orgIn(load(t, s), lab.ID); o == nil || o.Name != "research" || len(o.Members) != 1 {
		t.Fatalf("renamed organization reads back as %+v", o)
	}
	mustMutate(t, s, "DeleteOrg", func(ev *gateway.AuditEvent) error { return s.DeleteOrg(ctx, lab.ID, ev) })
	if orgIn(load(t, s), lab.ID) != nil {
		t.Fatal("deleted organization still loads")
	}
	mustReject(t, s, "DeleteOrg(again)", gateway.CodeNotFound, func(ev *gateway.AuditEvent) error { return s.DeleteOrg(ctx, lab.ID, ev) })
	mustMutate(t, s, "CreateOrg(reuse name)", func(ev *gateway.AuditEvent) error {
		return s.CreateOrg(ctx, &gateway.Org{ID: gateway.NewID(), Name: "research", CreatedAt: at(0)}, ev)
	})
}

func load(t *testing.T, s gateway.Store) *gateway.State {
	t.Helper()
	st, err := s.LoadState(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func userIn(st *gateway.State, id string) *gateway.User {
	for i := range st.Users {
		if st.Users[i].ID == id {
			return &st.Users[i]
		}
	}
	return nil
}

func orgIn(st *gateway.State, id string) *gateway.Org {
	for i := range st.Orgs {
		if st.Orgs[i].ID == id {
			return &st.Orgs[i]
		}
	}
	return nil
}
