package e2e

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/internal/e2e"
)

// Deactivating a user (CLI or API) refuses every key of theirs on the very next request, on
// the gateway routes and the admin API alike; the change is audited; reactivation restores
// the same keys (issue 10, "deactivation of users").
func TestUserDeactivationRefusesTheirKeysAtOnce(t *testing.T) {
	fake := e2e.StartFake(t, fakeupstream.Options{})
	for _, b := range e2e.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			g := e2e.Start(t, b.Options())
			annID, annKey := g.CreateUser(t, "ann", false)
			_, bobKey := g.CreateUser(t, "bob", false)
			g.CreateEndpoint(t, e2e.OpenAIEndpoint("chat", fake.URL+"/v1", fakeupstream.DefaultKey("openai")))
			works := func(key string, want int) {
				t.Helper()
				if r := g.Chat(t, key, "chat", "hello"); r.Status != want {
					t.Fatalf("chat: %d %s, want %d", r.Status, r.Body, want)
				}
				if r := g.Do(t, "GET", "/api/users/v1/self", key, nil); r.Status != want {
					t.Fatalf("self: %d %s, want %d", r.Status, r.Body, want)
				}
			}
			works(annKey, http.StatusOK)

			g.CLI(t, "users", "deactivate", "--username", "ann")
			works(annKey, http.StatusUnauthorized)
			works(bobKey, http.StatusOK)
			g.CLI(t, "users", "reactivate", "--username", "ann")
			works(annKey, http.StatusOK)

			path := "/api/users/v1/users/" + annID
			if r := g.Do(t, "PATCH", path, bobKey, map[string]any{"isActive": false}); r.Status != http.StatusForbidden {
				t.Fatalf("non-admin deactivation: %d %s", r.Status, r.Body)
			}
			if r := g.Do(t, "PATCH", path, g.AdminKey, map[string]any{"isActive": false}); r.Status != http.StatusOK {
				t.Fatalf("admin deactivation: %d %s", r.Status, r.Body)
			}
			works(annKey, http.StatusUnauthorized)
			listed := func(key string) map[string]bool {
				var list struct {
					Users []struct {
						UserName string `json:"userName"`
						IsActive bool   `json:"isActive"`
					} `json:"users"`
				}
				if err := json.Unmarshal(g.Do(t, "GET", "/api/users/v1/users?limit=100", key, nil).Body, &list); err != nil {
					t.Fatal(err)
				}
				out := map[string]bool{}
				for _, u := range list.Users {
					out[u.UserName] = u.IsActive
				}
				return out
			}
			if active, seen := listed(bobKey)["ann"]; seen {
				t.Fatalf("a user sees a deactivated user in the list (isActive=%v)", active)
			}
			if active, seen := listed(g.AdminKey)["ann"]; !seen || active {
				t.Fatalf("admin list: ann seen=%v isActive=%v, want listed as inactive", seen, active)
			}
			if _, _, code := g.RunCLI(t, "keys", "create", "--username", "ann"); code == 0 {
				t.Fatal("a key was created for a deactivated user")
			}
			if r := g.Do(t, "PATCH", path, g.AdminKey, map[string]any{"isActive": "no"}); r.Status != http.StatusBadRequest {
				t.Fatalf("isActive as a string: %d %s", r.Status, r.Body)
			}
			if r := g.Do(t, "PATCH", "/api/users/v1/users/0123456789abcdef01234567", g.AdminKey, map[string]any{"isActive": false}); r.Status != http.StatusNotFound {
				t.Fatalf("unknown user: %d %s", r.Status, r.Body)
			}
			var self struct {
				User struct{ ID string } `json:"user"`
			}
			if err := json.Unmarshal(g.Do(t, "GET", "/api/users/v1/self", g.AdminKey, nil).Body, &self); err != nil {
				t.Fatal(err)
			}
			adminID := self.User.ID
			if r := g.Do(t, "PATCH", "/api/users/v1/users/"+adminID, g.AdminKey, map[string]any{"isActive": false}); r.Status != http.StatusBadRequest {
				t.Fatalf("deactivating the last admin: %d %s", r.Status, r.Body)
			}
			if r := g.Do(t, "PATCH", path, g.AdminKey, map[string]any{"isActive": true}); r.Status != http.StatusOK {
				t.Fatalf("admin reactivation: %d %s", r.Status, r.Body)
			}
			works(annKey, http.StatusOK)

			var kinds []string
			for _, ev := range g.ExportAudit(t, "--kind", "DeactivateUser", "--kind", "ReactivateUser") {
				if ev.Metadata["userId"] != annID || ev.Metadata["userName"] != "ann" {
					t.Fatalf("event names another user: %+v", ev)
				}
				kinds = append(kinds, ev.Kind+"/"+ev.Metadata["api"])
			}
			want := []string{"DeactivateUser/cli", "ReactivateUser/cli", "DeactivateUser/domino", "ReactivateUser/domino"}
			if len(kinds) != len(want) {
				t.Fatalf("audit events %v, want %v", kinds, want)
			}
			for i := range want {
				if kinds[i] != want[i] {
					t.Fatalf("audit events %v, want %v", kinds, want)
				}
			}
		})
	}
}
