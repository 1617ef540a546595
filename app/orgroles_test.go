package app_test

import (
	"context"
	"testing"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
)

// Adding a member, changing its role and setting the role it already has are three different
// things in the trail: an AddOrganizationMember event, a ChangeOrganizationMemberRole event
// naming both roles, and nothing.
func TestMemberRoleChangeIsItsOwnAuditedEvent(t *testing.T) {
	e := pipelinetest.New(t, pipelinetest.Options{})
	ctx := context.Background()
	id, _ := e.User("rue")
	o, err := e.App.CreateOrg(ctx, app.CLIActor, "lab", nil)
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := e.App.Authenticate(e.AdminKey)
	act := app.Actor{Principal: admin, API: "test"}
	steps := []gateway.OrgRole{gateway.OrgRoleMember, gateway.OrgRoleAdmin, gateway.OrgRoleAdmin}
	for _, role := range steps {
		if err := e.App.SetOrgMember(ctx, act, o.ID, gateway.OrgMember{UserID: id, Role: role}); err != nil {
			t.Fatal(err)
		}
	}
	if m := e.App.Snapshot().Org(o.ID).Members; len(m) != 1 || m[0].Role != gateway.OrgRoleAdmin {
		t.Fatalf("members = %+v, want rue as admin", m)
	}
	added, changed := events(t, e, gateway.KindAddOrganizationMember), events(t, e, gateway.KindChangeOrganizationMemberRole)
	if len(added) != 1 || len(changed) != 1 {
		t.Fatalf("%d add and %d role-change events, want 1 and 1", len(added), len(changed))
	}
	md := changed[0].Metadata
	if md["organizationRole"] != "admin" || md["previousRole"] != "member" || md["userName"] != "rue" ||
		md["organizationName"] != "lab" || changed[0].PerformedBy != admin.User.ID {
		t.Fatalf("role change event %+v by %s", md, changed[0].PerformedBy)
	}
}

// Domino's userIds may name an organization; deleting that organization takes it out of
// userIds too, so no endpoint keeps an id that no longer exists (and a later permission edit
// that sends the list back is not refused for it).
func TestDeletingAnOrganizationRemovesItFromUserIDGrants(t *testing.T) {
	e := pipelinetest.New(t, pipelinetest.Options{})
	ctx := context.Background()
	id, key := e.User("sol")
	o, err := e.App.CreateOrg(ctx, app.CLIActor, "lab", []gateway.OrgMember{{UserID: id}})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := e.User("tam")
	e.Endpoint("lab-chat", gateway.TypeChat, "m", func(in *app.EndpointInput) {
		in.Permissions = gateway.Permissions{UserIDs: []string{o.ID, other}}
	})
	if p, _ := e.App.Authenticate(key); !gateway.Permit(p, e.App.Snapshot().Endpoint("lab-chat")) {
		t.Fatal("member of lab (granted through userIds) is not permitted")
	}
	if err := e.App.DeleteOrg(ctx, app.CLIActor, o.ID); err != nil {
		t.Fatal(err)
	}
	ep := e.App.Snapshot().Endpoint("lab-chat")
	if p, _ := e.App.Authenticate(key); gateway.Permit(p, ep) || len(ep.Permissions.UserIDs) != 1 || ep.Permissions.UserIDs[0] != other {
		t.Fatalf("after deleting lab: permitted=%v, userIds %v (want only tam)", gateway.Permit(p, ep), ep.Permissions.UserIDs)
	}
	if _, err := e.App.UpdatePermissions(ctx, app.CLIActor, "lab-chat", app.PermissionsPatch{UserIDs: ep.Permissions.UserIDs}); err != nil {
		t.Fatalf("sending the remaining grants back: %v", err)
	}
}
