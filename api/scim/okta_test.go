package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/llmgate/llmgate/gateway"
)

// The request sequence Okta's SCIM 2.0 reference documents (developer.okta.com, "Okta and
// SCIM Version 2.0"): look the user up by userName, create it, read it, update the profile with
// PUT, deactivate with a path-less PATCH {"active": false}; push a group, rename it with a
// path-less replace, add a member with path "members", remove it with members[value eq "…"],
// delete the group. Deactivation refuses the user's key on the very next request.
func TestOktaProvisioningSequence(t *testing.T) {
	e := newEnv(t)
	lookup := e.call("GET", `/scim/v2/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100`, "").must(t, 200)
	if lookup.total() != 0 || len(lookup.resources()) != 0 || lookup.body["Resources"] == nil {
		t.Fatalf("lookup of a missing user: %s", lookup.raw)
	}
	created := e.call("POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
		"userName":"test.user@okta.local","name":{"givenName":"Test","familyName":"User"},
		"emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],"displayName":"Test User",
		"locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true}`).must(t, 201)
	id := created.str("id")
	if !gateway.ValidID(id) || created.body["active"] != true || created.header.Get("Location") != e.scimURL+"/scim/v2/Users/"+id {
		t.Fatalf("created user: %s (Location %q)", created.raw, created.header.Get("Location"))
	}
	if got := e.call("GET", "/scim/v2/Users/"+id, "").must(t, 200); got.str("userName") != "test.user@okta.local" {
		t.Fatalf("read back: %s", got.raw)
	}
	found := e.call("GET", `/scim/v2/Users?filter=userName%20eq%20%22TEST.USER%40okta.local%22`, "").must(t, 200)
	if found.total() != 1 || found.resources()[0]["id"] != id {
		t.Fatalf("lookup after creation (userName is case-insensitive): %s", found.raw)
	}
	key := e.keyFor(id)
	if s := e.query(key); s != 200 {
		t.Fatalf("the provisioned user's key: HTTP %d", s)
	}

	updated := e.call("PUT", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"`+id+`",
		"userName":"test.user@okta.local","name":{"givenName":"Another","familyName":"User"},
		"emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],"active":true}`).must(t, 200)
	if name, _ := updated.body["name"].(map[string]any); name["givenName"] != "Another" {
		t.Fatalf("PUT did not update the name: %s", updated.raw)
	}

	e.oktaGroups(t, id)

	off := e.call("PATCH", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations":[{"op":"replace","value":{"active":false}}]}`).must(t, 200)
	if off.body["active"] != false {
		t.Fatalf("after deactivation: %s", off.raw)
	}
	if s := e.query(key); s != http.StatusUnauthorized {
		t.Fatalf("the deprovisioned user's key: HTTP %d, want 401", s)
	}
	keys, err := e.App.UserKeys(context.Background(), id)
	if err != nil || len(keys) != 1 || keys[0].RevokedAt == nil {
		t.Fatalf("keys after deprovisioning: %+v, %v (want the one key revoked)", keys, err)
	}
	on := e.call("PATCH", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations":[{"op":"replace","value":{"active":true}}]}`).must(t, 200)
	if on.body["active"] != true || e.query(key) != http.StatusUnauthorized {
		t.Fatalf("reactivation must not revive the revoked key: %s", on.raw)
	}
	want := map[string]int{"CreateUser": 1, "UpdateUser": 1, "DeactivateUser": 1, "RevokeApiKey": 1, "ReactivateUser": 1,
		"CreateOrganization": 1, "RenameOrganization": 1, "AddOrganizationMember": 1, "RemoveOrganizationMember": 1, "DeleteOrganization": 1}
	if got := e.scimEvents(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("audit events performed by llmgate-scim: %v, want %v", got, want)
	}
}

func (e *env) oktaGroups(t *testing.T, userID string) {
	if e.call("GET", `/scim/v2/Groups?filter=displayName%20eq%20%22Test%20SCIMv2%22&startIndex=1&count=100`, "").must(t, 200).total() != 0 {
		t.Fatal("a missing group was found")
	}
	g := e.call("POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2","members":[]}`).must(t, 201)
	gid := g.str("id")
	e.call("GET", "/scim/v2/Groups/"+gid, "").must(t, 200)
	renamed := e.call("PATCH", "/scim/v2/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations":[{"op":"replace","value":{"id":"`+gid+`","displayName":"Test SCIMv2 renamed"}}]}`).must(t, 200)
	if renamed.str("displayName") != "Test SCIMv2 renamed" {
		t.Fatalf("rename: %s", renamed.raw)
	}
	e.call("PATCH", "/scim/v2/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations":[{"op":"add","path":"members","value":[{"value":"`+userID+`","display":"test.user@okta.local"}]}]}`).must(t, 200)
	if orgs := e.App.Snapshot().OrgsOf(userID); len(orgs) != 1 || orgs[0] != gid {
		t.Fatalf("membership after add: %v", orgs)
	}
	user := e.call("GET", "/scim/v2/Users/"+userID, "").must(t, 200)
	if groups, _ := user.body["groups"].([]any); len(groups) != 1 {
		t.Fatalf("the user's groups: %s", user.raw)
	}
	e.call("PATCH", "/scim/v2/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations":[{"op":"remove","path":"members[value eq \"`+userID+`\"]"}]}`).must(t, 200)
	if orgs := e.App.Snapshot().OrgsOf(userID); len(orgs) != 0 {
		t.Fatalf("membership after remove: %v", orgs)
	}
	e.call("DELETE", "/scim/v2/Groups/"+gid, "").must(t, 204)
	if typ := e.call("GET", "/scim/v2/Groups/"+gid, "").scimError(t, 404); typ != "" {
		t.Fatalf("a missing group has scimType %q", typ)
	}
}
