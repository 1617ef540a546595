package app_test

import (
	"context"
	"testing"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
)

// Making a user an administrator lets their key manage the gateway at once; the last active
// administrator cannot be unmade; a non-admin may not do either. Each change is one event.
func TestSetUserAdminGrantsAndRevokesAdministration(t *testing.T) {
	e := pipelinetest.New(t, pipelinetest.Options{})
	ctx := context.Background()
	id, key := e.User("wes")
	admin, _ := e.App.Authenticate(e.AdminKey)
	act := app.Actor{Principal: admin, API: "test"}
	wes, _ := e.App.Authenticate(key)
	if _, err := e.App.SetUserAdmin(ctx, app.Actor{Principal: wes, API: "test"}, id, true); gateway.ErrorCode(err) != gateway.CodeForbidden {
		t.Fatalf("non-admin making themselves admin: %v", err)
	}
	if _, err := e.App.SetUserAdmin(ctx, act, id, true); err != nil {
		t.Fatal(err)
	}
	if p, _ := e.App.Authenticate(key); !p.IsAdmin() {
		t.Fatal("wes's key is not an admin's on the next request")
	}
	if _, err := e.App.SetUserAdmin(ctx, act, id, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.SetUserAdmin(ctx, act, admin.User.ID, false); gateway.ErrorCode(err) != gateway.CodeInvalid {
		t.Fatalf("unmaking the last admin: %v", err)
	}
	if evs := events(t, e, gateway.KindSetUserAdmin); len(evs) != 2 || evs[0].Metadata["admin"] != "true" || evs[1].Metadata["admin"] != "false" {
		t.Fatalf("events %+v", evs)
	}
}

// Deleting an organization ends what it granted on the next request and removes it from the
// endpoints that named it; renaming keeps members and grants; a taken name is a conflict.
func TestRenameAndDeleteOrganization(t *testing.T) {
	e := pipelinetest.New(t, pipelinetest.Options{})
	ctx := context.Background()
	id, key := e.User("xia")
	o, err := e.App.CreateOrg(ctx, app.CLIActor, "lab", []gateway.OrgMember{{UserID: id}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.CreateOrg(ctx, app.CLIActor, "ops", nil); err != nil {
		t.Fatal(err)
	}
	e.Endpoint("lab-chat", gateway.TypeChat, "m", func(in *app.EndpointInput) {
		in.Permissions = gateway.Permissions{OrganizationIDs: []string{o.ID}}
	})
	p, _ := e.App.Authenticate(key)
	if !gateway.Permit(p, e.App.Snapshot().Endpoint("lab-chat")) {
		t.Fatal("member of lab is not permitted")
	}
	if _, err := e.App.RenameOrg(ctx, app.CLIActor, o.ID, "ops"); gateway.ErrorCode(err) != gateway.CodeConflict {
		t.Fatalf("rename to a taken name: %v", err)
	}
	if got, err := e.App.RenameOrg(ctx, app.CLIActor, o.ID, "research"); err != nil || got.Name != "research" || len(got.Members) != 1 {
		t.Fatalf("rename: %+v %v", got, err)
	}
	if err := e.App.DeleteOrg(ctx, app.CLIActor, o.ID); err != nil {
		t.Fatal(err)
	}
	p, _ = e.App.Authenticate(key)
	ep := e.App.Snapshot().Endpoint("lab-chat")
	if gateway.Permit(p, ep) || len(ep.Permissions.OrganizationIDs) != 0 {
		t.Fatalf("after deleting the organization: permitted=%v, endpoint orgs %v", gateway.Permit(p, ep), ep.Permissions.OrganizationIDs)
	}
	if err := e.App.DeleteOrg(ctx, app.CLIActor, o.ID); gateway.ErrorCode(err) != gateway.CodeNotFound {
		t.Fatalf("deleting again: %v", err)
	}
	if len(events(t, e, gateway.KindRenameOrganization)) != 1 || len(events(t, e, gateway.KindDeleteOrganization)) != 1 {
		t.Fatal("rename and delete should be one event each")
	}
}
