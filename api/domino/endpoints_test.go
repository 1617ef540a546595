package domino

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

const endpointsPath = "/api/aigateway/v1/endpoints"

// Conformance checklist item 01 (docs/contract/domino-aigateway.md §9).
func TestCreateReturnsEnvelope(t *testing.T) {
	e := newEnv(t)
	got := e.create(newEndpoint("policy-embed", "llm/v1/embeddings", false))
	if id, _ := got["endpointId"].(string); !hex24.MatchString(id) {
		t.Errorf("endpointId %q is not 24-hex", got["endpointId"])
	}
	cd, _ := got["creationDate"].(string)
	if _, err := time.Parse(time.RFC3339, cd); err != nil || !strings.HasSuffix(cd, "Z") {
		t.Errorf("creationDate %q is not RFC 3339 with Z", cd)
	}
	for k, want := range map[string]string{"endpointName": "policy-embed", "endpointType": "llm/v1/embeddings",
		"modelProvider": "openai", "modelName": "gpt-4o-mini"} {
		if got[k] != want {
			t.Errorf("%s = %v, want %s", k, got[k], want)
		}
	}
	if _, ok := got["endpointPermissions"]; ok {
		t.Error("EndpointEnvelopeV1 carries no permissions")
	}
}

// Conformance checklist item 02 (docs/contract/domino-aigateway.md §9).
func TestCredentialsMaskedEverywhere(t *testing.T) {
	e := newEnv(t)
	body := newEndpoint("claims-chat", "llm/v1/chat", true)
	body["modelConfig"] = map[string]any{"openai_api_key": "sk-live-VERYSECRET", "openai_api_base": "https://api.openai.com/v1"}
	r := e.do("POST", endpointsPath, e.adminKey, body).expect(t, 200)
	cfg := r.object(t)["modelConfig"].(map[string]any)
	want := map[string]any{"openai_api_key": gateway.SecretMask, "openai_api_base": "https://api.openai.com/v1"}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("modelConfig = %v, want %v", cfg, want)
	}
	// Every later read and the audit trail must not show it either.
	var seen []string
	seen = append(seen, string(r.body))
	seen = append(seen, string(e.do("GET", endpointsPath+"/claims-chat", e.adminKey, nil).body))
	seen = append(seen, string(e.do("GET", endpointsPath, e.adminKey, nil).body))
	seen = append(seen, string(e.do("GET", "/api/aigateway/v1/audit?eventKinds=CreateGatewayEndpoint", e.adminKey, nil).body))
	seen = append(seen, string(e.do("GET", "/v4/aigateway/audit/download?useJson=true", e.adminKey, nil).body))
	seen = append(seen, e.logs.String())
	for _, s := range seen {
		if strings.Contains(s, "VERYSECRET") {
			t.Fatalf("credential leaked: %s", s)
		}
	}
	stored := e.app.Snapshot().Endpoint("claims-chat")
	if _, plain := stored.Config["openai_api_key"]; plain {
		t.Error("credential stored as a plain config value")
	}
	if v, err := e.secrets.Resolve(context.Background(), stored.Secrets["openai_api_key"].Ref); err != nil || v != "sk-live-VERYSECRET" {
		t.Errorf("secret store holds %q, %v", v, err)
	}
}

// Conformance checklist item 03 (docs/contract/domino-aigateway.md §9).
func TestDuplicateNameIs400(t *testing.T) {
	e := newEnv(t)
	e.create(newEndpoint("dup", "llm/v1/chat", true))
	assertEnvelope(t, e.do("POST", endpointsPath, e.adminKey, newEndpoint("dup", "llm/v1/chat", true)), 400)
}

// Conformance checklist item 04 (docs/contract/domino-aigateway.md §9).
func TestEndpointTypes(t *testing.T) {
	e := newEnv(t)
	for i, typ := range []string{"llm/v1/chat", "llm/v1/completions", "llm/v1/embeddings"} {
		e.create(newEndpoint(fmt.Sprintf("t%d", i), typ, true))
	}
	assertEnvelope(t, e.do("POST", endpointsPath, e.adminKey, newEndpoint("img", "llm/v1/images", true)), 400)
}

// Conformance checklist item 05 (docs/contract/domino-aigateway.md §9).
func TestEachRequiredFieldMissingIs400(t *testing.T) {
	e := newEnv(t)
	for _, field := range []string{"endpointName", "endpointType", "endpointPermissions", "modelProvider", "modelName", "modelConfig"} {
		body := newEndpoint("missing-"+strings.ToLower(field), "llm/v1/chat", true)
		delete(body, field)
		m := assertEnvelope(t, e.do("POST", endpointsPath, e.adminKey, body), 400)
		if !strings.Contains(m["error"].(string), field) {
			t.Errorf("missing %s: message %q does not name it", field, m["error"])
		}
	}
	if n := len(e.app.Snapshot().Endpoints()); n != 0 {
		t.Errorf("%d endpoints created by invalid requests", n)
	}
}

// Conformance checklist item 06 (docs/contract/domino-aigateway.md §9).
func TestNameRule(t *testing.T) {
	e := newEnv(t)
	assertEnvelope(t, e.do("POST", endpointsPath, e.adminKey, newEndpoint("bad name/with space", "llm/v1/chat", true)), 400)
	assertEnvelope(t, e.do("POST", endpointsPath, e.adminKey, newEndpoint("café", "llm/v1/chat", true)), 400)
	assertEnvelope(t, e.do("POST", endpointsPath, e.adminKey, newEndpoint(strings.Repeat("a", 257), "llm/v1/chat", true)), 400)
	e.create(newEndpoint("team_a.chat-v2", "llm/v1/chat", true))
}

// Conformance checklist item 07 (docs/contract/domino-aigateway.md §9).
func TestNonAdminCreateIs403(t *testing.T) {
	e := newEnv(t)
	_, key := e.user("priya")
	assertEnvelope(t, e.do("POST", endpointsPath, key, newEndpoint("x", "llm/v1/chat", true)), 403)
	// 403 wins over a bad body: nothing about the request is looked at.
	assertEnvelope(t, e.do("POST", endpointsPath, key, "not json"), 403)
}

// Conformance checklist item 08 (docs/contract/domino-aigateway.md §9).
func TestAuthForms(t *testing.T) {
	e := newEnv(t)
	e.create(newEndpoint("a", "llm/v1/chat", true))
	for _, path := range []string{endpointsPath, endpointsPath + "/a", endpointsPath + "/nope", "/api/aigateway/v1/audit",
		"/api/aigateway/v1/anything", "/api/users/v1/self", "/v4/aigateway/provider-models"} {
		assertEnvelope(t, e.do("GET", path, "", nil), 401)
		assertEnvelope(t, e.do("GET", path, "lgk_not-a-real-key-000000000000", nil), 401)
	}
	basic := base64.StdEncoding.EncodeToString([]byte("anyone:" + e.adminKey))
	var bodies []string
	for _, h := range []map[string]string{{"X-Domino-Api-Key": e.adminKey}, {"Authorization": "Bearer " + e.adminKey},
		{"Authorization": "Basic " + basic}} {
		r := e.doHeaders("GET", endpointsPath+"/a", h, nil).expect(t, 200)
		bodies = append(bodies, string(r.body))
	}
	if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
		t.Errorf("credential forms disagree:\n%s", strings.Join(bodies, "\n"))
	}
}

// Conformance checklist item 09 (docs/contract/domino-aigateway.md §9).
func TestListShape(t *testing.T) {
	e := newEnv(t)
	e.create(newEndpoint("a", "llm/v1/chat", true))
	m := e.do("GET", endpointsPath, e.adminKey, nil).expect(t, 200).object(t)
	if _, ok := m["endpoints"].([]any); !ok {
		t.Fatalf("endpoints is not an array: %v", m)
	}
	md := m["metadata"].(map[string]any)
	if _, ok := md["requestId"].(string); !ok {
		t.Error("metadata.requestId is not a string")
	}
	if _, ok := md["notices"].([]any); !ok {
		t.Error("metadata.notices is not an array")
	}
	for _, k := range []string{"offset", "limit", "totalCount"} {
		if v, ok := md[k].(float64); !ok || v != float64(int(v)) {
			t.Errorf("metadata.%s = %v, want an integer", k, md[k])
		}
	}
}

// Conformance checklist item 10 (docs/contract/domino-aigateway.md §9).
func TestListDefaults(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 12; i++ {
		e.create(newEndpoint(fmt.Sprintf("ep%02d", i), "llm/v1/chat", true))
	}
	m := e.do("GET", endpointsPath, e.adminKey, nil).expect(t, 200).object(t)
	md := m["metadata"].(map[string]any)
	if md["offset"] != 0.0 || md["limit"] != 10.0 || md["totalCount"] != 12.0 || len(m["endpoints"].([]any)) != 10 {
		t.Errorf("defaults: metadata %v with %d endpoints", md, len(m["endpoints"].([]any)))
	}
	if p := md["pagination"].(map[string]any); p["totalCount"] != 12.0 {
		t.Errorf("pagination mirror = %v", p)
	}
	m = e.do("GET", endpointsPath+"?limit=5000", e.adminKey, nil).expect(t, 200).object(t)
	if m["metadata"].(map[string]any)["limit"] != 1000.0 {
		t.Errorf("limit not clamped to 1000: %v", m["metadata"])
	}
}

// Conformance checklist item 11 (docs/contract/domino-aigateway.md §9).
func TestSortFieldValues(t *testing.T) {
	e := newEnv(t)
	for _, f := range []string{"creationDate", "endpointName", "endpointType", "modelName", "modelProvider"} {
		e.do("GET", endpointsPath+"?sortByField="+f, e.adminKey, nil).expect(t, 200)
	}
	for _, q := range []string{"sortByField=name", "sortByField=", "shouldSortAscending=yes", "offset=-1", "offset=x",
		"limit=0", "limit=-3", "limit=1.5"} {
		assertEnvelope(t, e.do("GET", endpointsPath+"?"+q, e.adminKey, nil), 400)
	}
}

// Conformance checklist item 12 (docs/contract/domino-aigateway.md §9).
func TestDescendingReversesAscending(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"delta", "alpha", "charlie", "bravo"} {
		e.create(newEndpoint(n, "llm/v1/chat", true))
	}
	for _, field := range []string{"endpointName", "creationDate", "modelName"} {
		asc := names(e.do("GET", endpointsPath+"?sortByField="+field+"&shouldSortAscending=true", e.adminKey, nil).
			expect(t, 200).object(t)["endpoints"].([]any))
		desc := names(e.do("GET", endpointsPath+"?sortByField="+field+"&shouldSortAscending=false", e.adminKey, nil).
			expect(t, 200).object(t)["endpoints"].([]any))
		for i := range asc {
			if asc[i] != desc[len(desc)-1-i] {
				t.Fatalf("%s: desc %v is not the reverse of asc %v", field, desc, asc)
			}
		}
	}
	asc := names(e.do("GET", endpointsPath+"?sortByField=endpointName", e.adminKey, nil).object(t)["endpoints"].([]any))
	if want := []string{"alpha", "bravo", "charlie", "delta"}; !reflect.DeepEqual(asc, want) {
		t.Errorf("by name: %v, want %v", asc, want)
	}
}

// Conformance checklist item 13 (docs/contract/domino-aigateway.md §9).
func TestSearchFilter(t *testing.T) {
	e := newEnv(t)
	e.create(newEndpoint("support", "llm/v1/chat", true))
	other := newEndpoint("claims", "llm/v1/chat", true)
	other["modelProvider"], other["modelName"] = "anthropic", "claude-3-5-haiku"
	other["modelConfig"] = map[string]any{"anthropic_api_key": "k"}
	e.create(other)
	for q, want := range map[string][]string{"GPT-4O": {"support"}, "ANTHROP": {"claims"}, "CLAI": {"claims"},
		"llm/v1/CHAT": {"claims", "support"}, "": {"claims", "support"}, "zzz": nil} {
		got := names(e.do("GET", endpointsPath+"?sortByField=endpointName&searchFilter="+url.QueryEscape(q), e.adminKey, nil).
			expect(t, 200).object(t)["endpoints"].([]any))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("searchFilter=%q: %v, want %v", q, got, want)
		}
	}
}

// Conformance checklist item 14 (docs/contract/domino-aigateway.md §9).
func TestPagingVisitsEachOnce(t *testing.T) {
	e := newEnv(t)
	const n = 23
	for i := 0; i < n; i++ {
		e.create(newEndpoint(fmt.Sprintf("p%02d", (i*7)%n), "llm/v1/chat", true))
	}
	for _, sort := range []string{"creationDate", "endpointName", "modelName"} {
		seen := map[string]int{}
		for off := 0; off < n+5; off += 4 {
			list := e.do("GET", fmt.Sprintf("%s?offset=%d&limit=4&sortByField=%s", endpointsPath, off, sort), e.adminKey, nil).
				expect(t, 200).object(t)["endpoints"].([]any)
			for _, name := range names(list) {
				seen[name]++
			}
		}
		if len(seen) != n {
			t.Errorf("sort %s: visited %d distinct endpoints, want %d", sort, len(seen), n)
		}
		for name, c := range seen {
			if c != 1 {
				t.Errorf("sort %s: %s visited %d times", sort, name, c)
			}
		}
	}
}

// Conformance checklist item 15 (docs/contract/domino-aigateway.md §9).
func TestListShowsOnlyPermitted(t *testing.T) {
	e := newEnv(t)
	uid, ukey := e.user("priya")
	otherID, _ := e.user("omar")
	memberOrg := e.org("claims-team", uid)
	e.create(newEndpoint("everyone", "llm/v1/chat", true))
	e.create(newEndpoint("direct", "llm/v1/chat", false, uid))
	e.create(newEndpoint("via-org-in-userids", "llm/v1/chat", false, memberOrg))
	viaOrgs := newEndpoint("via-org-ids", "llm/v1/chat", false)
	viaOrgs["endpointPermissions"].(map[string]any)["organizationIds"] = []string{memberOrg}
	e.create(viaOrgs)
	e.create(newEndpoint("someone-else", "llm/v1/chat", false, otherID))
	e.create(newEndpoint("nobody", "llm/v1/chat", false))

	got := names(e.do("GET", endpointsPath+"?sortByField=endpointName", ukey, nil).expect(t, 200).object(t)["endpoints"].([]any))
	if want := []string{"direct", "everyone", "via-org-ids", "via-org-in-userids"}; !reflect.DeepEqual(got, want) {
		t.Errorf("user sees %v, want %v", got, want)
	}
	all := e.do("GET", endpointsPath, e.adminKey, nil).expect(t, 200).object(t)
	if all["metadata"].(map[string]any)["totalCount"] != 6.0 {
		t.Errorf("admin totalCount = %v, want 6", all["metadata"])
	}
}

// Conformance checklist item 16 (docs/contract/domino-aigateway.md §9).
func TestGetByName(t *testing.T) {
	e := newEnv(t)
	uid, ukey := e.user("priya")
	e.create(newEndpoint("mine", "llm/v1/chat", false, uid))
	e.create(newEndpoint("theirs", "llm/v1/chat", false))
	got := e.do("GET", endpointsPath+"/mine", ukey, nil).expect(t, 200).object(t)
	if got["endpointName"] != "mine" || got["modelConfig"].(map[string]any)["openai_api_key"] != gateway.SecretMask {
		t.Errorf("get = %v", got)
	}
	assertEnvelope(t, e.do("GET", endpointsPath+"/theirs", ukey, nil), 403)
	assertEnvelope(t, e.do("GET", endpointsPath+"/unknown", ukey, nil), 404)
	assertEnvelope(t, e.do("GET", endpointsPath+"/unknown", e.adminKey, nil), 404)
}

// Conformance checklist item 17 (docs/contract/domino-aigateway.md §9).
func TestNumInputTokensIgnored(t *testing.T) {
	e := newEnv(t)
	e.create(newEndpoint("a", "llm/v1/chat", true))
	plain := e.do("GET", endpointsPath+"/a", e.adminKey, nil).expect(t, 200).body
	for _, v := range []string{"abc", "12", "", "-1"} {
		r := e.do("GET", endpointsPath+"/a?numInputTokens="+url.QueryEscape(v), e.adminKey, nil).expect(t, 200)
		if string(r.body) != string(plain) {
			t.Errorf("numInputTokens=%q changed the answer: %s", v, r.body)
		}
	}
}

// Conformance checklist item 18 (docs/contract/domino-aigateway.md §9).
func TestPercentEncodedNames(t *testing.T) {
	e := newEnv(t)
	want := e.create(newEndpoint("team_a.chat-v2", "llm/v1/chat", true))["endpointId"]
	for _, path := range []string{"team_a.chat-v2", "team%5Fa%2Echat%2Dv2", "%74eam_a.chat-v2"} {
		got := e.do("GET", endpointsPath+"/"+path, e.adminKey, nil).expect(t, 200).object(t)
		if got["endpointId"] != want {
			t.Errorf("%s: endpointId %v, want %v", path, got["endpointId"], want)
		}
	}
	assertEnvelope(t, e.do("GET", endpointsPath+"/team_a%2Fchat", e.adminKey, nil), 404)
}

// Conformance checklist item 19 (docs/contract/domino-aigateway.md §9).
func TestPatchModelName(t *testing.T) {
	e := newEnv(t)
	before := e.create(newEndpoint("support-chat", "llm/v1/chat", true))
	after := e.do("PATCH", endpointsPath+"/support-chat", e.adminKey, map[string]any{"modelName": "x"}).expect(t, 200).object(t)
	if after["modelName"] != "x" {
		t.Errorf("modelName = %v", after["modelName"])
	}
	for _, k := range []string{"endpointId", "endpointName", "endpointType", "modelProvider", "modelConfig", "creationDate"} {
		if !reflect.DeepEqual(before[k], after[k]) {
			t.Errorf("%s changed: %v -> %v", k, before[k], after[k])
		}
	}
}

// Conformance checklist item 20 (docs/contract/domino-aigateway.md §9).
func TestRename(t *testing.T) {
	e := newEnv(t)
	id := e.create(newEndpoint("old", "llm/v1/chat", true))["endpointId"]
	e.do("PATCH", endpointsPath+"/old", e.adminKey, map[string]any{"endpointName": "new"}).expect(t, 200)
	assertEnvelope(t, e.do("GET", endpointsPath+"/old", e.adminKey, nil), 404)
	if got := e.do("GET", endpointsPath+"/new", e.adminKey, nil).expect(t, 200).object(t); got["endpointId"] != id {
		t.Errorf("renamed endpoint has id %v, want %v", got["endpointId"], id)
	}
	if e.app.Snapshot().Endpoint("new") == nil {
		t.Error("the MLflow surface's snapshot does not know the new name")
	}
}

// Conformance checklist item 21 (docs/contract/domino-aigateway.md §9).
func TestRenameOntoTakenNameIs400(t *testing.T) {
	e := newEnv(t)
	e.create(newEndpoint("a", "llm/v1/chat", true))
	before := e.create(newEndpoint("b", "llm/v1/chat", true))
	assertEnvelope(t, e.do("PATCH", endpointsPath+"/b", e.adminKey, map[string]any{"endpointName": "a", "modelName": "changed"}), 400)
	after := e.do("GET", endpointsPath+"/b", e.adminKey, nil).expect(t, 200).object(t)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("failed rename changed the endpoint: %v -> %v", before, after)
	}
}

// Conformance checklist item 22 (docs/contract/domino-aigateway.md §9).
func TestMaskKeepsSecretNewValueReplacesOthersStay(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.create(newEndpoint("s", "llm/v1/chat", true))
	original := e.app.Snapshot().Endpoint("s").Secrets["openai_api_key"]
	e.do("PATCH", endpointsPath+"/s", e.adminKey, map[string]any{"modelConfig": map[string]any{
		"openai_api_key": gateway.SecretMask, "openai_organization": "org-1"}}).expect(t, 200)
	kept := e.app.Snapshot().Endpoint("s")
	if kept.Secrets["openai_api_key"] != original || kept.Config["openai_organization"] != "org-1" {
		t.Fatalf("mask did not keep the secret: %+v", kept)
	}
	if v, _ := e.secrets.Resolve(ctx, original.Ref); v != "sk-test-s-SECRETVALUE" {
		t.Errorf("kept credential resolves to %q", v)
	}
	e.do("PATCH", endpointsPath+"/s", e.adminKey, map[string]any{"modelConfig": map[string]any{"openai_api_key": "sk-NEW"}}).expect(t, 200)
	replaced := e.app.Snapshot().Endpoint("s")
	if v, _ := e.secrets.Resolve(ctx, replaced.Secrets["openai_api_key"].Ref); v != "sk-NEW" {
		t.Errorf("new credential resolves to %q", v)
	}
	if _, err := e.secrets.Resolve(ctx, original.Ref); err == nil {
		t.Error("replaced credential still in the secret store")
	}
	if replaced.Config["openai_organization"] != "org-1" {
		t.Error("modelConfig patch did not merge into the stored map")
	}
	if e.secretCount() != 1 {
		t.Errorf("secret store holds %d values, want 1", e.secretCount())
	}
}

// Conformance checklist item 23 (docs/contract/domino-aigateway.md §9).
func TestEmptyPatchForbiddenUnknown(t *testing.T) {
	e := newEnv(t)
	_, ukey := e.user("priya")
	before := e.create(newEndpoint("a", "llm/v1/chat", true))
	events := e.eventCount()
	after := e.do("PATCH", endpointsPath+"/a", e.adminKey, map[string]any{}).expect(t, 200).object(t)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("PATCH {} changed the endpoint: %v -> %v", before, after)
	}
	if e.eventCount() != events {
		t.Error("PATCH {} recorded an event")
	}
	assertEnvelope(t, e.do("PATCH", endpointsPath+"/a", ukey, map[string]any{"modelName": "y"}), 403)
	assertEnvelope(t, e.do("PATCH", endpointsPath+"/unknown-one", ukey, map[string]any{"modelName": "y"}), 403)
	assertEnvelope(t, e.do("PATCH", endpointsPath+"/unknown", e.adminKey, map[string]any{"modelName": "y"}), 404)
	assertEnvelope(t, e.do("PATCH", endpointsPath+"/unknown", e.adminKey, "[1]"), 404)
}

// Conformance checklist item 24 (docs/contract/domino-aigateway.md §9).
func TestDeleteRemovesEverywhere(t *testing.T) {
	e := newEnv(t)
	_, ukey := e.user("priya")
	e.create(newEndpoint("gone", "llm/v1/chat", true))
	r := e.do("DELETE", endpointsPath+"/gone", e.adminKey, nil).expect(t, 200)
	if len(r.body) != 0 {
		t.Errorf("delete body = %q, want empty", r.body)
	}
	assertEnvelope(t, e.do("GET", endpointsPath+"/gone", e.adminKey, nil), 404)
	assertEnvelope(t, e.do("GET", endpointsPath+"/gone/permissions", e.adminKey, nil), 404)
	assertEnvelope(t, e.do("DELETE", endpointsPath+"/gone", e.adminKey, nil), 404)
	if got := e.do("GET", endpointsPath, ukey, nil).object(t)["endpoints"].([]any); len(got) != 0 {
		t.Errorf("deleted endpoint still listed: %v", got)
	}
	if e.app.Snapshot().Endpoint("gone") != nil {
		t.Error("the MLflow surface's snapshot still has the endpoint")
	}
	if e.secretCount() != 0 {
		t.Errorf("delete left %d credentials in the secret store", e.secretCount())
	}
	assertEnvelope(t, e.do("DELETE", endpointsPath+"/gone", ukey, nil), 403)
}

// Conformance checklist item 25 (docs/contract/domino-aigateway.md §9).
func TestNameReusableAfterDelete(t *testing.T) {
	e := newEnv(t)
	first := e.create(newEndpoint("reuse", "llm/v1/chat", true))["endpointId"]
	e.do("DELETE", endpointsPath+"/reuse", e.adminKey, nil).expect(t, 200)
	second := e.create(newEndpoint("reuse", "llm/v1/chat", true))["endpointId"]
	if first == second {
		t.Errorf("re-created endpoint reused id %v", first)
	}
}
