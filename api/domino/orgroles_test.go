package domino

import "testing"

// PUT …/organizations/{id}/user with a member's new role changes it and records one
// ChangeOrganizationMemberRole event; putting the same role again records nothing.
func TestPutOrgUserChangesARoleAndAuditsIt(t *testing.T) {
	e := newEnv(t)
	id, _ := e.user("gil")
	lab := e.org("lab", id)
	path := "/api/organizations/v1/organizations/" + lab + "/user"
	for range 2 {
		var got struct {
			Org organizationV1 `json:"org"`
		}
		e.do("PUT", path, e.adminKey, map[string]any{"userId": id, "organizationRole": "admin"}).expect(t, 200).json(t, &got)
		if len(got.Org.Members) != 1 || got.Org.Members[0].Role != "admin" {
			t.Fatalf("members after the role change = %+v", got.Org.Members)
		}
	}
	evs := e.auditEvents("?eventKinds=ChangeOrganizationMemberRole")
	if len(evs) != 1 {
		t.Fatalf("%d role-change events, want 1: %v", len(evs), evs)
	}
	if added := e.auditEvents("?eventKinds=AddOrganizationMember"); len(added) != 0 {
		t.Fatalf("a role change was recorded as an addition: %v", added)
	}
}
