package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/internal/e2e"
)

// propagationBudget is how long a change made on one replica may take to be enforced by
// every other replica (the "Scale-out" issue's done-when).
const propagationBudget = time.Second

// cluster is several `llmgate serve` replicas on one PostgreSQL schema and one Redis, as a
// scaled-out deployment runs them: same master key and admin, each its own data directory.
type cluster struct {
	replicas []*e2e.Gateway
	fake     *e2e.Fake
}

func startCluster(t *testing.T, n int) *cluster {
	t.Helper()
	db, redis := e2e.PostgresURL(t), e2e.RedisURL(t)
	opts := e2e.Options{
		DatabaseURL: db,
		RedisURL:    redis,
		AdminKey:    "lgk_admin_" + randomHex(16),
		Env:         []string{"LLMGATE_MASTER_KEY=" + masterKey()},
	}
	c := &cluster{fake: e2e.StartFake(t, fakeupstream.Options{})}
	// The first replica bootstraps the admin and migrates the schema; the others join it.
	for range n {
		c.replicas = append(c.replicas, e2e.Start(t, opts))
	}
	return c
}

func (c *cluster) openAIBase() string { return c.fake.URL + "/v1" }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func masterKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func TestReplicasQueryAnEndpointCreatedOnAnotherAtOnce(t *testing.T) {
	c := startCluster(t, 3)
	ritaID, ritaKey := c.replicas[0].CreateUser(t, "rita", false)
	awaitStatusEverywhere(t, c, time.Now(), "user creation", func(g *e2e.Gateway) (*e2e.Response, error) {
		return e2e.Try(context.Background(), g.URL, "GET", "/api/users/v1/self", map[string]string{"X-Domino-Api-Key": ritaKey}, nil)
	}, http.StatusOK)
	// Several rounds, each created on one replica and queried on another by the very next
	// request: a replica that only catches up asynchronously fails at least one of them.
	for round := range 6 {
		creator, reader := c.replicas[round%3], c.replicas[(round+2)%3]
		name := fmt.Sprintf("fresh-chat-%d", round)
		creator.CreateEndpoint(t, e2e.OpenAIEndpoint(name, c.openAIBase(), fakeupstream.DefaultKey("openai"), ritaID))
		r := reader.Chat(t, ritaKey, name, "hello from another replica")
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "echo: hello from another replica") {
			t.Errorf("round %d: the next request on replica %d after the create on replica %d: %d %s",
				round, (round+2)%3+1, round%3+1, r.Status, r.Body)
		}
	}
}

func TestRevokedKeyIsRefusedByEveryReplicaWithinASecond(t *testing.T) {
	c := startCluster(t, 3)
	userID, _ := c.replicas[0].CreateUser(t, "kim", false)
	var tok struct {
		PatID string `json:"patId"`
		Token string `json:"token"`
	}
	r := c.replicas[0].Do(t, "POST", "/api/pat/v1/users/"+userID+"/tokens", c.replicas[0].AdminKey, map[string]any{"name": "ci"})
	if r.Status != http.StatusOK {
		t.Fatalf("creating a key over HTTP: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &tok)
	self := func(g *e2e.Gateway) (*e2e.Response, error) {
		return e2e.Try(context.Background(), g.URL, "GET", "/api/users/v1/self", map[string]string{"Authorization": "Bearer " + tok.Token}, nil)
	}
	// A key made on one replica reaches the others by the same change notification.
	awaitStatusEverywhere(t, c, time.Now(), "key creation", self, http.StatusOK)

	start := time.Now()
	if r := c.replicas[1].Do(t, "DELETE", "/api/pat/v1/tokens/"+tok.PatID, c.replicas[1].AdminKey, nil); r.Status != http.StatusOK {
		t.Fatalf("revoking on replica 2: %d %s", r.Status, r.Body)
	}
	awaitStatusEverywhere(t, c, start, "key revocation", self, http.StatusUnauthorized)
}

func TestUserDeactivationIsEnforcedByEveryReplicaWithinASecond(t *testing.T) {
	c := startCluster(t, 3)
	userID, key := c.replicas[0].CreateUser(t, "dee", false)
	self := func(g *e2e.Gateway) (*e2e.Response, error) {
		return e2e.Try(context.Background(), g.URL, "GET", "/api/users/v1/self", map[string]string{"Authorization": "Bearer " + key}, nil)
	}
	awaitStatusEverywhere(t, c, time.Now(), "user creation", self, http.StatusOK)

	start := time.Now()
	r := c.replicas[1].Do(t, "PATCH", "/api/users/v1/users/"+userID, c.replicas[1].AdminKey, map[string]any{"isActive": false})
	if r.Status != http.StatusOK {
		t.Fatalf("deactivating on replica 2: %d %s", r.Status, r.Body)
	}
	awaitStatusEverywhere(t, c, start, "user deactivation", self, http.StatusUnauthorized)
	start = time.Now()
	c.replicas[2].CLI(t, "users", "reactivate", "--username", "dee")
	awaitStatusEverywhere(t, c, start, "user reactivation", self, http.StatusOK)
}

func TestPermissionRemovalReachesEveryReplicaWithinASecond(t *testing.T) {
	c := startCluster(t, 3)
	userID, key := c.replicas[0].CreateUser(t, "lee", false)
	c.replicas[0].CreateEndpoint(t, e2e.OpenAIEndpoint("team-chat", c.openAIBase(), fakeupstream.DefaultKey("openai"), userID))
	chat := func(g *e2e.Gateway) (*e2e.Response, error) {
		return e2e.Try(context.Background(), g.URL, "POST", "/v1/chat/completions", map[string]string{"Authorization": "Bearer " + key}, e2e.ChatBody("team-chat", "hi", false))
	}
	awaitStatusEverywhere(t, c, time.Now(), "endpoint creation", chat, http.StatusOK)

	start := time.Now()
	r := c.replicas[1].Do(t, "PATCH", "/api/aigateway/v1/endpoints/team-chat/permissions", c.replicas[1].AdminKey, map[string]any{"userIds": []string{}})
	if r.Status != http.StatusOK {
		t.Fatalf("removing the permission on replica 2: %d %s", r.Status, r.Body)
	}
	awaitStatusEverywhere(t, c, start, "permission removal", chat, http.StatusForbidden)
}

// awaitStatusEverywhere polls every replica concurrently until it answers call with want,
// logs how long each took after start, and fails t if any took longer than the budget.
func awaitStatusEverywhere(t *testing.T, c *cluster, start time.Time, what string, call func(*e2e.Gateway) (*e2e.Response, error), want int) {
	t.Helper()
	took := make([]time.Duration, len(c.replicas))
	last := make([]string, len(c.replicas))
	var wg sync.WaitGroup
	for i, g := range c.replicas {
		wg.Go(func() {
			deadline := start.Add(propagationBudget)
			for {
				r, err := call(g)
				now := time.Now()
				if err == nil && r.Status == want {
					took[i] = now.Sub(start)
					return
				}
				last[i] = fmt.Sprintf("%v %v", err, statusOf(r))
				if now.After(deadline) {
					took[i] = -1
					return
				}
			}
		})
	}
	wg.Wait()
	for i, d := range took {
		if d < 0 {
			t.Errorf("%s: replica %d still answered %s after %v, want %d", what, i+1, last[i], propagationBudget, want)
			continue
		}
		t.Logf("%s: replica %d applied it %v after the change was sent", what, i+1, d.Round(time.Microsecond))
	}
}

func statusOf(r *e2e.Response) any {
	if r == nil {
		return "no response"
	}
	return r.Status
}

func TestCallsPerMinuteLimitHoldsAcrossReplicasAndEveryCallIsAuditedOnce(t *testing.T) {
	c := startCluster(t, 3)
	_, key := c.replicas[0].CreateUser(t, "max", false)
	ep := e2e.OpenAIEndpoint("limited-chat", c.openAIBase(), fakeupstream.DefaultKey("openai"))
	ep["rateLimits"] = map[string]any{"callsPerMinute": map[string]any{"endpoint": 30}}
	c.replicas[0].CreateEndpoint(t, ep)
	// Visibility everywhere is a precondition here (tested above); looking does not count
	// towards the limit.
	awaitStatusEverywhere(t, c, time.Now(), "endpoint creation", func(g *e2e.Gateway) (*e2e.Response, error) {
		return e2e.Try(context.Background(), g.URL, "GET", "/api/aigateway/v1/endpoints/limited-chat", map[string]string{"X-Domino-Api-Key": key}, nil)
	}, http.StatusOK)

	const calls = 90
	results := make([]*e2e.Response, calls)
	errs := make([]error, calls)
	startGate := make(chan struct{})
	var wg sync.WaitGroup
	for i := range calls {
		g := c.replicas[i%len(c.replicas)]
		wg.Go(func() {
			<-startGate
			results[i], errs[i] = e2e.Try(context.Background(), g.URL, "POST", "/v1/chat/completions",
				map[string]string{"Authorization": "Bearer " + key}, e2e.ChatBody("limited-chat", fmt.Sprintf("call %d", i), false))
		})
	}
	close(startGate)
	wg.Wait()

	ids := map[string]bool{}
	admitted, limited := 0, 0
	for i, r := range results {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		switch r.Status {
		case http.StatusOK:
			admitted++
		case http.StatusTooManyRequests:
			limited++
			if r.Header.Get("Retry-After") == "" {
				t.Errorf("call %d: 429 without Retry-After", i)
			}
		default:
			t.Errorf("call %d: status %d %s", i, r.Status, r.Body)
		}
		id := r.Header.Get("X-Request-Id")
		if id == "" || ids[id] {
			t.Fatalf("call %d: missing or repeated X-Request-Id %q", i, id)
		}
		ids[id] = true
	}
	t.Logf("%d concurrent calls over %d replicas: %d admitted, %d limited", calls, len(c.replicas), admitted, limited)
	if admitted != 30 || limited != calls-30 {
		t.Fatalf("admitted %d and limited %d of %d calls, want exactly 30 and %d", admitted, limited, calls, calls-30)
	}
	requireAuditedOnce(t, c.replicas[2], "limited-chat", ids)
	t.Log(c.replicas[1].VerifyAudit(t))
}

// requireAuditedOnce fails t unless the audit trail holds exactly one access event of
// endpoint for every request id in ids, and none for any other request.
func requireAuditedOnce(t *testing.T, g *e2e.Gateway, endpoint string, ids map[string]bool) {
	t.Helper()
	events := g.AccessRequestIDs(t, endpoint)
	for id := range ids {
		if n := events[id]; n != 1 {
			t.Errorf("request %s has %d audit events, want 1", id, n)
		}
	}
	for id, n := range events {
		if !ids[id] {
			t.Errorf("audit event for request %q (%d events) that no caller made", id, n)
		}
	}
	t.Logf("audit trail: %d access events for %d calls", len(events), len(ids))
}
