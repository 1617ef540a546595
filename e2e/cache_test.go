package e2e

import (
	"testing"

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
