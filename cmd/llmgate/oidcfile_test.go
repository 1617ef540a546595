package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The providers file is checked when the settings are read: unknown keys, bad or repeated names,
// a missing client id and a bad group mapping each name the problem.
func TestProvidersFileIsCheckedNamingTheProblem(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "p.yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("providers:\n  - name: corp\n    issuer: https://idp.example\n    clientId: gw\n    groupMap: {ml: 'research:admin'}\n")
	entries, err := readProvidersFile(good)
	if err != nil || len(entries) != 1 {
		t.Fatalf("good file: %v %v", entries, err)
	}
	if m, _ := entries[0].mapping(); len(m.Orgs) != 1 || m.Orgs[0].Org != "research" || m.Orgs[0].Role != "admin" {
		t.Fatalf("mapping %+v", m)
	}
	for body, want := range map[string]string{
		"providers:\n  - name: corp\n    issuer: https://idp.example\n    clientId: gw\n    colour: red\n":                                       "colour",
		"providers:\n  - name: Corp!\n    issuer: https://idp.example\n    clientId: gw\n":                                                       "name",
		"providers:\n  - name: a\n    issuer: https://i.example\n    clientId: x\n  - name: a\n    issuer: https://j.example\n    clientId: y\n": "twice",
		"providers:\n  - name: a\n    issuer: https://i.example\n":                                                                               "clientId",
		"providers:\n  - name: a\n    issuer: ftp://i.example\n    clientId: x\n":                                                                "issuer",
		"providers:\n  - name: a\n    issuer: https://i.example\n    clientId: x\n    groupMap: {ml: 'research:owner'}\n":                        "groupMap",
	} {
		if _, err := readProvidersFile(write(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want one naming %s", body, err, want)
		}
	}
}
