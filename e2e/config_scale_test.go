//go:build scale

package e2e

// Scale of configuration (issue 13, target 5): start-up time and memory of a gateway holding
// 10,000 endpoints, 100,000 users and 100,000 API keys, and that an admin change is still seen
// on the next request. Run with `make bench-scale` (go test -tags scale); the state is created
// through the admin operations, as the CLI would, while the gateway is stopped.

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/internal/e2e"
	"github.com/llmgate/llmgate/provider/registry"
	ratememory "github.com/llmgate/llmgate/ratelimit/memory"
	"github.com/llmgate/llmgate/secrets/local"
	"github.com/llmgate/llmgate/store/sqlite"
)

const (
	scaleUsers = 100_000
	scaleKeys  = 100_000
)

func TestStartAndMemoryAtConfigurationScale(t *testing.T) {
	dir := t.TempDir()
	g := e2e.Start(t, e2e.Options{DataDir: dir})
	g.Stop(t)
	fake := e2e.StartFake(t, fakeupstream.Options{})
	key := seedConfiguration(t, dir)
	start := time.Now()
	g = e2e.Start(t, e2e.Options{DataDir: dir, AdminKey: g.AdminKey})
	ready := time.Since(start)
	g.CreateEndpoint(t, e2e.OpenAIEndpoint("fresh-chat", fake.URL+"/v1", fakeupstream.DefaultKey("openai")))
	if r := g.Chat(t, key, "fresh-chat", "hi"); r.Status != http.StatusOK {
		t.Fatalf("a seeded user's key on an endpoint created just now: %d %s", r.Status, r.Body)
	}
	for range 200 {
		g.Chat(t, key, "fresh-chat", "warm up")
	}
	rss := rssMiB(t, g.PID())
	t.Logf("10,000 endpoints, %d users, %d keys: ready in %s, RSS after warm-up %.1f MiB", scaleUsers, scaleKeys, ready.Round(time.Millisecond), rss)
}

func rssMiB(t *testing.T, pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// seedConfiguration creates the users, their keys and the endpoints through the admin
// operations (app.App over the gateway's own database and master key, as the CLI does) and
// returns one user's key.
func seedConfiguration(t *testing.T, dir string) string {
	ctx := context.Background()
	begin := time.Now()
	a := adminApp(t, dir)
	var first string
	for i := range scaleUsers {
		u, err := a.CreateUser(ctx, app.CLIActor, app.NewUser{UserName: fmt.Sprintf("user-%06d", i), Email: fmt.Sprintf("user-%06d@example.org", i)})
		if err != nil {
			t.Fatal(err)
		}
		key, _, err := a.CreateKey(ctx, app.CLIActor, u.ID, "k", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if first == "" {
			first = key
		}
	}
	usersDone := time.Since(begin)
	for i := range scaleEndpoints {
		_, err := a.CreateEndpoint(ctx, app.CLIActor, app.EndpointInput{Name: fmt.Sprintf("scale-%05d", i), Type: gateway.TypeChat,
			Provider: "openai", Model: "gpt-4o-mini", Config: map[string]app.ConfigValue{"openai_api_key": {SecretRef: "env:SCALE_KEY"}},
			Permissions: gateway.Permissions{IsEveryoneAllowed: true}})
		if err != nil {
			t.Fatal(err)
		}
	}
	all := time.Since(begin)
	t.Logf("seeded through the admin operations in %s: %d users and keys %.0f/s, %d endpoints %.0f/s", all.Round(time.Second),
		scaleUsers, float64(2*scaleUsers)/usersDone.Seconds(), scaleEndpoints, float64(scaleEndpoints)/(all-usersDone).Seconds())
	return first
}

// adminApp opens the App the CLI would on dir's database and master key.
func adminApp(t *testing.T, dir string) *app.App {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "llmgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	keys, err := local.LoadKeyring(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	writer := audit.NewWriter(store, log)
	t.Cleanup(writer.Close)
	a, err := app.New(ctx, app.Options{Store: store, Secrets: local.New(store, keys), Providers: registry.Default(),
		Limiter: ratememory.New(), Audit: writer, AuditKeys: audit.NewDerivedKeyring(keys), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	return a
}
