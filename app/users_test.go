package app_test

import (
	"context"
	"testing"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
)

// events returns the audit events of kind, in order.
func events(t *testing.T, e *pipelinetest.Env, kind string) []gateway.AuditEvent {
	t.Helper()
	// Admin changes commit their event with the change, so it is there when the call returns.
	evs, err := e.App.Store.QueryAudit(context.Background(), gateway.AuditFilter{Kinds: []string{kind}})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// A deactivated user's key is refused from the next authentication on and works again after
// reactivation; each change is one audited event, and repeating a state records nothing.
func TestDeactivationRefusesTheUsersKeysUntilReactivated(t *testing.T) {
	e := pipelinetest.New(t, pipelinetest.Options{})
	ctx := context.Background()
	id, key := e.User("bob")
	admin, err := e.App.Authenticate(e.AdminKey)
	if err != nil {
		t.Fatal(err)
	}
	act := app.Actor{Principal: admin, API: "test"}

	if _, err := e.App.SetUserActive(ctx, act, id, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.SetUserActive(ctx, act, id, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Authenticate(key); gateway.ErrorCode(err) != gateway.CodeUnauthenticated {
		t.Fatalf("deactivated user's key: err = %v, want unauthenticated", err)
	}
	if _, err := e.App.SetUserActive(ctx, act, id, true); err != nil {
		t.Fatal(err)
	}
	if p, err := e.App.Authenticate(key); err != nil || p.User.ID != id {
		t.Fatalf("reactivated user's key: %v, %v", p, err)
	}
	deact, react := events(t, e, gateway.KindDeactivateUser), events(t, e, gateway.KindReactivateUser)
	if len(deact) != 1 || len(react) != 1 || deact[0].Metadata["userId"] != id || deact[0].PerformedBy != admin.User.ID {
		t.Fatalf("events: %d deactivations, %d reactivations (%+v); want one each, naming bob and the admin", len(deact), len(react), deact)
	}
}

func TestOnlyAnAdminMayDeactivateAndNeverTheLastAdmin(t *testing.T) {
	e := pipelinetest.New(t, pipelinetest.Options{})
	ctx := context.Background()
	id, key := e.User("carol")
	carol, err := e.App.Authenticate(key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.SetUserActive(ctx, app.Actor{Principal: carol, API: "test"}, id, false); gateway.ErrorCode(err) != gateway.CodeForbidden {
		t.Fatalf("non-admin deactivating: err = %v, want forbidden", err)
	}
	admin, err := e.App.Authenticate(e.AdminKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.SetUserActive(ctx, app.Actor{Principal: admin, API: "test"}, admin.User.ID, false); gateway.ErrorCode(err) != gateway.CodeInvalid {
		t.Fatalf("deactivating the last admin: err = %v, want invalid", err)
	}
	if _, err := e.App.Authenticate(e.AdminKey); err != nil {
		t.Fatalf("the last admin still signs in: %v", err)
	}
}

func TestARevokedKeyIsRefusedOnTheNextAuthentication(t *testing.T) {
	e := pipelinetest.New(t, pipelinetest.Options{})
	ctx := context.Background()
	_, key := e.User("dave")
	p, err := e.App.Authenticate(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.App.RevokeKey(ctx, app.CLIActor, p.KeyID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Authenticate(key); gateway.ErrorCode(err) != gateway.CodeUnauthenticated {
		t.Fatalf("revoked key: err = %v, want unauthenticated", err)
	}
	if evs := events(t, e, gateway.KindRevokeAPIKey); len(evs) != 1 {
		t.Fatalf("%d revocation events, want 1", len(evs))
	}
}
