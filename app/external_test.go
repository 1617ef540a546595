package app_test

import (
	"context"
	"testing"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
)

var sso = app.GroupMapping{AdminGroups: []string{"gw-admins"}, Orgs: []app.OrgMapping{
	{Group: "ml", Org: "research"}, {Group: "ml-leads", Org: "research", Role: gateway.OrgRoleAdmin}, {Group: "ops", Org: "platform"}}}

func ident(groups ...string) app.ExternalIdentity {
	return app.ExternalIdentity{Method: "oidc:test", Subject: "s1", UserName: "erin", Email: "erin@example.org", Groups: groups}
}

// The first sign-in creates the user and the mapped organizations; each later one makes the
// administrator role and the mapped memberships match the groups (the highest role any group
// grants), leaving organizations no mapping names alone.
func TestSyncExternalUserFollowsTheGroups(t *testing.T) {
	e := pipelinetest.New(t, pipelinetest.Options{})
	ctx := context.Background()
	other, err := e.App.CreateOrg(ctx, app.CLIActor, "hand-made", nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.App.SyncExternalUser(ctx, app.Caller{}, ident("ml", "ml-leads", "gw-admins"), sso)
	if err != nil {
		t.Fatal(err)
	}
	snap := e.App.Snapshot()
	research := snap.OrgByName("research")
	if !u.Admin || research == nil || roleOf(research, u.ID) != gateway.OrgRoleAdmin || snap.OrgByName("platform") != nil {
		t.Fatalf("first sign-in: admin=%v research=%+v platform=%v", u.Admin, research, snap.OrgByName("platform"))
	}
	if err := e.App.SetOrgMember(ctx, app.CLIActor, other.ID, gateway.OrgMember{UserID: u.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.SyncExternalUser(ctx, app.Caller{}, ident("ops"), sso); err != nil {
		t.Fatal(err)
	}
	snap = e.App.Snapshot()
	u = snap.User(u.ID)
	if u.Admin || roleOf(snap.OrgByName("research"), u.ID) != "" || roleOf(snap.OrgByName("platform"), u.ID) != gateway.OrgRoleMember ||
		roleOf(snap.Org(other.ID), u.ID) != gateway.OrgRoleMember {
		t.Fatalf("after the groups changed: admin=%v, orgs %v", u.Admin, snap.OrgsOf(u.ID))
	}
	before := len(events(t, e, gateway.KindAddOrganizationMember))
	if _, err := e.App.SyncExternalUser(ctx, app.Caller{}, ident("ops"), sso); err != nil {
		t.Fatal(err)
	}
	if after := len(events(t, e, gateway.KindAddOrganizationMember)); after != before {
		t.Fatal("a sign-in with unchanged groups changed memberships")
	}
	if evs := events(t, e, gateway.KindCreateUser); evs[len(evs)-1].Metadata["performedByUsername"] != "llmgate-oidc:test" {
		t.Fatalf("JIT creation event %+v", evs[len(evs)-1])
	}
}

// A deactivated user cannot sign in through the provider, and the last active administrator
// keeps the role even when the provider stops listing them in an admin group.
func TestSyncExternalUserRefusesDeactivatedAndKeepsTheLastAdmin(t *testing.T) {
	e := pipelinetest.New(t, pipelinetest.Options{})
	ctx := context.Background()
	admin := app.ExternalIdentity{Method: "oidc:test", UserName: "admin"}
	if u, err := e.App.SyncExternalUser(ctx, app.Caller{}, admin, sso); err != nil || !u.Admin {
		t.Fatalf("the last admin lost the role: %+v %v", u, err)
	}
	u, err := e.App.SyncExternalUser(ctx, app.Caller{}, ident(), sso)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.SetUserActive(ctx, app.CLIActor, u.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.App.SignInExternal(ctx, app.Caller{ClientIP: "192.0.2.1"}, ident(), sso); gateway.ErrorCode(err) != gateway.CodeUnauthenticated {
		t.Fatalf("deactivated user signing in: %v", err)
	}
	evs := events(t, e, gateway.KindSignIn)
	if last := evs[len(evs)-1]; last.Metadata["outcome"] != gateway.OutcomeDenied || last.Metadata["method"] != "oidc:test" {
		t.Fatalf("refused SSO sign-in event %+v", last)
	}
}

func roleOf(o *gateway.Org, userID string) gateway.OrgRole {
	if o == nil {
		return ""
	}
	for _, m := range o.Members {
		if m.UserID == userID {
			return m.Role
		}
	}
	return ""
}
