//go:build scale

package e2e

// Scale of configuration (issue 13, target 5): start-up time and memory of a gateway holding
// 10,000 endpoints, 100,000 users and 100,000 API keys, that an admin change is still seen on
// the next request, its CPU per query against a small gateway's (config_cpu_test.go), and
// (SCALE_SOAK=20m) that RSS stays flat under steady load. Run with `make bench-scale` (go test
// -tags scale); the state is created through the admin operations, as the CLI would, while the
// gateway is stopped. SCALE_DIR keeps the seeded data directory
// between runs (seeding takes minutes); a directory seeded before is reused as it is.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/internal/e2e"
	"github.com/llmgate/llmgate/internal/procstat"
	"github.com/llmgate/llmgate/provider/registry"
	ratememory "github.com/llmgate/llmgate/ratelimit/memory"
	"github.com/llmgate/llmgate/secrets/local"
	"github.com/llmgate/llmgate/store/sqlite"
)

const (
	scaleUsers = 100_000
	scaleKeys  = 100_000
	// Targets of issue 13 item 5.
	scaleMaxRSSMiB = 60
	scaleMaxReady  = 2 * time.Second
	// soakCallers send the soak's queries (enough to keep its rate on a busy machine);
	// sampleKeys is how many users' keys it spreads them over.
	soakCallers = 8
	sampleKeys  = 1000
)

// scaleSeed is what a seeded data directory needs to be used again: the admin key the
// gateway was first started with and a sample of users' keys.
type scaleSeed struct {
	AdminKey string   `json:"adminKey"`
	Keys     []string `json:"keys"`
}

func TestStartAndMemoryAtConfigurationScale(t *testing.T) {
	dir, seed := seededScaleDir(t)
	fake := e2e.StartFake(t, fakeupstream.Options{})
	start := time.Now()
	var extra []string
	if addr := os.Getenv("SCALE_DEBUG_ADDR"); addr != "" { // pprof, to look inside a soak
		extra = []string{"--debug-addr", addr}
	}
	g := e2e.Start(t, e2e.Options{DataDir: dir, AdminKey: seed.AdminKey, ExtraArgs: extra})
	ready := time.Since(start)
	name := fmt.Sprintf("fresh-chat-%d", time.Now().UnixNano())
	g.CreateEndpoint(t, e2e.OpenAIEndpoint(name, fake.URL+"/v1", fakeupstream.DefaultKey("openai")))
	if r := g.Chat(t, seed.Keys[0], name, "hi"); r.Status != http.StatusOK {
		t.Fatalf("a seeded user's key on an endpoint created just now: %d %s", r.Status, r.Body)
	}
	for i := range 200 {
		if r := g.Chat(t, seed.Keys[i%len(seed.Keys)], name, "warm up"); r.Status != http.StatusOK {
			t.Fatalf("warm-up query %d: %d %s", i, r.Status, r.Body)
		}
	}
	rss := rssMiB(t, g.PID())
	t.Logf("10,000 endpoints, %d users, %d keys: ready in %s, RSS after warm-up %.1f MiB (anonymous %.1f MiB, the binary's and other files' pages %.1f MiB)",
		scaleUsers, scaleKeys, ready.Round(time.Millisecond), rss, statusMiB(t, g.PID(), "RssAnon:"), statusMiB(t, g.PID(), "RssFile:"))
	verdict(t, fmt.Sprintf("start-up %s ≤ %s", ready.Round(time.Millisecond), scaleMaxReady), ready <= scaleMaxReady)
	verdict(t, fmt.Sprintf("RSS after warm-up %.1f MiB ≤ %d MiB", rss, scaleMaxRSSMiB), rss <= scaleMaxRSSMiB)
	compareCPUWithSmallGateway(t, g, name, seed.Keys, fake.URL)
	if d := os.Getenv("SCALE_SOAK"); d != "" {
		soak, err := time.ParseDuration(d)
		if err != nil {
			t.Fatalf("SCALE_SOAK=%q: %v", d, err)
		}
		soakAtScale(t, g, name, seed.Keys, soak)
	}
	timeAdminLists(t, g) // last: listing 100,000 users and keys is garbage that would blur the RSS
}

// timeAdminLists logs how long the administrators' first pages of every user and every key
// take at this scale (the median of five), the lists the snapshot no longer keeps whole.
func timeAdminLists(t *testing.T, g *e2e.Gateway) {
	for _, path := range []string{"/api/users/v1/users?limit=20", "/api/pat/v1/tokens/all?limit=20"} {
		var took []time.Duration
		for range 5 {
			start := time.Now()
			if r := g.Do(t, "GET", path, g.AdminKey, nil); r.Status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
			}
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		t.Logf("GET %s: %s (median of 5)", path, took[2].Round(time.Millisecond))
	}
}

// verdict logs PASS or FAIL for one target and fails t on FAIL.
func verdict(t *testing.T, what string, ok bool) {
	t.Helper()
	if ok {
		t.Logf("PASS %s", what)
		return
	}
	t.Errorf("FAIL %s", what)
}

// seededScaleDir returns a data directory holding the scale's configuration, seeding a new
// one (in SCALE_DIR when set, kept afterwards) unless SCALE_DIR was seeded before.
func seededScaleDir(t *testing.T) (string, scaleSeed) {
	dir := os.Getenv("SCALE_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	var seed scaleSeed
	file := filepath.Join(dir, "scale-seed.json")
	if raw, err := os.ReadFile(file); err == nil {
		if err := json.Unmarshal(raw, &seed); err != nil || seed.AdminKey == "" || len(seed.Keys) == 0 {
			t.Fatalf("%s is not a seed record (%v): remove the directory to seed again", file, err)
		}
		t.Logf("reusing the configuration seeded in %s", dir)
		return dir, seed
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	g := e2e.Start(t, e2e.Options{DataDir: dir})
	g.Stop(t)
	seed = scaleSeed{AdminKey: g.AdminKey, Keys: seedConfiguration(t, dir)}
	raw, err := json.Marshal(seed)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, seed
}

func rssMiB(t *testing.T, pid int) float64 { return statusMiB(t, pid, "VmRSS:") }

// statusMiB reads one of /proc/PID/status's kB fields (VmRSS:, RssAnon:, RssFile:) in MiB.
func statusMiB(t *testing.T, pid int, field string) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	return float64(procstat.KiB(string(raw), field)) / 1024
}

// seedConfiguration creates the users, their keys and the endpoints through the admin
// operations (app.App over the gateway's own database and master key, as the CLI does) and
// returns the keys of sampleKeys users spread over all of them.
func seedConfiguration(t *testing.T, dir string) []string {
	ctx := context.Background()
	begin := time.Now()
	a := adminApp(t, dir)
	var sample []string
	for i := range scaleUsers {
		u, err := a.CreateUser(ctx, app.CLIActor, app.NewUser{UserName: fmt.Sprintf("user-%06d", i), Email: fmt.Sprintf("user-%06d@example.org", i)})
		if err != nil {
			t.Fatal(err)
		}
		key, _, err := a.CreateKey(ctx, app.CLIActor, u.ID, "k", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if i%(scaleUsers/sampleKeys) == 0 {
			sample = append(sample, key)
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
	return sample
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
