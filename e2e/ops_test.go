package e2e

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/internal/e2e"
	"github.com/llmgate/llmgate/secrets/vaulttest"
)

// SIGTERM lets an in-flight request finish, with its audit event, before the process exits.
func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	fake := e2e.StartFake(t, fakeupstream.Options{})
	dir := t.TempDir()
	g := e2e.Start(t, e2e.Options{DataDir: dir})
	_, key := g.CreateUser(t, "frank", false)
	body := e2e.OpenAIEndpoint("slow", fake.URL+"/v1", fakeupstream.DefaultKey("openai"))
	body["modelName"] = "fake-slow-1500"
	g.CreateEndpoint(t, body)

	var wg sync.WaitGroup
	var resp *e2e.Response
	var err error
	wg.Add(1)
	go func() {
		defer wg.Done()
		resp, err = e2e.Try(context.Background(), g.URL, "POST", "/v1/chat/completions",
			map[string]string{"Authorization": "Bearer " + key}, e2e.ChatBody("slow", "finish me", false))
	}()
	// Wait until the request is in the fake's hands, then ask the gateway to stop.
	deadline := time.Now().Add(10 * time.Second)
	for len(fake.Requests()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("request never reached the upstream")
		}
		time.Sleep(5 * time.Millisecond) // polling an observable condition, not standing in for it
	}
	g.Stop(t)
	wg.Wait()
	if err != nil || resp.Status != http.StatusOK || !strings.Contains(string(resp.Body), "finish me") {
		t.Fatalf("in-flight request during shutdown: err=%v resp=%+v", err, resp)
	}
	g2 := e2e.Start(t, e2e.Options{DataDir: dir})
	ids := g2.AccessRequestIDs(t, "slow")
	if ids[resp.Header.Get("X-Request-Id")] != 1 {
		t.Fatalf("audit event of the request answered during shutdown: %v", ids)
	}
	g2.VerifyAudit(t)
}

// With Redis unreachable, limited endpoints fail closed fast (503), the failure shows in logs
// and metrics, and --redis-fail-open admits instead; unlimited endpoints are unaffected.
func TestRedisUnreachablePolicy(t *testing.T) {
	fake := e2e.StartFake(t, fakeupstream.Options{})
	dead := closedPort(t)
	for _, failOpen := range []bool{false, true} {
		name := map[bool]string{false: "fail-closed", true: "fail-open"}[failOpen]
		t.Run(name, func(t *testing.T) {
			opts := e2e.Options{RedisURL: "redis://" + dead + "/0"}
			if failOpen {
				opts.ExtraArgs = []string{"--redis-fail-open"}
			}
			g := e2e.Start(t, opts)
			_, key := g.CreateUser(t, "gina", false)
			limited := e2e.OpenAIEndpoint("limited", fake.URL+"/v1", fakeupstream.DefaultKey("openai"))
			limited["rateLimits"] = map[string]any{"callsPerMinute": map[string]any{"perUser": 100}}
			g.CreateEndpoint(t, limited)

			start := time.Now()
			r := g.Chat(t, key, "limited", "hi")
			took := time.Since(start)
			want := http.StatusServiceUnavailable
			if failOpen {
				want = http.StatusOK
			}
			if r.Status != want {
				t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
			}
			if took > 2*time.Second {
				t.Fatalf("decision took %v with Redis down; it must not hang", took)
			}
			if !strings.Contains(g.Logs(), "rate limiter unavailable") {
				t.Fatalf("no log line about the unavailable limiter")
			}
			m := e2e.Do(t, g.URL, "GET", "/metrics", nil, nil)
			if !strings.Contains(string(m.Body), "llmgate_limiter_errors_total 1") {
				t.Fatalf("limiter error not counted in /metrics")
			}
		})
	}
}

// --secrets vault keeps credentials in Vault KV v2; vault:PATH#FIELD refs read existing secrets.
func TestVaultSecretStore(t *testing.T) {
	const token = "vault-e2e-token"
	vault := vaulttest.NewServer(token)
	t.Cleanup(vault.Close)
	fake := e2e.StartFake(t, fakeupstream.Options{})
	// An operator-managed secret that an endpoint references without llmgate storing it.
	put := e2e.Do(t, vault.URL, "PUT", "/v1/secret/data/team/openai", map[string]string{"X-Vault-Token": token},
		map[string]any{"data": map[string]any{"api_key": fakeupstream.DefaultKey("openai")}})
	if put.Status != 200 {
		t.Fatalf("seeding vault: %d %s", put.Status, put.Body)
	}
	// In the environment, so the admin commands use the same secret store as serve.
	g := e2e.Start(t, e2e.Options{Env: []string{"LLMGATE_SECRETS=vault", "VAULT_ADDR=" + vault.URL, "VAULT_TOKEN=" + token}})
	_, key := g.CreateUser(t, "hal", false)

	g.CreateEndpoint(t, e2e.OpenAIEndpoint("stored-in-vault", fake.URL+"/v1", fakeupstream.DefaultKey("openai")))
	byRef := e2e.OpenAIEndpoint("vault-ref", fake.URL+"/v1", "")
	byRef["modelConfig"] = map[string]any{"openai_api_key": map[string]any{"secretRef": "vault:secret/team/openai#api_key"},
		"openai_api_base": fake.URL + "/v1"}
	g.CreateEndpoint(t, byRef)

	for _, ep := range []string{"stored-in-vault", "vault-ref"} {
		if r := g.Chat(t, key, ep, "hi"); r.Status != 200 {
			t.Fatalf("%s: %d %s", ep, r.Status, r.Body)
		}
	}
	for _, req := range fake.Requests() {
		if req.Credential != fakeupstream.DefaultKey("openai") {
			t.Fatalf("upstream got credential %q", req.Credential)
		}
	}
	if vault.Versions("secret", "team/openai") != 1 {
		t.Fatalf("llmgate wrote to the operator's secret")
	}
	// Deleting the endpoint purges what llmgate stored and leaves the operator's secret alone.
	if r := g.Do(t, "DELETE", "/api/aigateway/v1/endpoints/vault-ref", g.AdminKey, nil); r.Status != 200 {
		t.Fatalf("delete: %d", r.Status)
	}
	if got := e2e.Do(t, vault.URL, "GET", "/v1/secret/data/team/openai", map[string]string{"X-Vault-Token": token}, nil); got.Status != 200 {
		t.Fatalf("operator's secret gone after deleting the endpoint: %d", got.Status)
	}
}

func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
