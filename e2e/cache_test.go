package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/internal/e2e"
)

// With Redis the response cache is shared: an answer cached through one replica is served by
// another without a second upstream call.
func TestResponseCacheIsSharedAcrossReplicas(t *testing.T) {
	c := startCluster(t, 2)
	a, b := c.replicas[0], c.replicas[1]
	_, key := a.CreateUser(t, "cachey", false)
	ep := e2e.OpenAIEndpoint("cached", c.openAIBase(), fakeupstream.DefaultKey("openai"))
	ep["modelName"] = "shared-cache-model"
	ep["cache"] = map[string]any{"ttlSeconds": 60}
	a.CreateEndpoint(t, ep)
	waitFor(t, "the endpoint on the second replica", func() bool {
		return b.Do(t, "GET", "/api/aigateway/v1/endpoints/cached", b.AdminKey, nil).Status == 200
	}, nil)
	first, second := a.Chat(t, key, "cached", "same question"), b.Chat(t, key, "cached", "same question")
	if first.Status != 200 || second.Status != 200 || string(first.Body) != string(second.Body) {
		t.Fatalf("answers %d %s / %d %s", first.Status, first.Body, second.Status, second.Body)
	}
	calls := 0
	for _, r := range c.fake.Requests() {
		if r.Model == "shared-cache-model" {
			calls++
		}
	}
	if calls != 1 {
		t.Fatalf("the provider was called %d times for one question asked on two replicas", calls)
	}
}

// With Redis, three replicas share each target's health: a dead first target is taken out
// after 3 failures and then sees one probe per cooldown between all replicas, while every
// query is answered by the second target.
func TestDeadTargetIsProbedOncePerCooldownAcrossReplicas(t *testing.T) {
	c := startCluster(t, 3)
	a := c.replicas[0]
	_, key := a.CreateUser(t, "prober", false)
	ep := e2e.OpenAIEndpoint("guarded", c.openAIBase(), fakeupstream.DefaultKey("openai"))
	ep["modelName"] = "fake-seq-503-dead"
	ep["routing"] = map[string]any{"cooldownSeconds": 1}
	ep["targets"] = []map[string]any{{"modelProvider": "openai", "modelName": "alive-backup",
		"modelConfig": map[string]any{"openai_api_key": fakeupstream.DefaultKey("openai"), "openai_api_base": c.openAIBase()}}}
	a.CreateEndpoint(t, ep)
	for _, r := range c.replicas {
		waitFor(t, "the endpoint on every replica", func() bool {
			return r.Do(t, "GET", "/api/aigateway/v1/endpoints/guarded", r.AdminKey, nil).Status == 200
		}, nil)
	}
	start := time.Now()
	requests := 0
	for time.Since(start) < 3500*time.Millisecond { // three cooldowns and a half of steady traffic
		if r := c.replicas[requests%3].Chat(t, key, "guarded", "ping"); r.Status != 200 {
			t.Fatalf("request %d: %d %s", requests, r.Status, r.Body)
		}
		requests++
	}
	elapsed := time.Since(start)
	dead := 0
	for _, r := range c.fake.Requests() {
		if r.Model == "fake-seq-503-dead" {
			dead++
		}
	}
	periods := int(elapsed/time.Second) + 1
	t.Logf("%d requests over %v on 3 replicas: the dead target got %d calls (3 to open it, then at most one probe per 1 s cooldown: bound %d)",
		requests, elapsed.Round(time.Millisecond), dead, 3+periods)
	var health struct {
		Routes []struct {
			Open  bool
			Model string `json:"modelName"`
		}
	}
	a.Do(t, "GET", "/api/aigateway/v1/endpoints/guarded/health", a.AdminKey, nil).JSON(t, &health)
	metricsText := string(e2e.Do(t, a.URL, "GET", "/metrics", nil, nil).Body)
	if len(health.Routes) != 2 || !health.Routes[0].Open || health.Routes[1].Open ||
		!strings.Contains(metricsText, `llmgate_target_open{endpoint_id=`) {
		t.Fatalf("health %+v; metrics carry llmgate_target_open: %v", health, strings.Contains(metricsText, "llmgate_target_open"))
	}
	if dead > 3+periods || dead < 4 {
		t.Fatalf("the dead target got %d calls: over the bound %d, or never probed again", dead, 3+periods)
	}
}
