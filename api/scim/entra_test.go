package scim_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
)

const patchOp = `"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`

// The request sequence Microsoft Entra ID's provisioning service sends, from Microsoft's
// "Develop a SCIM endpoint" reference (its validator sends the same): a zero-result query,
// create with the enterprise extension, a duplicate create (409 uniqueness), query by
// userName, PATCH with filtered and dotted paths and capitalised ops, a userName change,
// disable with the string "False", DELETE; then groups: create, read and query with
// excludedAttributes=members, rename, add and remove members by value, delete.
func TestEntraProvisioningSequence(t *testing.T) {
	e := newEnv(t)
	if e.call("GET", `/scim/v2/Users?filter=userName+eq+%22non-existent+user%22`, "").must(t, 200).total() != 0 {
		t.Fatal("a non-existent user was found")
	}
	const create = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
		"externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
		"active":true,"emails":[{"primary":true,"type":"work","value":"Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
		"meta":{"resourceType":"User"},"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},
		"roles":[],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D"}}`
	id := e.call("POST", "/scim/v2/Users", create).must(t, 201).str("id")
	if typ := e.call("POST", "/scim/v2/Users", create).scimError(t, http.StatusConflict); typ != "uniqueness" {
		t.Fatalf("duplicate userName: scimType %q, want uniqueness", typ)
	}
	q := e.call("GET", `/scim/v2/Users?filter=userName+eq+%22Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1%22`, "").must(t, 200)
	if q.total() != 1 || q.resources()[0]["id"] != id {
		t.Fatalf("query by userName: %s", q.raw)
	}
	byExt := e.call("GET", `/scim/v2/Users?filter=externalId+eq+%220a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef%22`, "").must(t, 200)
	if byExt.total() != 1 || byExt.resources()[0]["id"] != id || byExt.resources()[0]["externalId"] != "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef" {
		t.Fatalf("query by externalId: %s", byExt.raw)
	}
	if e.call("GET", `/scim/v2/Users?filter=externalId+eq+%220A21F0F2-8d2a-4f8e-bf98-7363c4aed4ef%22`, "").must(t, 200).total() != 0 {
		t.Fatal("externalId matched in another case (it is caseExact)")
	}
	key := e.keyFor(id)
	token, _, err := e.App.StartSession(context.Background(), app.Caller{ClientIP: "192.0.2.1"}, e.App.Snapshot().User(id), "", "oidc:entra", time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}

	multi := e.call("PATCH", "/scim/v2/Users/"+id, `{`+patchOp+`,"Operations":[
		{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"},
		{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"}]}`).must(t, 200)
	if emails, _ := multi.body["emails"].([]any); len(emails) != 1 || emails[0].(map[string]any)["value"] != "updatedEmail@microsoft.com" {
		t.Fatalf("email update: %s", multi.raw)
	}
	single := e.call("PATCH", "/scim/v2/Users/"+id, `{`+patchOp+`,"Operations":[
		{"op":"Replace","path":"userName","value":"5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}]}`).must(t, 200)
	if single.str("userName") != "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com" || single.str("id") != id {
		t.Fatalf("userName update: %s", single.raw)
	}
	if s := e.query(key); s != 200 {
		t.Fatalf("a renamed user's key: HTTP %d, want 200", s)
	}

	off := e.call("PATCH", "/scim/v2/Users/"+id, `{`+patchOp+`,"Operations":[{"op":"Replace","path":"active","value":"False"}]}`).must(t, 200)
	if off.body["active"] != false || e.query(key) != http.StatusUnauthorized {
		t.Fatalf("disable: %s", off.raw)
	}
	if _, _, err := e.App.Session(context.Background(), token); err == nil {
		t.Fatal("the disabled user's console session still works")
	}
	if _, err := e.App.Store.GetSession(context.Background(), gateway.HashSessionToken(token)); gateway.ErrorCode(err) != gateway.CodeNotFound {
		t.Fatalf("the disabled user's session is still stored: %v", err)
	}
	e.call("DELETE", "/scim/v2/Users/"+id, "").must(t, 204)
	if got := e.call("GET", "/scim/v2/Users/"+id, "").must(t, 200); got.body["active"] != false {
		t.Fatalf("llmgate keeps a deleted user's row, deactivated: %s", got.raw)
	}

	e.entraGroups(t)
}

func (e *env) entraGroups(t *testing.T) {
	member := e.call("POST", "/scim/v2/Users", `{"userName":"member@testuser.com","active":true}`).must(t, 201).str("id")
	gid := e.call("POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group",
		"http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
		"externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"displayName","meta":{"resourceType":"Group"}}`).must(t, 201).str("id")
	e.call("PATCH", "/scim/v2/Groups/"+gid, `{`+patchOp+`,"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"`+member+`"}]}]}`).must(t, 200)
	got := e.call("GET", "/scim/v2/Groups/"+gid+"?excludedAttributes=members", "").must(t, 200)
	if _, has := got.body["members"]; has || got.str("displayName") != "displayName" || got.str("externalId") != "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159" {
		t.Fatalf("excludedAttributes=members: %s", got.raw)
	}
	q := e.call("GET", `/scim/v2/Groups?excludedAttributes=members&filter=displayName+eq+%22displayName%22`, "").must(t, 200)
	if q.total() != 1 || q.resources()[0]["id"] != gid {
		t.Fatalf("group query: %s", q.raw)
	}
	full := e.call("GET", "/scim/v2/Groups/"+gid, "").must(t, 200)
	if members, _ := full.body["members"].([]any); len(members) != 1 || members[0].(map[string]any)["value"] != member {
		t.Fatalf("members: %s", full.raw)
	}
	e.call("PATCH", "/scim/v2/Groups/"+gid, `{`+patchOp+`,"Operations":[{"op":"Replace","path":"displayName","value":"1879db59updatedDisplayName"}]}`).must(t, 200)
	if o := e.App.Snapshot().Org(gid); o == nil || o.Name != "1879db59updatedDisplayName" {
		t.Fatalf("renamed organization: %+v", o)
	}
	e.call("PATCH", "/scim/v2/Groups/"+gid, `{`+patchOp+`,"Operations":[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"`+member+`"}]}]}`).must(t, 200)
	if orgs := e.App.Snapshot().OrgsOf(member); len(orgs) != 0 {
		t.Fatalf("membership after Remove: %v", orgs)
	}
	e.call("DELETE", "/scim/v2/Groups/"+gid, "").must(t, 204)
	if e.App.Snapshot().Org(gid) != nil {
		t.Fatal("the deleted group's organization still exists")
	}
}
