package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/internal/e2e"
)

// An identity provider provisions a user over SCIM on one replica and deprovisions them on
// another (Entra's PATCH with "False"); from that request on, every replica on the shared
// PostgreSQL refuses the user's key, which is revoked, not only shadowed by the deactivation.
func TestSCIMDeprovisioningRefusesTheKeyOnEveryReplica(t *testing.T) {
	c := startCluster(t, 3)
	token := e2e.LastLine(c.replicas[0].CLI(t, "scim", "token", "create", "--name", "entra"))
	if !strings.HasPrefix(token, "lgs_") {
		t.Fatalf("scim token create printed %q", token)
	}
	scim := func(g *e2e.Gateway, method, path, body string) *e2e.Response {
		t.Helper()
		var raw []byte
		if body != "" {
			raw = []byte(body)
		}
		r, err := e2e.Try(context.Background(), g.URL, method, "/scim/v2"+path,
			map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/scim+json"}, raw)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := scim(c.replicas[0], "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
		"userName":"leaver@example.org","active":true,"emails":[{"primary":true,"type":"work","value":"leaver@example.org"}]}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("SCIM create on replica 1: %d %s", r.Status, r.Body)
	}
	var user struct {
		ID string `json:"id"`
	}
	r.JSON(t, &user)
	key := e2e.LastLine(c.replicas[0].CLI(t, "keys", "create", "--username", "leaver@example.org"))
	c.replicas[0].CreateEndpoint(t, e2e.OpenAIEndpoint("scim-chat", c.openAIBase(), fakeupstream.DefaultKey("openai"), user.ID))
	chat := func(g *e2e.Gateway) (*e2e.Response, error) {
		return e2e.Try(context.Background(), g.URL, "POST", "/v1/chat/completions",
			map[string]string{"Authorization": "Bearer " + key}, e2e.ChatBody("scim-chat", "still here?", false))
	}
	awaitStatusEverywhere(t, c, time.Now(), "provisioning", chat, http.StatusOK)

	start := time.Now()
	r = scim(c.replicas[1], "PATCH", "/Users/"+user.ID, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations":[{"op":"Replace","path":"active","value":"False"}]}`)
	if r.Status != http.StatusOK {
		t.Fatalf("SCIM deprovisioning on replica 2: %d %s", r.Status, r.Body)
	}
	t.Logf("the deprovisioning PATCH took %v", time.Since(start).Round(time.Microsecond))
	// The replica that served the PATCH refuses the very next request; the others follow
	// through PostgreSQL's notification within the propagation budget.
	if r, err := chat(c.replicas[1]); err != nil || r.Status != http.StatusUnauthorized {
		t.Fatalf("the next request on the replica that deprovisioned: %v %v, want 401", err, statusOf(r))
	}
	awaitStatusEverywhere(t, c, start, "SCIM deprovisioning", chat, http.StatusUnauthorized)

	var keys []struct {
		Status string `json:"status"`
	}
	out := c.replicas[2].CLI(t, "keys", "list", "--username", "leaver@example.org", "--all", "-o", "json")
	if err := json.Unmarshal([]byte(out), &keys); err != nil || len(keys) != 1 || keys[0].Status != "revoked" {
		t.Fatalf("the leaver's keys: %s (%v), want the one key revoked", out, err)
	}
	kinds := map[string]int{}
	for _, ev := range c.replicas[0].ExportAudit(t) {
		if ev.Metadata["performedByUsername"] == "llmgate-scim" {
			kinds[ev.Kind]++
		}
	}
	if kinds["CreateUser"] != 1 || kinds["DeactivateUser"] != 1 || kinds["RevokeApiKey"] != 1 {
		t.Fatalf("SCIM operations in the audit trail: %v", kinds)
	}
}
