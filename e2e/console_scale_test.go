//go:build scale

package e2e

// Page load times of the console at scale: the endpoints list with 10,000 endpoints and the
// audit trail with 1,000,000 events. Run with `make bench-console` (go test -tags scale); it
// seeds the SQLite file directly through the store (the admin operations would take far
// longer to create this much) and prints server and browser times.

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/internal/e2e"
	"github.com/llmgate/llmgate/secrets/local"
	"github.com/llmgate/llmgate/store/sqlite"
)

const (
	scaleEndpoints = 10_000
	scaleEvents    = 1_000_000
)

func TestConsolePageTimesAtScale(t *testing.T) {
	dir := t.TempDir()
	g := e2e.Start(t, e2e.Options{DataDir: dir})
	g.Stop(t)
	seedScale(t, dir)
	g = e2e.Start(t, e2e.Options{DataDir: dir, AdminKey: g.AdminKey})
	b := e2e.NewBrowser(t)
	b.SignIn(g.URL, "admin", g.AdminKey)
	for _, page := range []struct{ name, path, sel string }{
		{"endpoints, first page", "/console/admin/endpoints", "#endpoints"},
		{"endpoints, search", "/console/admin/endpoints?q=scale-0999", "#endpoints"},
		{"endpoints, last page, by model desc", fmt.Sprintf("/console/admin/endpoints?sort=modelName&desc=true&offset=%d", scaleEndpoints-50), "#endpoints"},
		{"audit, first page", "/console/admin/audit", "#audit"},
		{"audit, access events of one user", "/console/admin/audit?kind=AccessGatewayEndpoint&user=user-7", "#audit"},
		{"audit, outcome filter", "/console/admin/audit?outcome=rate_limited", "#audit"},
	} {
		var server, browser []float64
		for i := 0; i < 5; i++ {
			b.Open(g.URL+page.path, page.sel)
			timing := e2e.Eval[[]float64](b, `(() => { const n = performance.getEntriesByType("navigation")[0];
				return [n.responseEnd - n.requestStart, n.loadEventEnd > 0 ? n.loadEventEnd - n.startTime : performance.now() - n.startTime]; })()`)
			server, browser = append(server, timing[0]), append(browser, timing[1])
		}
		t.Logf("%-40s server %6.1f ms  browser %6.1f ms (median of 5)", page.name, median(server), median(browser))
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

// seedScale writes the endpoints and events straight into the gateway's SQLite file, chained
// with the gateway's own audit key so the trail still verifies.
func seedScale(t *testing.T, dir string) {
	ctx := context.Background()
	start := time.Now()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "llmgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	keys, err := local.LoadKeyring(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	store.SetAuditKeys(audit.NewDerivedKeyring(keys))
	ev := func(kind string) *gateway.AuditEvent {
		return &gateway.AuditEvent{ID: gateway.NewID(), Kind: kind, Timestamp: gateway.Now(), Metadata: map[string]string{}}
	}
	for i := 0; i < scaleEndpoints; i++ {
		e := &gateway.Endpoint{ID: gateway.NewID(), Name: fmt.Sprintf("scale-%05d", i), Type: gateway.TypeChat, Provider: "openai",
			Model: fmt.Sprintf("gpt-%d", i%97), Config: map[string]string{},
			Secrets:     map[string]gateway.SecretRef{"openai_api_key": {Ref: "env:SCALE_KEY"}},
			Permissions: gateway.Permissions{IsEveryoneAllowed: i%2 == 0}, CreatedAt: gateway.Now(), UpdatedAt: gateway.Now()}
		if err := store.CreateEndpoint(ctx, e, ev(gateway.KindCreateEndpoint)); err != nil {
			t.Fatal(err)
		}
	}
	outcomes := []string{"success", "success", "success", "rate_limited", "upstream_error"}
	for n := 0; n < scaleEvents; n += 1000 {
		batch := make([]*gateway.AuditEvent, 1000)
		for i := range batch {
			e := ev(gateway.KindAccessEndpoint)
			e.Metadata = map[string]string{"accessedByUsername": fmt.Sprintf("user-%d", (n+i)%500),
				"endpointName": fmt.Sprintf("scale-%05d", (n+i)%scaleEndpoints), "outcome": outcomes[(n+i)%len(outcomes)],
				"httpStatus": "200", "requestId": gateway.NewRequestID(), "api": "openai"}
			batch[i] = e
		}
		if err := store.AppendAudit(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("seeded %d endpoints and %d events in %s", scaleEndpoints, scaleEvents, time.Since(start).Round(time.Second))
}
