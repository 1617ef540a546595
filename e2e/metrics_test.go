package e2e

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/internal/e2e"
)

var metricsURL = regexp.MustCompile(`metrics listening.*?url"?[=:]"?(http://[^\s"]+/metrics)`)

// Issue 10 finding 7: /metrics needed no credential and named every endpoint, restricted ones
// included, with outcomes and token counts. Unprotected, it now aggregates without names;
// with --metrics-token it needs the token; with --metrics-addr it leaves the API port.
func TestMetricsNeverNameEndpointsToUnprotectedCallers(t *testing.T) {
	fake := e2e.StartFake(t, fakeupstream.Options{})
	traffic := func(t *testing.T, g *e2e.Gateway) {
		t.Helper()
		ownerID, ownerKey := g.CreateUser(t, "owner", false)
		g.CreateEndpoint(t, e2e.OpenAIEndpoint("finance-restricted", fake.URL+"/v1", fakeupstream.DefaultKey("openai"), ownerID))
		if r := g.Chat(t, ownerKey, "finance-restricted", "hello"); r.Status != http.StatusOK {
			t.Fatalf("chat: %d %s", r.Status, r.Body)
		}
	}
	scrape := func(t *testing.T, url, token string) *e2e.Response {
		t.Helper()
		h := map[string]string{}
		if token != "" {
			h["Authorization"] = "Bearer " + token
		}
		return e2e.Do(t, url, "GET", "", h, nil)
	}

	t.Run("unprotected", func(t *testing.T) {
		g := e2e.Start(t, e2e.Options{})
		traffic(t, g)
		r := scrape(t, g.URL+"/metrics", "")
		if r.Status != http.StatusOK || strings.Contains(string(r.Body), "finance-restricted") ||
			!strings.Contains(string(r.Body), `llmgate_requests_total{endpoint="",outcome="success",surface="openai"} 1`) {
			t.Fatalf("unprotected /metrics: %d\n%s", r.Status, r.Body)
		}
	})
	t.Run("token", func(t *testing.T) {
		g := e2e.Start(t, e2e.Options{Env: []string{"LLMGATE_METRICS_TOKEN=metrics-e2e-token"}})
		traffic(t, g)
		for _, token := range []string{"", "wrong", g.AdminKey} {
			if r := scrape(t, g.URL+"/metrics", token); r.Status != http.StatusUnauthorized || strings.Contains(string(r.Body), "finance") {
				t.Fatalf("token %q: %d %s", token, r.Status, r.Body)
			}
		}
		if r := scrape(t, g.URL+"/metrics", "metrics-e2e-token"); r.Status != http.StatusOK ||
			!strings.Contains(string(r.Body), `endpoint="finance-restricted"`) {
			t.Fatalf("with the token: %d\n%s", r.Status, r.Body)
		}
	})
	t.Run("own listener", func(t *testing.T) {
		g := e2e.Start(t, e2e.Options{ExtraArgs: []string{"--metrics-addr", "127.0.0.1:0"}})
		traffic(t, g)
		if r := scrape(t, g.URL+"/metrics", ""); r.Status != http.StatusNotFound && r.Status != http.StatusUnauthorized {
			t.Fatalf("API port still serves /metrics: %d", r.Status)
		}
		m := metricsURL.FindStringSubmatch(g.Logs())
		if m == nil {
			t.Fatalf("no metrics listener in the log:\n%s", g.Logs())
		}
		if r := scrape(t, m[1], ""); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `endpoint="finance-restricted"`) {
			t.Fatalf("metrics listener: %d\n%s", r.Status, r.Body)
		}
	})
}
