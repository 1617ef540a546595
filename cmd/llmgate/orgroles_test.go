package main

import (
	"strings"
	"testing"
)

// `orgs set-role` changes an existing member's role (one ChangeOrganizationMemberRole event)
// and refuses a user who is not a member, a missing --role and an unknown role, each with a
// message and exit code 1 or 2, changing nothing.
func TestOrgsSetRoleChangesAMembersRole(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (string, string, int) {
		t.Helper()
		return llmgate(t, append(args, "--data-dir", dir)...)
	}
	cli := func(args ...string) string {
		t.Helper()
		out, errOut, code := run(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	cli("users", "create", "--init", "--username", "root", "--admin")
	cli("users", "create", "--username", "dee")
	cli("users", "create", "--username", "eli")
	cli("orgs", "create", "--name", "lab")
	cli("orgs", "add-member", "--name", "lab", "--username", "dee")

	if out := cli("orgs", "set-role", "--name", "lab", "--username", "dee", "--role", "admin"); !strings.Contains(out, "dee is admin of lab") {
		t.Fatalf("set-role: %q", out)
	}
	if out := cli("orgs", "show", "lab"); !strings.Contains(out, "dee (admin)") {
		t.Fatalf("orgs show after set-role:\n%s", out)
	}
	for _, bad := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--username", "eli", "--role", "admin"}, 1, "eli is not a member of lab"},
		{[]string{"--username", "dee"}, 1, "--role is required"},
		{[]string{"--username", "dee", "--role", "owner"}, 2, "must be one of: member, admin"},
	} {
		_, errOut, code := run(append([]string{"orgs", "set-role", "--name", "lab"}, bad.args...)...)
		if code != bad.code || !strings.Contains(errOut, bad.says) {
			t.Errorf("set-role %v: exit %d %q, want exit %d saying %q", bad.args, code, errOut, bad.code, bad.says)
		}
	}
	if out := cli("orgs", "show", "lab"); !strings.Contains(out, "dee (admin)") || strings.Contains(out, "eli") {
		t.Fatalf("a refused set-role changed the organization:\n%s", out)
	}
	out := cli("audit", "export", "--kind", "ChangeOrganizationMemberRole")
	if strings.Count(out, "ChangeOrganizationMemberRole") != 1 || !strings.Contains(out, `"previousRole":"member"`) {
		t.Fatalf("role change audit:\n%s", out)
	}
}
