package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/internal/e2e"
)

// audit export --user U --endpoint E lists exactly the requests U made on E (issue 5).
func TestAuditExportByUserAndEndpointShowsExactlyThoseRequests(t *testing.T) {
	fake := e2e.StartFake(t, fakeupstream.Options{})
	for _, b := range e2e.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			g := e2e.Start(t, b.Options())
			_, annKey := g.CreateUser(t, "ann", false)
			_, bobKey := g.CreateUser(t, "bob", false)
			key := fakeupstream.DefaultKey("openai")
			g.CreateEndpoint(t, e2e.OpenAIEndpoint("chat-a", fake.URL+"/v1", key))
			g.CreateEndpoint(t, e2e.OpenAIEndpoint("chat-b", fake.URL+"/v1", key))

			want := map[string]bool{}
			for i, call := range []struct{ key, endpoint string }{
				{annKey, "chat-a"}, {bobKey, "chat-a"}, {annKey, "chat-b"}, {annKey, "chat-a"}, {bobKey, "chat-b"},
			} {
				r := g.Chat(t, call.key, call.endpoint, "hello")
				if r.Status != http.StatusOK {
					t.Fatalf("call %d: %d %s", i, r.Status, r.Body)
				}
				if call.key == annKey && call.endpoint == "chat-a" {
					want[r.Header.Get("X-Request-Id")] = true
				}
			}
			events := g.ExportAudit(t, "--user", "ann", "--endpoint", "chat-a")
			got := map[string]bool{}
			for _, ev := range events {
				if ev.Kind != "AccessGatewayEndpoint" || ev.Metadata["accessedByUsername"] != "ann" || ev.Metadata["endpointName"] != "chat-a" {
					t.Fatalf("export returned a foreign event: %+v", ev)
				}
				got[ev.Metadata["requestId"]] = true
			}
			if len(got) != len(want) || len(events) != len(want) {
				t.Fatalf("export has %d events (%d ids), want exactly %d", len(events), len(got), len(want))
			}
			for id := range want {
				if !got[id] {
					t.Fatalf("request %s missing from export", id)
				}
			}
			csv := g.CLI(t, "audit", "export", "--format", "csv", "--user", "ann", "--endpoint", "chat-a")
			if lines := strings.Count(strings.TrimSpace(csv), "\n"); lines != len(want) { // header + one row each
				t.Fatalf("csv export has %d data rows, want %d:\n%s", lines, len(want), csv)
			}
		})
	}
}

// import-mlflow creates endpoints from MLflow 2.x and 3.x gateway YAML, resolving $VAR keys.
func TestImportMLflowConfigsThenQueryThem(t *testing.T) {
	fake := e2e.StartFake(t, fakeupstream.Options{})
	g := e2e.Start(t, e2e.Options{Env: []string{"FAKE_OPENAI_KEY=" + fakeupstream.DefaultKey("openai")}})
	_, key := g.CreateUser(t, "carol", false)
	dir := t.TempDir()
	v2 := filepath.Join(dir, "v2.yaml")
	writeFile(t, v2, `
routes:
  - name: imported-chat
    route_type: llm/v1/chat
    model:
      provider: openai
      name: gpt-4o-mini
      config:
        openai_api_key: $FAKE_OPENAI_KEY
        openai_api_base: `+fake.URL+`/v1
    limit:
      renewal_period: minute
      calls: 10
`)
	v3 := filepath.Join(dir, "v3.yaml")
	writeFile(t, v3, `
endpoints:
  - name: imported-embed
    endpoint_type: llm/v1/embeddings
    model: {provider: openai, name: text-embedding-3-small, config: {openai_api_key: $FAKE_OPENAI_KEY, openai_api_base: "`+fake.URL+`/v1"}}
routes:
  - name: split
    task_type: llm/v1/embeddings
    destinations: [{name: imported-embed, traffic_percentage: 100}]
`)
	for _, f := range []string{v2, v3} {
		out := g.CLI(t, "import-mlflow", f)
		if !strings.Contains(out, "created endpoint imported-") {
			t.Fatalf("import %s printed %q", f, out)
		}
	}
	// Imported endpoints are admin-only until granted; grant carol and query both.
	for _, name := range []string{"imported-chat", "imported-embed"} {
		r := g.Do(t, "PATCH", "/api/aigateway/v1/endpoints/"+name+"/permissions", g.AdminKey, map[string]any{"isEveryoneAllowed": true})
		if r.Status != 200 {
			t.Fatalf("granting %s: %d %s", name, r.Status, r.Body)
		}
	}
	if r := g.Chat(t, key, "imported-chat", "hi"); r.Status != 200 {
		t.Fatalf("querying imported chat endpoint: %d %s", r.Status, r.Body)
	}
	r := e2e.Do(t, g.URL, "POST", "/endpoints/imported-embed/invocations", map[string]string{"Authorization": "Bearer " + key}, `{"input": ["a", "b"]}`)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"embedding"`) {
		t.Fatalf("querying imported embeddings endpoint: %d %s", r.Status, r.Body)
	}
	// The stored credential reached the fake; the YAML's $VAR form never did.
	for _, req := range fake.Requests() {
		if req.Credential != fakeupstream.DefaultKey("openai") {
			t.Fatalf("fake received credential %q", req.Credential)
		}
	}
	// A missing variable is refused naming it, and nothing is created.
	bad := filepath.Join(dir, "bad.yaml")
	writeFile(t, bad, "endpoints:\n  - name: never\n    endpoint_type: llm/v1/chat\n    model: {provider: openai, name: x, config: {openai_api_key: $NOT_SET_ANYWHERE}}\n")
	_, stderr, code := g.RunCLI(t, "import-mlflow", bad)
	if code == 0 || !strings.Contains(stderr, "NOT_SET_ANYWHERE") {
		t.Fatalf("import with an unset variable: exit %d, %s", code, stderr)
	}
	if r := g.Do(t, "GET", "/api/aigateway/v1/endpoints/never", g.AdminKey, nil); r.Status != 404 {
		t.Fatalf("failed import created an endpoint: %d", r.Status)
	}
}

// secrets rotate-master-key re-wraps while serve runs; stored credentials keep working.
func TestMasterKeyRotationWhileServing(t *testing.T) {
	fake := e2e.StartFake(t, fakeupstream.Options{})
	g := e2e.Start(t, e2e.Options{Env: []string{"LLMGATE_MASTER_KEY="}})
	_, key := g.CreateUser(t, "dana", false)
	g.CreateEndpoint(t, e2e.OpenAIEndpoint("rotating", fake.URL+"/v1", fakeupstream.DefaultKey("openai")))
	if r := g.Chat(t, key, "rotating", "before"); r.Status != 200 {
		t.Fatalf("before rotation: %d %s", r.Status, r.Body)
	}
	before, _ := os.ReadFile(filepath.Join(g.DataDir, "master.key"))
	out := g.CLI(t, "secrets", "rotate-master-key")
	if !strings.Contains(out, "1 secrets re-wrapped") {
		t.Fatalf("rotation printed %q", out)
	}
	after, _ := os.ReadFile(filepath.Join(g.DataDir, "master.key"))
	if string(before) == string(after) {
		t.Fatalf("master key file unchanged by rotation")
	}
	// A new endpoint created after the rotation and the old one both resolve.
	g.CreateEndpoint(t, e2e.OpenAIEndpoint("rotated", fake.URL+"/v1", fakeupstream.DefaultKey("openai")))
	for _, ep := range []string{"rotating", "rotated"} {
		if r := g.Chat(t, key, ep, "after"); r.Status != 200 {
			t.Fatalf("%s after rotation: %d %s", ep, r.Status, r.Body)
		}
	}
	// And after a restart, which only has the key file to go by.
	g.Stop(t)
	g2 := e2e.Start(t, e2e.Options{DataDir: g.DataDir, Env: []string{"LLMGATE_MASTER_KEY="}})
	if r := g2.Chat(t, key, "rotating", "restarted"); r.Status != 200 {
		t.Fatalf("after restart: %d %s", r.Status, r.Body)
	}
}

// Organizations made with the CLI grant access through organizationIds.
func TestOrgCreatedWithCLIGrantsAccess(t *testing.T) {
	fake := e2e.StartFake(t, fakeupstream.Options{})
	g := e2e.Start(t, e2e.Options{})
	_, key := g.CreateUser(t, "erin", false)
	orgID := e2e.LastLine(g.CLI(t, "orgs", "create", "--name", "research"))
	body := e2e.OpenAIEndpoint("org-only", fake.URL+"/v1", fakeupstream.DefaultKey("openai"))
	body["endpointPermissions"] = map[string]any{"isEveryoneAllowed": false, "userIds": []string{}, "organizationIds": []string{orgID}}
	g.CreateEndpoint(t, body)
	if r := g.Chat(t, key, "org-only", "hi"); r.Status != http.StatusForbidden {
		t.Fatalf("before joining: %d, want 403", r.Status)
	}
	g.CLI(t, "orgs", "add-member", "--name", "research", "--username", "erin")
	if r := g.Chat(t, key, "org-only", "hi"); r.Status != http.StatusOK {
		t.Fatalf("after joining: %d %s", r.Status, r.Body)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
