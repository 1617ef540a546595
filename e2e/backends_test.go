package e2e

import (
	"strings"
	"testing"

	"github.com/llmgate/llmgate/internal/e2e"
)

// onEveryBackend runs test as a subtest per database llmgate supports (e2e.Backends), so
// one test body proves a behaviour on SQLite and PostgreSQL alike.
func onEveryBackend(t *testing.T, test func(t *testing.T, b e2e.Backend)) {
	for _, b := range e2e.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { test(t, b) })
	}
}

// TestBackendsAreWhatTheyClaimAndIsolated guards the helper every other test relies on: a
// "postgres" backend really runs the gateway on PostgreSQL, and two calls never share a
// database (the same user name can be created in each).
func TestBackendsAreWhatTheyClaimAndIsolated(t *testing.T) {
	first, second := e2e.Backends(t), e2e.Backends(t)
	if len(first) != len(second) || first[0].Name != "sqlite" {
		t.Fatalf("backends %v and %v", first, second)
	}
	for i := range first {
		t.Run(first[i].Name, func(t *testing.T) {
			for _, b := range []e2e.Backend{first[i], second[i]} {
				g := e2e.Start(t, b.Options())
				if want := `"database":"` + b.Name + `"`; !strings.Contains(g.Logs(), want) {
					t.Fatalf("ready line does not say %s:\n%s", want, g.Logs())
				}
				g.CreateUser(t, "same-name", false)
			}
		})
	}
}
