package domino

import (
	"testing"
)

// PATCH /api/users/v1/users/{id} {"admin": …} makes or unmakes an administrator (their key
// manages the gateway on the next request); organizations can be renamed and deleted; all
// admin-only, audited, with Domino's envelopes for mistakes.
func TestUserAdminRoleAndOrganizationRenameDelete(t *testing.T) {
	e := newEnv(t)
	id, key := e.user("yan")
	const orgs = "/api/organizations/v1/organizations"
	e.do("PATCH", "/api/users/v1/users/"+id, key, map[string]any{"admin": true}).expect(t, 403)
	e.do("PATCH", "/api/users/v1/users/"+id, e.adminKey, map[string]any{}).expect(t, 400)
	e.do("PATCH", "/api/users/v1/users/"+id, e.adminKey, map[string]any{"admin": "yes"}).expect(t, 400)
	e.do("PATCH", "/api/users/v1/users/"+id, e.adminKey, map[string]any{"admin": true}).expect(t, 200)
	e.do("GET", orgs+"/all", key, nil).expect(t, 200) // an admin route, now open to yan
	e.do("PATCH", "/api/users/v1/users/"+id, e.adminKey, map[string]any{"admin": false, "isActive": true}).expect(t, 200)
	e.do("GET", orgs+"/all", key, nil).expect(t, 403)

	lab := e.org("lab", id)
	e.org("ops")
	e.do("PATCH", orgs+"/"+lab, key, map[string]any{"name": "research"}).expect(t, 403)
	e.do("PATCH", orgs+"/"+lab, e.adminKey, map[string]any{"name": "ops"}).expect(t, 400)
	e.do("PATCH", orgs+"/"+lab, e.adminKey, map[string]any{}).expect(t, 400)
	var got struct {
		Org struct {
			Name string `json:"name"`
		} `json:"org"`
	}
	e.do("PATCH", orgs+"/"+lab, e.adminKey, map[string]any{"name": "research"}).expect(t, 200).json(t, &got)
	if got.Org.Name != "research" {
		t.Fatalf("renamed to %q", got.Org.Name)
	}
	e.do("DELETE", orgs+"/"+lab, key, nil).expect(t, 403)
	e.do("DELETE", orgs+"/"+lab, e.adminKey, nil).expect(t, 200)
	e.do("DELETE", orgs+"/"+lab, e.adminKey, nil).expect(t, 404)
	e.do("GET", orgs+"/"+lab, e.adminKey, nil).expect(t, 404)
	for kind, want := range map[string]int{"SetUserAdmin": 2, "RenameOrganization": 1, "DeleteOrganization": 1} {
		if n := len(e.auditEvents("?eventKinds=" + kind)); n != want {
			t.Errorf("%s events: %d, want %d", kind, n, want)
		}
	}
}
