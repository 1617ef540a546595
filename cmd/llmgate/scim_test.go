package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// `scim token create` prints the token once on stdout (its id on stderr), `list` shows it
// active and never the token itself, `revoke` ends it and `list` says so; an unknown id or a
// missing name is an error.
func TestSCIMTokenCommands(t *testing.T) {
	dir := t.TempDir()
	cli := func(args ...string) (string, string, int) {
		t.Helper()
		return llmgate(t, append(args, "--data-dir", dir)...)
	}
	if _, _, code := cli("users", "list", "--init"); code != 0 {
		t.Fatal("init failed")
	}
	token, errOut, code := cli("scim", "token", "create", "--name", "okta")
	token = strings.TrimSpace(token)
	if code != 0 || !strings.HasPrefix(token, "lgs_") || len(token) != 47 || !strings.Contains(errOut, "shown once") {
		t.Fatalf("create: exit %d, stdout %q, stderr %q", code, token, errOut)
	}
	out, _, _ := cli("scim", "token", "list", "-o", "json")
	var list []struct {
		ID, Name, Prefix string
		RevokedAt        *string `json:"revokedAt"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 || list[0].Name != "okta" ||
		list[0].Prefix != token[:8] || list[0].RevokedAt != nil || strings.Contains(out, token) {
		t.Fatalf("list: %s (%v)", out, err)
	}
	if out, _, code := cli("scim", "token", "revoke", list[0].ID); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: exit %d, %q", code, out)
	}
	if out, _, _ := cli("scim", "token", "list"); !strings.Contains(out, "revoked 20") {
		t.Fatalf("list after revoke:\n%s", out)
	}
	for _, args := range [][]string{{"scim", "token", "revoke", "000000000000000000000000"}, {"scim", "token", "create"}} {
		if _, errOut, code := cli(args...); code == 0 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}
