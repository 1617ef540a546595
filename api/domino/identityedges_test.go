package domino

import (
	"context"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/app"
)

// The identity extensions answer a client's mistakes with Domino's envelopes: unknown ids are
// 404, a bad name or a wrongly typed field is 400 saying what is wrong, unmaking the last
// administrator is 400, and none of them changes anything or records an event.
func TestIdentityExtensionsRefuseBadInputClearly(t *testing.T) {
	e := newEnv(t)
	id, _ := e.user("hal")
	lab := e.org("lab", id)
	const orgs = "/api/organizations/v1/organizations/"
	const users = "/api/users/v1/users/"
	before := e.eventCount()
	var self struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	e.do("GET", "/api/users/v1/self", e.adminKey, nil).expect(t, 200).json(t, &self)
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		says         string
	}{
		{"PATCH", users + "0123456789abcdef01234567", map[string]any{"admin": true}, 404, "not found"},
		{"PATCH", users + "not-an-id", map[string]any{"admin": true}, 404, "not found"},
		{"PATCH", users + self.User.ID, map[string]any{"admin": false}, 400, "last active administrator"},
		{"PATCH", users + id, map[string]any{"admin": 1}, 400, "admin"},
		{"PATCH", orgs + "0123456789abcdef01234567", map[string]any{"name": "x"}, 404, "not found"},
		{"PATCH", orgs + lab, map[string]any{"name": "   "}, 400, "1-256 characters"},
		{"PATCH", orgs + lab, map[string]any{"name": strings.Repeat("n", 257)}, 400, "1-256 characters"},
		{"PATCH", orgs + lab, map[string]any{"name": 7}, 400, "name"},
		{"PATCH", orgs + lab, "{not json", 400, ""},
		{"DELETE", orgs + "0123456789abcdef01234567", nil, 404, "not found"},
		{"PUT", orgs + lab + "/user", map[string]any{"userId": id, "organizationRole": "owner"}, 400, "organizationRole"},
	} {
		body := assertEnvelope(t, e.do(c.method, c.path, e.adminKey, c.body), c.status)
		if msg, _ := body["error"].(string); !strings.Contains(msg, c.says) {
			t.Errorf("%s %s: error %q, want it to mention %q", c.method, c.path, msg, c.says)
		}
	}
	if after := e.eventCount(); after != before {
		t.Fatalf("refused requests recorded %d events", after-before)
	}
}

// GET /api/users/v1/users?q= narrows to users whose username, name or email contains q in any
// case, for every caller; non-admins still never see deactivated users.
func TestListUsersSearchesNameAndEmail(t *testing.T) {
	e := newEnv(t)
	_, key := e.user("iva-search")
	e.user("jon-search")
	gone, _ := e.user("kim-search")
	if _, err := e.app.SetUserActive(context.Background(), app.CLIActor, gone, false); err != nil {
		t.Fatal(err)
	}
	e.notifyServer()
	names := func(key, q string) string {
		var out struct {
			Users []struct {
				UserName string `json:"userName"`
			} `json:"users"`
		}
		e.do("GET", "/api/users/v1/users?q="+q, key, nil).expect(t, 200).json(t, &out)
		var got []string
		for _, u := range out.Users {
			got = append(got, u.UserName)
		}
		return strings.Join(got, ",")
	}
	for _, c := range []struct{ key, q, want string }{
		{e.adminKey, "-SEARCH", "iva-search,jon-search,kim-search"},
		{key, "-search", "iva-search,jon-search"},
		{key, "J", "jon-search"}, // first names are the capitalised initial ("J")
		{e.adminKey, "nobody", ""},
	} {
		if got := names(c.key, c.q); got != c.want {
			t.Errorf("q=%q: %q, want %q", c.q, got, c.want)
		}
	}
}

// PATCH …/users/{id} takes the admin role as isAdmin too (next to isActive); admin and
// isAdmin that disagree are refused without a change.
func TestUpdateUserTakesIsAdmin(t *testing.T) {
	e := newEnv(t)
	id, _ := e.user("max")
	var got struct {
		User userV1 `json:"user"`
	}
	e.do("PATCH", "/api/users/v1/users/"+id, e.adminKey, map[string]any{"isAdmin": true}).expect(t, 200).json(t, &got)
	if len(got.User.Roles) != 1 || got.User.Roles[0] != roleAdmin {
		t.Fatalf("roles after isAdmin=true: %v", got.User.Roles)
	}
	body := assertEnvelope(t, e.do("PATCH", "/api/users/v1/users/"+id, e.adminKey, map[string]any{"isAdmin": false, "admin": true}), 400)
	if msg, _ := body["error"].(string); !strings.Contains(msg, "disagree") {
		t.Fatalf("disagreeing fields: %q", msg)
	}
	assertEnvelope(t, e.do("PATCH", "/api/users/v1/users/"+id, e.adminKey, map[string]any{"isAdmin": "no"}), 400)
	e.do("PATCH", "/api/users/v1/users/"+id, e.adminKey, map[string]any{"isAdmin": false, "admin": false}).expect(t, 200).json(t, &got)
	if got.User.Roles[0] != roleUser {
		t.Fatalf("roles after isAdmin=false: %v", got.User.Roles)
	}
	if n := len(e.auditEvents("?eventKinds=SetUserAdmin")); n != 2 {
		t.Fatalf("%d SetUserAdmin events, want 2", n)
	}
}
