package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// testCommitReceipts: every kind of mutation reports, through the receipt in its context, the
// state version it committed — one above the version before it, the version read right after —
// and a rejected mutation reports nothing. Apps rely on this to apply their own change to the
// snapshot in place when nobody else wrote in between.
func testCommitReceipts(t *testing.T, s gateway.Store) {
	alice, bob := user("alice", 0), user("bob", time.Second)
	lab := &gateway.Org{ID: gateway.NewID(), Name: "lab", CreatedAt: at(0)}
	key := apiKey(alice.ID, "ci", time.Minute)
	ep := fullEndpoint("chat", 0)
	budget := &gateway.Budget{ID: gateway.NewID(), Scope: "global", Period: "day", LimitCost: ptr(1.0), CreatedAt: at(0), UpdatedAt: at(0)}
	member := gateway.OrgMember{UserID: bob.ID, Role: gateway.OrgRoleMember}
	steps := []struct {
		what   string
		mutate func(ctx context.Context, ev *gateway.AuditEvent) error
	}{
		{"CreateUser", func(ctx context.Context, ev *gateway.AuditEvent) error { return s.CreateUser(ctx, alice, ev) }},
		{"CreateUser", func(ctx context.Context, ev *gateway.AuditEvent) error { return s.CreateUser(ctx, bob, ev) }},
		{"SetUserDeactivated", func(ctx context.Context, ev *gateway.AuditEvent) error {
			return s.SetUserDeactivated(ctx, bob.ID, ptr(at(time.Hour)), ev)
		}},
		{"SetUserAdmin", func(ctx context.Context, ev *gateway.AuditEvent) error {
			return s.SetUserAdmin(ctx, alice.ID, true, ev)
		}},
		{"CreateOrg", func(ctx context.Context, ev *gateway.AuditEvent) error { return s.CreateOrg(ctx, lab, ev) }},
		{"SetOrgMember", func(ctx context.Context, ev *gateway.AuditEvent) error {
			return s.SetOrgMember(ctx, lab.ID, member, ev)
		}},
		{"RemoveOrgMember", func(ctx context.Context, ev *gateway.AuditEvent) error {
			return s.RemoveOrgMember(ctx, lab.ID, bob.ID, ev)
		}},
		{"RenameOrg", func(ctx context.Context, ev *gateway.AuditEvent) error {
			return s.RenameOrg(ctx, lab.ID, "research", ev)
		}},
		{"DeleteOrg", func(ctx context.Context, ev *gateway.AuditEvent) error { return s.DeleteOrg(ctx, lab.ID, ev) }},
		{"CreateKey", func(ctx context.Context, ev *gateway.AuditEvent) error { return s.CreateKey(ctx, key, ev) }},
		{"RevokeKey", func(ctx context.Context, ev *gateway.AuditEvent) error {
			return s.RevokeKey(ctx, key.ID, at(time.Hour), ev)
		}},
		{"PutBudget", func(ctx context.Context, ev *gateway.AuditEvent) error { return s.PutBudget(ctx, budget, ev) }},
		{"DeleteBudget", func(ctx context.Context, ev *gateway.AuditEvent) error { return s.DeleteBudget(ctx, budget.ID, ev) }},
		{"CreateEndpoint", func(ctx context.Context, ev *gateway.AuditEvent) error { return s.CreateEndpoint(ctx, ep, ev) }},
		{"UpdateEndpoint", func(ctx context.Context, ev *gateway.AuditEvent) error { return s.UpdateEndpoint(ctx, ep, ev) }},
		{"DeleteEndpoint", func(ctx context.Context, ev *gateway.AuditEvent) error {
			return s.DeleteEndpoint(ctx, ep.ID, at(time.Hour), ev)
		}},
	}
	for _, step := range steps {
		before := observe(t, s)
		var r gateway.CommitReceipt
		if err := step.mutate(gateway.WithCommitReceipt(t.Context(), &r), event("Test"+step.what, "admin")); err != nil {
			t.Fatalf("%s: %v", step.what, err)
		}
		after := observe(t, s)
		if r.Version != before.version+1 || r.Version != after.version {
			t.Fatalf("%s: receipt says version %d; before it was %d, after %d", step.what, r.Version, before.version, after.version)
		}
	}
	var r gateway.CommitReceipt
	err := s.RenameOrg(gateway.WithCommitReceipt(t.Context(), &r), gateway.NewID(), "x", event("TestRenameOrg", "admin"))
	if gateway.ErrorCode(err) != gateway.CodeNotFound || r.Version != 0 {
		t.Fatalf("a rejected mutation: err %v, receipt %d; want not found and no version", err, r.Version)
	}
}
