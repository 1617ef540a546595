package domino

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/notify"
	"github.com/llmgate/llmgate/provider/registry"
)

// Conformance checklist item 26 (docs/contract/domino-aigateway.md §9).
func TestPermissionsMatchCreate(t *testing.T) {
	e := newEnv(t)
	u1, _ := e.user("priya")
	u2, _ := e.user("omar")
	org := e.org("team")
	body := newEndpoint("p", "llm/v1/chat", false, u1, u2, u1)
	body["endpointPermissions"].(map[string]any)["organizationIds"] = []string{org}
	e.create(body)
	var got permissionsDto
	e.do("GET", endpointsPath+"/p/permissions", e.adminKey, nil).expect(t, 200).json(t, &got)
	want := permissionsDto{IsEveryoneAllowed: false, UserIDs: []string{u1, u2}, OrganizationIDs: []string{org}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("permissions = %+v, want %+v (duplicates collapsed, order kept)", got, want)
	}
	m := e.do("GET", endpointsPath+"/p/permissions", e.adminKey, nil).object(t)
	if _, ok := m["organizationIds"].([]any); !ok {
		t.Errorf("organizationIds must always be an array: %v", m)
	}
}

// Conformance checklist item 27 (docs/contract/domino-aigateway.md §9).
func TestPermissionsPatchSemantics(t *testing.T) {
	e := newEnv(t)
	u1, _ := e.user("priya")
	u2, _ := e.user("omar")
	e.create(newEndpoint("p", "llm/v1/chat", false, u1))
	var got permissionsDto
	e.do("PATCH", endpointsPath+"/p/permissions", e.adminKey, map[string]any{"isEveryoneAllowed": true}).expect(t, 200).json(t, &got)
	if !got.IsEveryoneAllowed || !reflect.DeepEqual(got.UserIDs, []string{u1}) {
		t.Errorf("after isEveryoneAllowed patch: %+v", got)
	}
	e.do("PATCH", endpointsPath+"/p/permissions", e.adminKey, map[string]any{"userIds": []string{u2, u2}}).expect(t, 200).json(t, &got)
	if !got.IsEveryoneAllowed || !reflect.DeepEqual(got.UserIDs, []string{u2}) {
		t.Errorf("after userIds patch: %+v", got)
	}
	e.do("PATCH", endpointsPath+"/p/permissions", e.adminKey, map[string]any{"userIds": []string{}}).expect(t, 200).json(t, &got)
	if got.UserIDs == nil || len(got.UserIDs) != 0 {
		t.Errorf("empty userIds did not clear the list: %+v", got)
	}
}

// Conformance checklist item 28 (docs/contract/domino-aigateway.md §9).
func TestBadPermissionIdsChangeNothing(t *testing.T) {
	e := newEnv(t)
	u1, _ := e.user("priya")
	e.create(newEndpoint("p", "llm/v1/chat", false, u1))
	before := e.do("GET", endpointsPath+"/p/permissions", e.adminKey, nil).body
	for _, body := range []map[string]any{
		{"userIds": []string{"not-hex"}},
		{"userIds": []string{u1, "0123456789abcdef01234567"}},
		{"userIds": []string{strings.ToUpper(u1)}},
		{"isEveryoneAllowed": true, "organizationIds": []string{u1}}, // a user is not an organization
		{"userIds": "abc"},
		{"isEveryoneAllowed": "yes"},
	} {
		assertEnvelope(t, e.do("PATCH", endpointsPath+"/p/permissions", e.adminKey, body), 400)
	}
	if after := e.do("GET", endpointsPath+"/p/permissions", e.adminKey, nil).body; string(after) != string(before) {
		t.Errorf("rejected patches changed permissions: %s -> %s", before, after)
	}
	bad := newEndpoint("q", "llm/v1/chat", false, "0123456789abcdef01234567")
	assertEnvelope(t, e.do("POST", endpointsPath, e.adminKey, bad), 400)
}

// Conformance checklist item 29 (docs/contract/domino-aigateway.md §9).
func TestPermissionChangeIsImmediate(t *testing.T) {
	e := newEnv(t)
	uid, ukey := e.user("priya")
	e.create(newEndpoint("p", "llm/v1/chat", false, uid))
	e.do("GET", endpointsPath+"/p", ukey, nil).expect(t, 200)
	e.do("PATCH", endpointsPath+"/p/permissions", e.adminKey, map[string]any{"userIds": []string{}}).expect(t, 200)
	assertEnvelope(t, e.do("GET", endpointsPath+"/p", ukey, nil), 403)
	p, err := e.app.Snapshot().Authenticate(ukey, gateway.Now())
	if err != nil {
		t.Fatal(err)
	}
	if gateway.Permit(p, e.app.Snapshot().Endpoint("p")) {
		t.Error("the query path's snapshot still permits the removed user")
	}
}

// Conformance checklist item 30 (docs/contract/domino-aigateway.md §9).
func TestAdminOnlyRoutesForbidUsers(t *testing.T) {
	e := newEnv(t)
	uid, ukey := e.user("priya")
	e.create(newEndpoint("p", "llm/v1/chat", false, uid))
	for _, c := range []struct{ method, path string }{
		{"GET", endpointsPath + "/p/permissions"}, {"PATCH", endpointsPath + "/p/permissions"},
		{"GET", endpointsPath + "/missing/permissions"}, {"GET", "/api/aigateway/v1/audit"},
		{"GET", "/v4/aigateway/audit/download"}, {"GET", "/api/organizations/v1/organizations/all"},
		{"POST", "/api/users/v1/users"}, {"GET", "/api/pat/v1/users/" + uid + "/tokens"},
	} {
		assertEnvelope(t, e.do(c.method, c.path, ukey, map[string]any{}), 403)
	}
}

// Conformance checklist item 31 (docs/contract/domino-aigateway.md §9).
func TestAuditShape(t *testing.T) {
	e := newEnv(t)
	e.create(newEndpoint("a", "llm/v1/chat", true))
	r := e.do("GET", "/api/aigateway/v1/audit?eventKinds=CreateGatewayEndpoint", e.adminKey, nil).expect(t, 200)
	var list []map[string]any
	r.json(t, &list)
	if len(list) != 1 {
		t.Fatalf("want 1 event, got %s", r.body)
	}
	for _, k := range []string{"endpointId", "endpointType", "eventKind", "performedBy", "timestamp"} {
		if _, ok := list[0][k].(string); !ok {
			t.Errorf("%s is not a string: %v", k, list[0][k])
		}
	}
	for k, v := range list[0]["metadata"].(map[string]any) {
		if _, ok := v.(string); !ok {
			t.Errorf("metadata.%s = %v is not a string", k, v)
		}
	}
	if empty := e.do("GET", "/api/aigateway/v1/audit", e.adminKey, nil).expect(t, 200); strings.TrimSpace(string(empty.body)) != "[]" {
		t.Errorf("no access events must give a bare empty array, got %s", empty.body)
	}
}

// accessEvent records an access event as the query path would, at a chosen time.
func (e *env) accessEvent(at time.Time, endpointID, endpointName, user string) {
	e.t.Helper()
	err := e.store.AppendAudit(context.Background(), []*gateway.AuditEvent{{ID: gateway.NewID(), Kind: gateway.KindAccessEndpoint,
		Timestamp: at, EndpointID: endpointID, EndpointType: "llm/v1/chat",
		Metadata: map[string]string{"endpointName": endpointName, "accessedByUsername": user, "outcome": "success", "httpStatus": "200"}}})
	if err != nil {
		e.t.Fatal(err)
	}
}

// Conformance checklist item 34 (docs/contract/domino-aigateway.md §9).
func TestAuditFilters(t *testing.T) {
	e := newEnv(t)
	a := e.create(newEndpoint("a", "llm/v1/chat", true))["endpointId"].(string)
	b := e.create(newEndpoint("b", "llm/v1/chat", true))["endpointId"].(string)
	c := e.create(newEndpoint("c", "llm/v1/chat", true))["endpointId"].(string)
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	e.accessEvent(t0, a, "a", "priya")
	e.accessEvent(t0.Add(time.Hour), b, "b", "omar")
	e.accessEvent(t0.Add(2*time.Hour), c, "c", "priya")
	ids := func(list []map[string]any) []string {
		var out []string
		for _, ev := range list {
			out = append(out, ev["endpointId"].(string))
		}
		return out
	}
	cases := map[string][]string{
		"?endpointIds=" + a + "&endpointIds=" + b: {a, b},
		"?endpointIds=" + a + "," + c:             {a, c},
		"?endpointNames=b":                        {b},
		"?endpointNames=b&endpointIds=" + c:       {b, c},
		"?startTime=2026-05-01T11:00:00Z":         {b, c},
		"?endTime=2026-05-01T11:00:00Z":           {a, b},
		"?startTime=2026-05-01T13:00:00%2B02:00&endTime=2026-05-01T13:00:00%2B02:00": {b},
		"?startTime=2026-05-01T11:00:00":                                             {b, c},
		"?usernames=priya":                                                           {a, c},
		"?offset=1&limit=1":                                                          {b},
	}
	for q, want := range cases {
		if got := ids(e.auditEvents(q)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", q, got, want)
		}
	}
	for _, q := range []string{"?startTime=yesterday", "?endTime=2026-13-01T00:00:00Z", "?startTime=2026-05-02T00:00:00Z&endTime=2026-05-01T00:00:00Z",
		"?limit=0", "?offset=-2"} {
		assertEnvelope(t, e.do("GET", "/api/aigateway/v1/audit"+q, e.adminKey, nil), 400)
	}
}

// Conformance checklist item 34 (docs/contract/domino-aigateway.md §9).
func TestNamesMatchCurrentAndRecorded(t *testing.T) {
	e := newEnv(t)
	id := e.create(newEndpoint("before", "llm/v1/chat", true))["endpointId"].(string)
	e.accessEvent(gateway.Now(), id, "before", "priya")
	e.do("PATCH", endpointsPath+"/before", e.adminKey, map[string]any{"endpointName": "after"}).expect(t, 200)
	for _, name := range []string{"before", "after"} {
		if got := e.auditEvents("?endpointNames=" + name); len(got) != 1 {
			t.Errorf("endpointNames=%s found %d events, want the one recorded before the rename", name, len(got))
		}
	}
}

// Conformance checklist item 35 (docs/contract/domino-aigateway.md §9).
func TestOrderAndDefaultKinds(t *testing.T) {
	e := newEnv(t)
	id := e.create(newEndpoint("a", "llm/v1/chat", true))["endpointId"].(string)
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	e.accessEvent(t0.Add(time.Hour), id, "a", "late")
	e.accessEvent(t0, id, "a", "early")
	got := e.auditEvents("")
	if len(got) != 2 {
		t.Fatalf("default kinds returned %d events, want only the 2 access events", len(got))
	}
	if got[0]["metadata"].(map[string]any)["accessedByUsername"] != "early" {
		t.Errorf("events not ascending by timestamp: %v", got)
	}
}

// Conformance checklist item 36 (docs/contract/domino-aigateway.md §9).
func TestAdminEventsOnRequest(t *testing.T) {
	e := newEnv(t)
	e.create(newEndpoint("support-chat", "llm/v1/chat", true))
	e.do("PATCH", endpointsPath+"/support-chat", e.adminKey, map[string]any{"modelName": "gpt-4.1-mini",
		"modelConfig": map[string]any{"openai_api_key": "sk-ROTATED-SECRET"}}).expect(t, 200)
	r := e.do("GET", "/api/aigateway/v1/audit?eventKinds=CreateGatewayEndpoint,UpdateGatewayEndpoint", e.adminKey, nil).expect(t, 200)
	var list []auditData
	r.json(t, &list)
	if len(list) != 2 || list[0].EventKind != gateway.KindCreateEndpoint || list[1].EventKind != gateway.KindUpdateEndpoint {
		t.Fatalf("events = %+v", list)
	}
	md := list[1].Metadata
	if md["changedFields"] != "modelName,modelConfig" || md["before.modelName"] != "gpt-4o-mini" ||
		md["after.modelName"] != "gpt-4.1-mini" || md["modelConfigKeysChanged"] != "openai_api_key" {
		t.Errorf("update metadata = %v", md)
	}
	if md["performedByUsername"] != "admin" || md["api"] != "domino" || list[1].PerformedBy == "" {
		t.Errorf("actor fields = %v / %q", md, list[1].PerformedBy)
	}
	if strings.Contains(string(r.body), "SECRET") {
		t.Errorf("credential in the audit trail: %s", r.body)
	}
}

// Conformance checklist item 37 (docs/contract/domino-aigateway.md §9).
func TestRenamePermissionsDeleteEvents(t *testing.T) {
	e := newEnv(t)
	u1, _ := e.user("priya")
	u2, _ := e.user("omar")
	e.create(newEndpoint("x", "llm/v1/chat", false, u1))
	e.do("PATCH", endpointsPath+"/x", e.adminKey, map[string]any{"endpointName": "y"}).expect(t, 200)
	e.do("PATCH", endpointsPath+"/y/permissions", e.adminKey, map[string]any{"userIds": []string{u2}, "isEveryoneAllowed": true}).expect(t, 200)
	e.do("DELETE", endpointsPath+"/y", e.adminKey, nil).expect(t, 200)
	list := e.auditEvents("?eventKinds=UpdateGatewayEndpoint,UpdateGatewayEndpointPermissions,DeleteGatewayEndpoint")
	if len(list) != 3 {
		t.Fatalf("want 3 admin events, got %v", list)
	}
	md := func(i int) map[string]any { return list[i]["metadata"].(map[string]any) }
	if md(0)["previousEndpointName"] != "x" || md(0)["endpointName"] != "y" || md(0)["changedFields"] != "endpointName" {
		t.Errorf("rename event = %v", md(0))
	}
	if md(1)["userIdsAdded"] != u2 || md(1)["userIdsRemoved"] != u1 || md(1)["after.isEveryoneAllowed"] != "true" {
		t.Errorf("permissions event = %v", md(1))
	}
	if md(2)["endpointName"] != "y" || md(2)["before.modelName"] != "gpt-4o-mini" || list[2]["endpointType"] != "llm/v1/chat" {
		t.Errorf("delete event = %v", list[2])
	}
}

// Conformance checklist item 38 (docs/contract/domino-aigateway.md §9).
func TestSelf(t *testing.T) {
	e := newEnv(t)
	uid, ukey := e.user("priya")
	m := e.do("GET", "/api/users/v1/self", ukey, nil).expect(t, 200).object(t)
	u := m["user"].(map[string]any)
	if u["id"] != uid || !hex24.MatchString(uid) || u["userName"] != "priya" || u["fullName"] != "P Test" {
		t.Errorf("user = %v", u)
	}
	for _, k := range []string{"id", "firstName", "lastName", "fullName", "userName", "avatarUrl"} {
		if _, ok := u[k].(string); !ok {
			t.Errorf("user.%s is not a string", k)
		}
	}
	if !reflect.DeepEqual(u["roles"], []any{"Practitioner"}) {
		t.Errorf("roles = %v", u["roles"])
	}
	md := m["metadata"].(map[string]any)
	if md["requestId"] != e.do("GET", "/api/users/v1/self", ukey, nil).header.Get("X-Request-Id") && md["requestId"] == "" {
		t.Errorf("metadata = %v", md)
	}
	admin := e.do("GET", "/api/users/v1/self", e.adminKey, nil).expect(t, 200).object(t)["user"].(map[string]any)
	if !reflect.DeepEqual(admin["roles"], []any{"SysAdmin"}) {
		t.Errorf("admin roles = %v", admin["roles"])
	}
}

// Conformance checklist item 39 (docs/contract/domino-aigateway.md §9).
func TestUsersPaged(t *testing.T) {
	e := newEnv(t)
	_, ukey := e.user("priya")
	e.user("omar")
	m := e.do("GET", "/api/users/v1/users?offset=0&limit=2", ukey, nil).expect(t, 200).object(t)
	users := m["users"].([]any)
	if len(users) != 2 || m["metadata"].(map[string]any)["totalCount"] != 3.0 {
		t.Fatalf("users page = %v", m)
	}
	var ids []string
	for _, u := range users {
		ids = append(ids, u.(map[string]any)["id"].(string))
	}
	e.create(newEndpoint("p", "llm/v1/chat", false))
	e.do("PATCH", endpointsPath+"/p/permissions", e.adminKey, map[string]any{"userIds": ids}).expect(t, 200)
	one := e.do("GET", "/api/users/v1/users?userName=omar", ukey, nil).expect(t, 200).object(t)["users"].([]any)
	if len(one) != 1 || one[0].(map[string]any)["userName"] != "omar" {
		t.Errorf("userName filter = %v", one)
	}
	assertEnvelope(t, e.do("GET", "/api/users/v1/users?limit=abc", ukey, nil), 400)
}

// Conformance checklist item 40 (docs/contract/domino-aigateway.md §9).
func TestOrganizations(t *testing.T) {
	e := newEnv(t)
	uid, ukey := e.user("priya")
	other, _ := e.user("omar")
	mine := e.org("claims", uid)
	e.org("finance", other)
	m := e.do("GET", "/api/organizations/v1/organizations", ukey, nil).expect(t, 200).object(t)
	orgs := m["orgs"].([]any)
	if len(orgs) != 1 || orgs[0].(map[string]any)["id"] != mine {
		t.Fatalf("own orgs = %v", m)
	}
	members := orgs[0].(map[string]any)["members"].([]any)
	if role := members[0].(map[string]any)["organizationRole"]; role != "member" && role != "admin" {
		t.Errorf("organizationRole = %v", role)
	}
	assertEnvelope(t, e.do("GET", "/api/organizations/v1/organizations/all", ukey, nil), 403)
	all := e.do("GET", "/api/organizations/v1/organizations/all?userIdFilter="+other, e.adminKey, nil).expect(t, 200).object(t)
	if got := all["orgs"].([]any); len(got) != 1 || got[0].(map[string]any)["name"] != "finance" {
		t.Errorf("all orgs filtered by member = %v", got)
	}
}

// Conformance checklist item 40 (docs/contract/domino-aigateway.md §9).
func TestOrganizationManagement(t *testing.T) {
	e := newEnv(t)
	uid, ukey := e.user("priya")
	const orgs = "/api/organizations/v1/organizations"
	created := e.do("POST", orgs, e.adminKey, map[string]any{"name": "claims", "members": []map[string]any{{"userId": uid, "organizationRole": "admin"}}}).
		expect(t, 200).object(t)["org"].(map[string]any)
	id := created["id"].(string)
	assertEnvelope(t, e.do("POST", orgs, e.adminKey, map[string]any{"name": "claims", "members": []any{}}), 400)
	assertEnvelope(t, e.do("POST", orgs, e.adminKey, map[string]any{"name": "x", "members": []map[string]any{{"userId": "nope"}}}), 400)
	e.do("GET", orgs+"/"+id, ukey, nil).expect(t, 200)
	other, okey := e.user("omar")
	assertEnvelope(t, e.do("GET", orgs+"/"+id, okey, nil), 403)
	assertEnvelope(t, e.do("GET", orgs+"/0123456789abcdef01234567", okey, nil), 403)
	assertEnvelope(t, e.do("GET", orgs+"/0123456789abcdef01234567", e.adminKey, nil), 404)
	org := e.do("PUT", orgs+"/"+id+"/user", e.adminKey, map[string]any{"userId": other, "organizationRole": "member"}).
		expect(t, 200).object(t)["org"].(map[string]any)
	if len(org["members"].([]any)) != 2 {
		t.Errorf("after add: %v", org)
	}
	e.do("GET", orgs+"/"+id, okey, nil).expect(t, 200)
	e.do("DELETE", orgs+"/"+id+"/user?memberToRemoveId="+other, e.adminKey, nil).expect(t, 200)
	assertEnvelope(t, e.do("GET", orgs+"/"+id, okey, nil), 403)
	assertEnvelope(t, e.do("DELETE", orgs+"/"+id+"/user?memberToRemoveId="+other, e.adminKey, nil), 404)
}

// Conformance checklist item 41 (docs/contract/domino-aigateway.md §9).
func TestOrgInUserIdsGrantsMembersOnly(t *testing.T) {
	e := newEnv(t)
	member, mkey := e.user("priya")
	_, okey := e.user("omar")
	org := e.org("claims", member)
	e.create(newEndpoint("p", "llm/v1/chat", false, org))
	e.do("GET", endpointsPath+"/p", mkey, nil).expect(t, 200)
	assertEnvelope(t, e.do("GET", endpointsPath+"/p", okey, nil), 403)
}

// Conformance checklist item 46 (docs/contract/domino-aigateway.md §9).
func TestNoOpenAIRoutesUnderDominoPrefix(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/api/aigateway/v1/chat/completions", "/api/aigateway/v1/openai/v1/chat/completions", "/api/aigateway/v1/openai"} {
		assertEnvelope(t, e.do("POST", p, e.adminKey, map[string]any{"model": "x"}), 404)
		assertEnvelope(t, e.do("POST", p, "", map[string]any{"model": "x"}), 401)
	}
}

// Conformance checklist item 47 (docs/contract/domino-aigateway.md §9).
func TestProviderConfigs(t *testing.T) {
	e := newEnv(t)
	var keys []string
	e.do("GET", "/v4/aigateway/provider-configs?modelProvider=openai", e.adminKey, nil).expect(t, 200).json(t, &keys)
	if !reflect.DeepEqual(keys, []string{"openai_api_key"}) {
		t.Errorf("openai keys = %v", keys)
	}
	m := assertEnvelope(t, e.do("GET", "/v4/aigateway/provider-configs", e.adminKey, nil), 400)
	if m["message"] == "" || m["message"] == nil {
		t.Errorf("v4 error lacks message: %v", m)
	}
	assertEnvelope(t, e.do("GET", "/v4/aigateway/provider-configs?modelProvider=nope", e.adminKey, nil), 400)
	var models struct {
		ModelsMap map[string]map[string][]string `json:"modelsMap"`
	}
	e.do("GET", "/v4/aigateway/provider-models", e.adminKey, nil).expect(t, 200).json(t, &models)
	want := registry.Default().Lookup("openai").Models[gateway.TypeChat]
	if got := models.ModelsMap["openai"]["llm/v1/chat"]; len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("modelsMap = %v", models.ModelsMap)
	}
}

// Conformance checklist item 48 (docs/contract/domino-aigateway.md §9).
func TestAuditDownload(t *testing.T) {
	e := newEnv(t)
	id := e.create(newEndpoint("a", "llm/v1/chat", true))["endpointId"].(string)
	e.accessEvent(gateway.Now().Add(-182*24*time.Hour), id, "a", "priya")
	e.accessEvent(gateway.Now().Add(-200*24*time.Hour), id, "a", "ancient")
	r := e.do("GET", "/v4/aigateway/audit/download?useJson=true", e.adminKey, nil).expect(t, 200)
	if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".json") {
		t.Errorf("Content-Disposition = %q", cd)
	}
	var list []auditData
	r.json(t, &list)
	kinds := map[string]int{}
	for _, ev := range list {
		kinds[ev.EventKind]++
		if ev.Metadata["accessedByUsername"] == "ancient" {
			t.Error("download reaches back further than 183 days")
		}
	}
	if len(list) == 0 || list[0].Metadata["accessedByUsername"] != "priya" || kinds[gateway.KindAccessEndpoint] != 1 ||
		kinds[gateway.KindCreateEndpoint] != 1 || kinds[gateway.KindCreateUser] != 1 {
		t.Errorf("json download (all kinds, ascending) = %+v", list)
	}
	txt := e.do("GET", "/v4/aigateway/audit/download?useJson=false", e.adminKey, nil).expect(t, 200)
	lines := strings.Split(strings.TrimSpace(string(txt.body)), "\n")
	if len(lines) != len(list) || !strings.Contains(lines[0], "AccessGatewayEndpoint endpoint=a ("+id+")") ||
		!strings.Contains(lines[0], "by=priya") || !strings.Contains(lines[0], "outcome=success status=200") {
		t.Errorf("txt download = %q", txt.body)
	}
	if cd := txt.header.Get("Content-Disposition"); !strings.Contains(cd, ".txt") {
		t.Errorf("txt Content-Disposition = %q", cd)
	}
}

// Conformance checklist item 49 (docs/contract/domino-aigateway.md §9).
func TestRequestIdOnEveryError(t *testing.T) {
	e := newEnv(t)
	_, ukey := e.user("priya")
	for _, c := range []struct {
		method, path, key string
		body              any
		status            int
	}{
		{"GET", endpointsPath, "", nil, 401},
		{"POST", endpointsPath, ukey, newEndpoint("a", "llm/v1/chat", true), 403},
		{"GET", endpointsPath + "/none", ukey, nil, 404},
		{"POST", endpointsPath, e.adminKey, "{", 400},
		{"POST", endpointsPath, e.adminKey, "[]", 400},
		{"POST", endpointsPath, e.adminKey, strings.Repeat(" ", 70<<10) + "{}", 413},
		{"GET", "/v4/aigateway/provider-configs", ukey, nil, 400},
	} {
		assertEnvelope(t, e.do(c.method, c.path, c.key, c.body), c.status)
	}
}

// Conformance checklist item 50 (docs/contract/domino-aigateway.md §9).
func TestNoCredentialValueInAnyResponse(t *testing.T) {
	e := newEnv(t)
	body := newEndpoint("b", "llm/v1/chat", true)
	body["modelProvider"] = "bedrock"
	body["modelConfig"] = map[string]any{"aws_region": "eu-west-1", "aws_access_key_id": "AKIA-SECRET-ID",
		"aws_secret_access_key": "SECRET-ACCESS", "aws_session_token": map[string]any{"secretRef": "env:AWS_SESSION_TOKEN"}}
	var seen strings.Builder
	seen.Write(e.do("POST", endpointsPath, e.adminKey, body).expect(t, 200).body)
	seen.Write(e.do("PATCH", endpointsPath+"/b", e.adminKey, map[string]any{"modelConfig": map[string]any{"aws_region": "us-east-1",
		"aws_access_key_id": gateway.SecretMask, "aws_secret_access_key": "SECRET-NEW", "aws_session_token": gateway.SecretMask}}).expect(t, 200).body)
	seen.Write(e.do("GET", endpointsPath+"/b", e.adminKey, nil).body)
	seen.Write(e.do("GET", endpointsPath, e.adminKey, nil).body)
	seen.Write(e.do("GET", "/api/aigateway/v1/audit?eventKinds=CreateGatewayEndpoint,UpdateGatewayEndpoint,DeleteGatewayEndpoint", e.adminKey, nil).body)
	e.do("DELETE", endpointsPath+"/b", e.adminKey, nil).expect(t, 200)
	seen.Write(e.do("GET", "/v4/aigateway/audit/download?useJson=true", e.adminKey, nil).body)
	seen.WriteString(e.logs.String())
	for _, secret := range []string{"AKIA-SECRET-ID", "SECRET-ACCESS", "SECRET-NEW", "AWS_SESSION_TOKEN"} {
		if strings.Contains(seen.String(), secret) {
			t.Errorf("%s appeared in a response or log", secret)
		}
	}
	var cfg map[string]string
	raw := e.do("POST", endpointsPath, e.adminKey, body).expect(t, 200).object(t)["modelConfig"]
	b, _ := json.Marshal(raw)
	json.Unmarshal(b, &cfg)
	want := map[string]string{"aws_region": "eu-west-1", "aws_access_key_id": gateway.SecretMask,
		"aws_secret_access_key": gateway.SecretMask, "aws_session_token": gateway.SecretMask}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("bedrock modelConfig = %v", cfg)
	}
	stored := e.app.Snapshot().Endpoint("b").Secrets["aws_session_token"]
	if stored.Owned || stored.Ref != "env:AWS_SESSION_TOKEN" {
		t.Errorf("secretRef stored as %+v, want an un-owned reference", stored)
	}
}

func TestDominoDocExamplesVerbatim(t *testing.T) {
	e := newEnv(t)
	create := `{"endpointName":"completions","endpointType":"llm/v1/completions","endpointPermissions":{"isEveryoneAllowed":true,"userIds":[]},"modelProvider":"openai","modelName":"gpt-4","modelConfig":{"openai_api_key":"sk-doc-example"}}`
	got := e.do("POST", endpointsPath, e.adminKey, create).expect(t, 200).object(t)
	if got["endpointName"] != "completions" || got["modelName"] != "gpt-4" {
		t.Errorf("create = %v", got)
	}
	got = e.do("PATCH", endpointsPath+"/completions", e.adminKey, `{"modelName":"gpt-3.5"}`).expect(t, 200).object(t)
	if got["modelName"] != "gpt-3.5" {
		t.Errorf("patch = %v", got)
	}
}

func TestCreateValidation(t *testing.T) {
	e := newEnv(t)
	mut := func(f func(m map[string]any)) map[string]any {
		m := newEndpoint("v", "llm/v1/chat", true)
		f(m)
		return m
	}
	for name, body := range map[string]any{
		"wrong type name":      mut(func(m map[string]any) { m["endpointName"] = 5 }),
		"unknown provider":     mut(func(m map[string]any) { m["modelProvider"] = "nope" }),
		"missing provider key": mut(func(m map[string]any) { m["modelConfig"] = map[string]any{"openai_api_base": "x"} }),
		"empty credential":     mut(func(m map[string]any) { m["modelConfig"] = map[string]any{"openai_api_key": ""} }),
		"mask on create":       mut(func(m map[string]any) { m["modelConfig"] = map[string]any{"openai_api_key": gateway.SecretMask} }),
		"array config value":   mut(func(m map[string]any) { m["modelConfig"] = map[string]any{"openai_api_key": []string{"a"}} }),
		"null config value":    mut(func(m map[string]any) { m["modelConfig"] = map[string]any{"openai_api_key": nil} }),
		"bad secretRef": mut(func(m map[string]any) {
			m["modelConfig"] = map[string]any{"openai_api_key": map[string]any{"secretRef": "file:/etc/passwd"}}
		}),
		"extra secretRef field": mut(func(m map[string]any) {
			m["modelConfig"] = map[string]any{"openai_api_key": map[string]any{"secretRef": "env:K", "x": 1}}
		}),
		"config not object":   mut(func(m map[string]any) { m["modelConfig"] = "k" }),
		"perms not object":    mut(func(m map[string]any) { m["endpointPermissions"] = true }),
		"perms lacks userIds": mut(func(m map[string]any) { m["endpointPermissions"] = map[string]any{"isEveryoneAllowed": true} }),
		"unsupported type":    mut(func(m map[string]any) { m["modelProvider"], m["endpointType"] = "anthropic", "llm/v1/embeddings" }),
		"empty model":         mut(func(m map[string]any) { m["modelName"] = " " }),
		"negative timeout":    mut(func(m map[string]any) { m["timeoutSeconds"] = -1 }),
		"fraction timeout":    mut(func(m map[string]any) { m["timeoutSeconds"] = 1.5 }),
		"misspelt rate limit": mut(func(m map[string]any) {
			m["rateLimits"] = map[string]any{"callsPerMinte": map[string]any{"endpoint": 5}}
		}),
		"negative rate limit": mut(func(m map[string]any) {
			m["rateLimits"] = map[string]any{"callsPerMinute": map[string]any{"perUser": -5}}
		}),
		"logPayloads string": mut(func(m map[string]any) { m["logPayloads"] = "yes" }),
		"trailing data":      `{"endpointName":"v"} {}`,
		"empty body":         "",
	} {
		t.Run(name, func(t *testing.T) {
			assertEnvelope(t, e.do("POST", endpointsPath, e.adminKey, body), 400)
		})
	}
	if n := len(e.app.Snapshot().Endpoints()); n != 0 || e.secretCount() != 0 {
		t.Errorf("rejected creates left %d endpoints and %d secrets", n, e.secretCount())
	}
}

func TestCreateExtensionsAndConversions(t *testing.T) {
	e := newEnv(t)
	body := newEndpoint("ext", "llm/v1/chat", true)
	body["modelConfig"] = map[string]any{"openai_api_key": map[string]any{"secretRef": "vault:secret/data/llm#openai"},
		"openai_organization": "org-1"}
	body["rateLimits"] = map[string]any{"callsPerMinute": map[string]any{"endpoint": 60, "perUser": 10}}
	body["logPayloads"] = true
	body["timeoutSeconds"] = 30
	got := e.create(body)
	cfg := got["modelConfig"].(map[string]any)
	if cfg["openai_organization"] != "org-1" || cfg["openai_api_key"] != gateway.SecretMask {
		t.Errorf("modelConfig = %v", cfg)
	}
	ep := e.app.Snapshot().Endpoint("ext")
	if ep.RateLimits.CallsPerMinute.Endpoint != 60 || ep.RateLimits.CallsPerMinute.PerUser != 10 || !ep.LogPayloads || ep.TimeoutSeconds != 30 {
		t.Errorf("extensions stored as %+v", ep)
	}
	if e.secretCount() != 0 {
		t.Error("a secretRef was copied into the secret store")
	}
	e.do("PATCH", endpointsPath+"/ext", e.adminKey, map[string]any{"timeoutSeconds": 0, "logPayloads": false,
		"rateLimits": map[string]any{}}).expect(t, 200)
	ep = e.app.Snapshot().Endpoint("ext")
	if ep.RateLimits.CallsPerMinute.Any() || ep.LogPayloads || ep.TimeoutSeconds != 0 {
		t.Errorf("extension patch not applied: %+v", ep)
	}
}

func TestPatchProviderChangeNeedsConfig(t *testing.T) {
	e := newEnv(t)
	e.create(newEndpoint("p", "llm/v1/chat", true))
	assertEnvelope(t, e.do("PATCH", endpointsPath+"/p", e.adminKey, map[string]any{"modelProvider": "anthropic"}), 400)
	got := e.do("PATCH", endpointsPath+"/p", e.adminKey, map[string]any{"modelProvider": "anthropic",
		"modelConfig": map[string]any{"anthropic_api_key": "sk-ant"}}).expect(t, 200).object(t)
	if got["modelProvider"] != "anthropic" || !reflect.DeepEqual(got["modelConfig"], map[string]any{"anthropic_api_key": gateway.SecretMask}) {
		t.Errorf("after provider change: %v", got)
	}
	if e.secretCount() != 1 {
		t.Errorf("old provider's credential not purged: %d secrets", e.secretCount())
	}
	assertEnvelope(t, e.do("PATCH", endpointsPath+"/p", e.adminKey, map[string]any{"endpointType": "llm/v1/embeddings"}), 400)
	assertEnvelope(t, e.do("PATCH", endpointsPath+"/p", e.adminKey, map[string]any{"endpointName": "bad name"}), 400)
	assertEnvelope(t, e.do("PATCH", endpointsPath+"/p", e.adminKey, map[string]any{"modelName": 7}), 400)
}

func TestTokens(t *testing.T) {
	e := newEnv(t)
	uid, ukey := e.user("priya")
	created := e.do("POST", "/api/pat/v1/tokens", ukey, map[string]any{"name": "laptop", "expiresIn": 3600}).expect(t, 200).object(t)
	token, _ := created["token"].(string)
	if !strings.HasPrefix(token, "lgk_") || created["userId"] != uid || created["isValid"] != true || created["expiresAt"] == nil {
		t.Fatalf("created = %v", created)
	}
	e.do("GET", "/api/users/v1/self", token, nil).expect(t, 200)
	list := e.do("GET", "/api/pat/v1/tokens", ukey, nil).expect(t, 200).object(t)
	if strings.Contains(fmtJSON(list), token) || len(list["tokens"].([]any)) != 2 {
		t.Fatalf("list = %v", list)
	}
	e.do("DELETE", "/api/pat/v1/tokens/"+created["patId"].(string), ukey, nil).expect(t, 200)
	assertEnvelope(t, e.do("GET", "/api/users/v1/self", token, nil), 401)

	_, okey := e.user("omar")
	mine := e.do("POST", "/api/pat/v1/tokens", ukey, map[string]any{"name": "other", "expiresIn": "90d"}).expect(t, 200).object(t)
	assertEnvelope(t, e.do("DELETE", "/api/pat/v1/tokens/"+mine["patId"].(string), okey, nil), 404)
	assertEnvelope(t, e.do("POST", "/api/pat/v1/tokens", ukey, map[string]any{"name": "x", "expiresIn": -5}), 400)
	assertEnvelope(t, e.do("POST", "/api/pat/v1/tokens", ukey, map[string]any{"expiresIn": 5}), 400)

	byAdmin := e.do("POST", "/api/pat/v1/users/"+uid+"/tokens", e.adminKey, map[string]any{"name": "ci"}).expect(t, 200).object(t)
	if byAdmin["userId"] != uid || byAdmin["expiresAt"] != nil {
		t.Errorf("admin-issued = %v", byAdmin)
	}
	adminList := e.do("GET", "/api/pat/v1/users/"+uid+"/tokens?limit=2", e.adminKey, nil).expect(t, 200).object(t)
	if adminList["metadata"].(map[string]any)["totalCount"] != 4.0 {
		t.Errorf("admin list metadata = %v", adminList["metadata"])
	}
	assertEnvelope(t, e.do("GET", "/api/pat/v1/users/0123456789abcdef01234567/tokens", e.adminKey, nil), 404)
}

func TestCreateUserRoute(t *testing.T) {
	e := newEnv(t)
	m := e.do("POST", "/api/users/v1/users", e.adminKey, map[string]any{"userName": "nina", "email": "nina@example.org",
		"firstName": "Nina", "lastName": "K"}).expect(t, 200).object(t)
	u := m["user"].(map[string]any)
	if !hex24.MatchString(u["id"].(string)) || u["fullName"] != "Nina K" || e.app.Snapshot().UserByName("nina") == nil {
		t.Errorf("created = %v", m)
	}
	assertEnvelope(t, e.do("POST", "/api/users/v1/users", e.adminKey, map[string]any{"userName": "nina"}), 400)
	assertEnvelope(t, e.do("POST", "/api/users/v1/users", e.adminKey, map[string]any{"userName": "bad name!"}), 400)
	assertEnvelope(t, e.do("POST", "/api/users/v1/users", e.adminKey, map[string]any{"email": "x@y"}), 400)
}

func fmtJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestOpenAPIDocument(t *testing.T) {
	e := newEnv(t)
	assertEnvelope(t, e.do("GET", "/api/aigateway/v1/openapi.json", "", nil), 401)
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
		Comp    struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	e.do("GET", "/api/aigateway/v1/openapi.json", e.adminKey, nil).expect(t, 200).json(t, &doc)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q", doc.OpenAPI)
	}
	wantOps := map[string]string{
		"getAllGatewayEndpoints": "get /api/aigateway/v1/endpoints", "createGatewayEndpoint": "post /api/aigateway/v1/endpoints",
		"getGatewayEndpointByName": "get /api/aigateway/v1/endpoints/{endpointName}", "updateGatewayEndpointByName": "patch /api/aigateway/v1/endpoints/{endpointName}",
		"deleteGatewayEndpointByName": "delete /api/aigateway/v1/endpoints/{endpointName}", "getGatewayEndpointPermissionsByName": "get /api/aigateway/v1/endpoints/{endpointName}/permissions",
		"updateGatewayEndpointPermissionsByName": "patch /api/aigateway/v1/endpoints/{endpointName}/permissions", "getAIGatewayAuditData": "get /api/aigateway/v1/audit",
		"getCurrentUser": "get /api/users/v1/self", "getVisibleUsers": "get /api/users/v1/users", "getUserOrgs": "get /api/organizations/v1/organizations",
		"getAllOrgs": "get /api/organizations/v1/organizations/all",
	}
	got := map[string]string{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if id, ok := op["operationId"].(string); ok {
				got[id] = method + " " + path
			}
		}
	}
	for id, where := range wantOps {
		if got[id] != where {
			t.Errorf("operation %s at %q, want %q", id, got[id], where)
		}
	}
	for _, s := range []string{"NewEndpointV1", "UpdatedEndpointV1", "EndpointEnvelopeV1", "AIGatewayEnvelopeV1", "EndpointPermissionsDtoV1",
		"UpdatedEndpointPermissionsV1", "AIGatewayAuditDataV1", "AIGatewayAuditMetadataV1", "ModelConfigV1", "FailureEnvelopeV1",
		"MetadataV1", "PaginatedMetadataV1", "UserV1", "UserEnvelopeV1", "PaginatedUserEnvelopeV1", "OrganizationV1",
		"OrganizationMemberV1", "PaginatedOrganizationEnvelopeV1"} {
		if doc.Comp.Schemas[s] == nil {
			t.Errorf("schema %s missing", s)
		}
	}
}

func TestPlainCredentialLikeValueIsStillMasked(t *testing.T) {
	e := newEnv(t)
	e.create(newEndpoint("legacy", "llm/v1/chat", true))
	ep := *e.app.Snapshot().Endpoint("legacy")
	ep.Config = map[string]string{"legacy_api_key": "PLAIN-LEAK", "openai_api_base": "https://x/v1"}
	ev := &gateway.AuditEvent{ID: gateway.NewID(), Kind: gateway.KindUpdateEndpoint, Timestamp: gateway.Now(), Metadata: map[string]string{}}
	if err := e.store.UpdateEndpoint(context.Background(), &ep, ev); err != nil {
		t.Fatal(err)
	}
	// Written behind the server's back (as an older version might have): tell it to reload.
	if err := notify.PingLocal(notify.SocketPath(e.gw.DataDir), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	cfg := e.do("GET", endpointsPath+"/legacy", e.adminKey, nil).expect(t, 200).object(t)["modelConfig"].(map[string]any)
	if cfg["legacy_api_key"] != gateway.SecretMask || cfg["openai_api_base"] != "https://x/v1" {
		t.Errorf("modelConfig = %v", cfg)
	}
}
