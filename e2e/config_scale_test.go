//go:build scale

package e2e

// Scale of configuration (issue 13, target 5): start-up time and memory of a gateway holding
// 10,000 endpoints, 100,000 users and 100,000 API keys, and that an admin change is still seen
// on the next request. Run with `make bench-scale` (go test -tags scale); the state is written
// straight into the SQLite file (the admin operations would take far longer to create it).

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/internal/e2e"
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

// seedConfiguration writes the users, keys and endpoints and returns one user's key.
func seedConfiguration(t *testing.T, dir string) string {
	ctx := context.Background()
	begin := time.Now()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "llmgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ev := func() *gateway.AuditEvent {
		return &gateway.AuditEvent{ID: gateway.NewID(), Kind: gateway.KindCreateUser, Timestamp: gateway.Now(), Metadata: map[string]string{}}
	}
	var first string
	for i := range scaleUsers {
		u := &gateway.User{ID: gateway.NewID(), UserName: fmt.Sprintf("user-%06d", i), Email: fmt.Sprintf("user-%06d@example.org", i), CreatedAt: gateway.Now()}
		if err := store.CreateUser(ctx, u, ev()); err != nil {
			t.Fatal(err)
		}
		secret := fmt.Sprintf("lgk_scale_%06d_%s", i, gateway.NewID())
		h := gateway.HashKey(secret)
		k := &gateway.APIKey{ID: gateway.NewID(), UserID: u.ID, Name: "k", Hash: h[:], Prefix: secret[:8], CreatedAt: gateway.Now()}
		if err := store.CreateKey(ctx, k, ev()); err != nil {
			t.Fatal(err)
		}
		if first == "" {
			first = secret
		}
	}
	for i := range scaleEndpoints {
		e := &gateway.Endpoint{ID: gateway.NewID(), Name: fmt.Sprintf("scale-%05d", i), Type: gateway.TypeChat, Provider: "openai",
			Model: "gpt-4o-mini", Config: map[string]string{}, Secrets: map[string]gateway.SecretRef{"openai_api_key": {Ref: "env:SCALE_KEY"}},
			Permissions: gateway.Permissions{IsEveryoneAllowed: true}, CreatedAt: gateway.Now(), UpdatedAt: gateway.Now()}
		if err := store.CreateEndpoint(ctx, e, ev()); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("seeded in %s", time.Since(begin).Round(time.Second))
	return first
}
