package scim_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/app"
)

// Only a live SCIM token opens /scim/v2: no credential, an API key (even the admin's), a
// made-up or a revoked token are 401 in SCIM's envelope with a Bearer challenge.
func TestSCIMTakesOnlyALiveSCIMToken(t *testing.T) {
	e := newEnv(t)
	tokens, err := e.App.ListSCIMTokens(context.Background(), app.CLIActor)
	if err != nil || len(tokens) != 1 {
		t.Fatal(tokens, err)
	}
	revoked, _, _ := e.App.CreateSCIMToken(context.Background(), app.CLIActor, "old")
	list, _ := e.App.ListSCIMTokens(context.Background(), app.CLIActor)
	if err := e.App.RevokeSCIMToken(context.Background(), app.CLIActor, list[0].ID); err != nil {
		t.Fatal(err)
	}
	for name, token := range map[string]string{"none": "", "admin API key": e.AdminKey, "made up": "lgs_" + strings.Repeat("A", 43), "revoked": revoked} {
		a := e.callAs(token, "GET", "/scim/v2/Users", "")
		a.scimError(t, http.StatusUnauthorized)
		if !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: no Bearer challenge", name)
		}
	}
	e.call("GET", "/scim/v2/ServiceProviderConfig", "").must(t, 200)
	e.callAs("", "GET", "/scim/v2/Me", "").scimError(t, http.StatusUnauthorized)
	if s := e.query(e.token); s != http.StatusUnauthorized {
		t.Fatalf("a SCIM token used as an API key: HTTP %d, want 401", s)
	}
}

// Every malformed request is a 4xx with the SCIM error type a client can act on.
func TestSCIMRefusesBadRequestsWithTheirSCIMType(t *testing.T) {
	e := newEnv(t)
	id := e.call("POST", "/scim/v2/Users", `{"userName":"ann"}`).must(t, 201).str("id")
	admin := e.App.Snapshot().UserByName("admin").ID
	cases := []struct {
		method, path, body string
		status             int
		scimType           string
	}{
		{"GET", `/scim/v2/Users?filter=userName+sw+%22a%22`, "", 400, "invalidFilter"},
		{"GET", `/scim/v2/Users?filter=title+eq+%22x%22`, "", 400, "invalidFilter"},
		{"GET", `/scim/v2/Users?count=many`, "", 400, "invalidValue"},
		{"POST", "/scim/v2/Users", `{"userName":`, 400, "invalidSyntax"},
		{"POST", "/scim/v2/Users", `{"userName":""}`, 400, "invalidValue"},
		{"POST", "/scim/v2/Users", `{"userName":"has space"}`, 400, "invalidValue"},
		{"POST", "/scim/v2/Users", `{"userName":"b","emails":[{"value":"not-an-email"}]}`, 400, "invalidValue"},
		{"POST", "/scim/v2/Users", `{"userName":"c","active":"perhaps"}`, 400, "invalidValue"},
		{"POST", "/scim/v2/Users", `{"userName":"` + strings.Repeat("x", 70<<10) + `"}`, 413, ""},
		{"PATCH", "/scim/v2/Users/" + id, `{"Operations":[{"op":"delete","path":"active"}]}`, 400, "invalidSyntax"},
		{"PATCH", "/scim/v2/Users/" + id, `{"Operations":[{"op":"remove"}]}`, 400, "invalidPath"},
		{"PATCH", "/scim/v2/Users/" + id, `{"Operations":[{"op":"replace","path":"active","value":"maybe"}]}`, 400, "invalidValue"},
		{"PATCH", "/scim/v2/Users/" + id, `{"Operations":[]}`, 400, "invalidSyntax"},
		{"PATCH", "/scim/v2/Users/nope", `{"Operations":[{"op":"replace","path":"active","value":false}]}`, 404, ""},
		{"GET", "/scim/v2/Users/nope", "", 404, ""},
		{"DELETE", "/scim/v2/Groups/nope", "", 404, ""},
		{"POST", "/scim/v2/Groups", `{"displayName":"g","members":[{"value":"nobody"}]}`, 400, "invalidValue"},
		{"POST", "/scim/v2/Groups", `{"members":[]}`, 400, "invalidValue"},
		{"POST", "/scim/v2/Bulk", `{}`, 404, ""},
		{"POST", "/scim/v2/Users", `{"userName":"d","emails":[{"value":"d\u0000@example.org"}]}`, 400, "invalidValue"},
		{"POST", "/scim/v2/Users", `{"userName":"e","externalId":"e\u0000"}`, 400, "invalidValue"},
		{"POST", "/scim/v2/Groups", `{"displayName":"g\u0000"}`, 400, "invalidValue"},
		{"PATCH", "/scim/v2/Users/" + id, `{"Operations":[{"op":"replace","path":"name.givenName","value":"\u0000"}]}`, 400, "invalidValue"},
		{"DELETE", "/scim/v2/Users/" + admin, "", 400, "invalidValue"}, // the last active administrator stays
		{"POST", "/scim/v2/Users/" + id, `{}`, 404, ""},
	}
	for _, c := range cases {
		if got := e.call(c.method, c.path, c.body).scimError(t, c.status); got != c.scimType {
			t.Errorf("%s %s %.60s: scimType %q, want %q", c.method, c.path, c.body, got, c.scimType)
		}
	}
	if s := e.query(e.AdminKey); s != http.StatusOK {
		t.Fatalf("the refused deprovisioning of the last administrator touched its key: HTTP %d", s)
	}
	req, _ := http.NewRequest("POST", e.scimURL+"/scim/v2/Users", strings.NewReader("userName=x"))
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 400 {
		t.Fatalf("a form body: %v %v", resp.Status, err)
	}
}

// startIndex is 1-based and count bounds the page; totalResults counts every match.
func TestSCIMListsPageWithStartIndexAndCount(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"p1", "p2", "p3"} {
		e.call("POST", "/scim/v2/Users", `{"userName":"`+n+`"}`).must(t, 201)
	}
	all := e.call("GET", "/scim/v2/Users", "").must(t, 200) // admin + 3
	page := e.call("GET", "/scim/v2/Users?startIndex=2&count=2", "").must(t, 200)
	if page.total() != all.total() || len(page.resources()) != 2 || page.body["startIndex"] != 2.0 || page.body["itemsPerPage"] != 2.0 ||
		page.resources()[0]["id"] != all.resources()[1]["id"] {
		t.Fatalf("page: %s\nall: %s", page.raw, all.raw)
	}
	if e.call("GET", `/scim/v2/Users?filter=externalId+eq+%22%5Cu0000%22`, "").must(t, 200).total() != 0 {
		t.Fatal("an externalId filter with NUL matched something")
	}
	if e.call("GET", "/scim/v2/Users?count=0", "").must(t, 200).total() != all.total() {
		t.Fatal("count=0 should still report totalResults")
	}
	if len(e.call("GET", "/scim/v2/Users?startIndex=-5&count=1", "").must(t, 200).resources()) != 1 {
		t.Fatal("startIndex below 1 is 1")
	}
}
