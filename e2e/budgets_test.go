package e2e

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/internal/e2e"
	"github.com/llmgate/llmgate/webhook"
)

const budgetWebhookSecret = "budget-webhook-test-secret"

// alertSink is the operator's webhook receiver: it keeps each alert whose signature verifies.
type alertSink struct {
	mu     sync.Mutex
	alerts []map[string]string
	forged atomic.Int64
}

func (s *alertSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if !webhook.Verify(budgetWebhookSecret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), time.Minute) {
		s.forged.Add(1)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var a map[string]string
	json.Unmarshal(body, &a)
	s.mu.Lock()
	s.alerts = append(s.alerts, a)
	s.mu.Unlock()
}

func (s *alertSink) thresholds(budgetID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, a := range s.alerts {
		if a["budgetId"] == budgetID {
			out = append(out, a["threshold"])
		}
	}
	return out
}

// Three replicas on one PostgreSQL and one Redis, 24 concurrent callers spread over them: a
// token budget and a cost budget each stop spend at their limit — never past it, since every
// request reserves its estimate before the call — and the last admitted request leaves less
// headroom than one more request's estimate. Each alert threshold is raised once, audited and
// delivered signed to the budget's webhook.
func TestBudgetsStopSpendExactlyAcrossThreeReplicas(t *testing.T) {
	db, redis := e2e.PostgresURL(t), e2e.RedisURL(t)
	sink := &alertSink{}
	hook := httptest.NewServer(sink)
	defer hook.Close()
	fake := e2e.StartFake(t, fakeupstream.Options{})
	opts := e2e.Options{DatabaseURL: db, RedisURL: redis, AdminKey: "lgk_admin_" + randomHex(16),
		Env: []string{"LLMGATE_MASTER_KEY=" + masterKey(), "LLMGATE_BUDGET_WEBHOOK_SECRET=" + budgetWebhookSecret}}
	var replicas []*e2e.Gateway
	for range 3 {
		replicas = append(replicas, e2e.Start(t, opts))
	}
	g := replicas[0]
	_, key := g.CreateUser(t, "spender", false)
	g.CreateEndpoint(t, e2e.OpenAIEndpoint("metered", fake.URL+"/v1", fakeupstream.DefaultKey("openai")))
	priced := e2e.OpenAIEndpoint("priced", fake.URL+"/v1", fakeupstream.DefaultKey("openai"))
	priced["pricing"] = map[string]any{"inputPerMillionTokens": 1000, "outputPerMillionTokens": 1000} // $0.001 a token
	g.CreateEndpoint(t, priced)

	// One request's real cost: the fake answers "echo: <prompt>", tokens = words.
	const prompt = "how far is the moon"
	body := func(endpoint string) []byte { // max_tokens set: each request reserves exactly its maximum
		raw, _ := json.Marshal(map[string]any{"model": endpoint, "max_tokens": 8,
			"messages": []map[string]string{{"role": "user", "content": prompt}}})
		return raw
	}
	if r := g.Do(t, "POST", "/v1/chat/completions", key, body("metered")); r.Status != 200 {
		t.Fatalf("probe: %d %s", r.Status, r.Body)
	}
	probe := g.ExportAudit(t, "--kind", "AccessGatewayEndpoint")[0].Metadata
	perRequest, _ := strconv.ParseInt(probe["totalTokens"], 10, 64)

	for _, tc := range []struct {
		name, endpoint string
		budget         map[string]any
		used           func(t *testing.T, id string) float64
		limit          float64
	}{
		{"tokens", "metered", map[string]any{"scope": "user", "scopeId": "spender", "period": "day", "limitTokens": 300,
			"alertWebhookUrl": hook.URL}, nil, 300},
		{"cost", "priced", map[string]any{"scope": "endpoint", "scopeId": "priced", "period": "month", "limitCost": 0.25,
			"alertWebhookUrl": hook.URL}, nil, 0.25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, key := g.CreateUser(t, "spender-"+tc.name, false) // budgets of one subtest never touch the other's
			if tc.budget["scope"] == "user" {
				tc.budget["scopeId"] = "spender-" + tc.name
			}
			var created struct{ ID string }
			r := g.Do(t, "POST", "/api/aigateway/v1/budgets", g.AdminKey, tc.budget)
			if r.Status != 200 || json.Unmarshal(r.Body, &created) != nil || created.ID == "" {
				t.Fatalf("create budget: %d %s", r.Status, r.Body)
			}
			waitForBudget(t, replicas, created.ID)

			var admitted, refused atomic.Int64
			var wg sync.WaitGroup
			var firstRefusal atomic.Pointer[e2e.Response]
			for w := range 24 {
				replica := replicas[w%3]
				wg.Go(func() {
					for {
						r, err := e2e.Try(context.Background(), replica.URL, "POST", "/v1/chat/completions",
							map[string]string{"Authorization": "Bearer " + key}, body(tc.endpoint))
						if err != nil {
							t.Error(err)
							return
						}
						if r.Status == 200 {
							admitted.Add(1)
							continue
						}
						refused.Add(1)
						firstRefusal.CompareAndSwap(nil, r)
						return
					}
				})
			}
			wg.Wait()
			// With no reservation outstanding, one more request is still refused.
			last := replicas[1].Do(t, "POST", "/v1/chat/completions", key, body(tc.endpoint))
			refusal := firstRefusal.Load()
			if last.Status != http.StatusTooManyRequests || refusal == nil || refusal.Status != http.StatusTooManyRequests ||
				!strings.Contains(string(refusal.Body), "over budget") || refusal.Header.Get("Retry-After") == "" {
				t.Fatalf("refusal: %+v; after the load: %d %s", refusal, last.Status, last.Body)
			}
			var got struct {
				Usage struct {
					UsedTokens     int64   `json:"usedTokens"`
					UsedCost       float64 `json:"usedCost"`
					ReservedTokens int64   `json:"reservedTokens"`
				} `json:"usage"`
			}
			g.Do(t, "GET", "/api/aigateway/v1/budgets/"+created.ID, g.AdminKey, nil).JSON(t, &got)
			used := float64(got.Usage.UsedTokens)
			unit := float64(perRequest)
			if tc.name == "cost" {
				used, unit = got.Usage.UsedCost, float64(perRequest)*0.001
			}
			t.Logf("%s budget: %d requests admitted across 3 replicas (arithmetic limit: %.0f whole requests of %.4g each), %d refused; used %.4g of %.4g",
				tc.name, admitted.Load(), math.Floor(tc.limit/unit+1e-9), unit, refused.Load()+1, used, tc.limit)
			if used > tc.limit+1e-9 || used < tc.limit-2*unit-unit || got.Usage.ReservedTokens != 0 {
				t.Fatalf("used %.6g of a %.6g limit (one request %.4g, reserved %d): over it, or stopped more than an estimate short",
					used, tc.limit, unit, got.Usage.ReservedTokens)
			}
			if over := g.ExportAudit(t, "--kind", "AccessGatewayEndpoint", "--outcome", "over_budget"); len(over) == 0 {
				t.Fatal("no access event audited as over_budget")
			}
			alerts := g.ExportAudit(t, "--kind", "BudgetAlert")
			seen := map[string]int{}
			for _, a := range alerts {
				if a.Metadata["budgetId"] == created.ID {
					seen[a.Metadata["threshold"]]++
				}
			}
			if seen["50"] != 1 || seen["80"] != 1 || seen["100"] != 1 {
				t.Fatalf("alerts %v: want 50, 80 and 100 once each across the replicas", seen)
			}
			metricsText := string(e2e.Do(t, g.URL, "GET", "/metrics", nil, nil).Body)
			kind := map[string]string{"tokens": "tokens", "cost": "cost"}[tc.name]
			if !strings.Contains(metricsText, `llmgate_budget_utilization_ratio{budget="`+created.ID+`",kind="`+kind+`"`) {
				t.Fatalf("no utilisation gauge for the budget in /metrics:\n%s", metricsText)
			}
			waitFor(t, "three signed webhook deliveries", func() bool { return len(sink.thresholds(created.ID)) == 3 }, nil)
			if sink.forged.Load() != 0 {
				t.Fatal("a webhook delivery failed its signature check")
			}
		})
	}
}

// waitForBudget waits until every replica's snapshot holds the budget.
func waitForBudget(t *testing.T, replicas []*e2e.Gateway, id string) {
	for _, r := range replicas {
		waitFor(t, "the budget on every replica", func() bool {
			return r.Do(t, "GET", "/api/aigateway/v1/budgets/"+id, r.AdminKey, nil).Status == 200
		}, nil)
	}
}

// Budgets are managed from the API and the CLI alike; bad values are 400s (or CLI errors)
// naming the field; every change is audited.
func TestBudgetsAreValidatedAndAudited(t *testing.T) {
	g := e2e.Start(t, e2e.Options{})
	g.CreateUser(t, "ann", false)
	for body, field := range map[string]string{
		`{"scope": "team", "period": "day", "limitTokens": 5}`:                         "scope",
		`{"scope": "user", "scopeId": "nobody", "period": "day", "limitTokens": 5}`:    "scopeId",
		`{"scope": "global", "period": "fortnight", "limitTokens": 5}`:                 "period",
		`{"scope": "global", "period": "day", "limitTokens": -5}`:                      "limitTokens",
		`{"scope": "global", "period": "day", "limitCost": "lots"}`:                    "limitCost",
		`{"scope": "global", "period": "day"}`:                                         "limitTokens",
		`{"scope": "global", "period": "day", "limitCost": 1, "currency": "EUR"}`:      "currency",
		`{"scope": "global", "period": "day", "limitCost": 1, "alertWebhookUrl": "x"}`: "alertWebhookUrl",
	} {
		var raw map[string]any
		json.Unmarshal([]byte(body), &raw)
		if r := g.Do(t, "POST", "/api/aigateway/v1/budgets", g.AdminKey, raw); r.Status != 400 || !strings.Contains(string(r.Body), field) {
			t.Errorf("%s: %d %s; want 400 naming %s", body, r.Status, r.Body, field)
		}
	}
	id := strings.TrimSpace(g.CLI(t, "budgets", "create", "--scope", "user", "--scope-id", "ann", "--period", "month", "--limit-cost", "12.5"))
	if out := g.CLI(t, "budgets", "list"); !strings.Contains(out, id) || !strings.Contains(out, "12.5") {
		t.Fatalf("budgets list:\n%s", out)
	}
	if _, errOut, code := g.RunCLI(t, "budgets", "update", id, "--period", "year"); code == 0 || !strings.Contains(errOut, "period") {
		t.Fatalf("a bad period from the CLI: exit %d %s", code, errOut)
	}
	if r := g.Do(t, "PATCH", "/api/aigateway/v1/budgets/"+id, g.AdminKey, map[string]any{"limitTokens": 1000, "limitCost": nil}); r.Status != 200 ||
		!strings.Contains(string(r.Body), `"limitTokens":1000`) || strings.Contains(string(r.Body), "limitCost") {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	if r := g.Do(t, "DELETE", "/api/aigateway/v1/budgets/"+id, g.AdminKey, nil); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	kinds := map[string]int{}
	for _, ev := range g.ExportAudit(t) {
		kinds[ev.Kind]++
	}
	if kinds["CreateBudget"] != 1 || kinds["UpdateBudget"] != 1 || kinds["DeleteBudget"] != 1 {
		t.Fatalf("budget changes audited: %v", kinds)
	}
}

// A budget alert that cannot be delivered (here: the gateway has no --budget-webhook-secret to
// sign it with, so nothing unsigned is ever posted) is not lost silently: each threshold is
// audited as BudgetAlertUndelivered naming the URL and the reason, and counted in /metrics.
func TestUndeliveredBudgetAlertsAreAuditedAndCounted(t *testing.T) {
	var posted atomic.Int64
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { posted.Add(1) }))
	defer hook.Close()
	fake := e2e.StartFake(t, fakeupstream.Options{})
	g := e2e.Start(t, e2e.Options{})
	_, key := g.CreateUser(t, "bob", false)
	g.CreateEndpoint(t, e2e.OpenAIEndpoint("metered", fake.URL+"/v1", fakeupstream.DefaultKey("openai")))
	var created struct{ ID string }
	r := g.Do(t, "POST", "/api/aigateway/v1/budgets", g.AdminKey, map[string]any{"scope": "user", "scopeId": "bob",
		"period": "week", "limitTokens": 40, "alertWebhookUrl": hook.URL})
	if r.Status != 200 || json.Unmarshal(r.Body, &created) != nil {
		t.Fatalf("create budget: %d %s", r.Status, r.Body)
	}
	waitForBudget(t, []*e2e.Gateway{g}, created.ID)
	body := map[string]any{"model": "metered", "max_tokens": 8, "messages": []map[string]string{{"role": "user", "content": "how far is the moon"}}}
	for range 20 {
		if g.Do(t, "POST", "/v1/chat/completions", key, body).Status == 429 {
			break
		}
	}
	var undelivered []e2e.ExportedEvent
	waitFor(t, "three undelivered alerts (50, 80, 100 %)", func() bool {
		undelivered = g.ExportAudit(t, "--kind", "BudgetAlertUndelivered")
		return len(undelivered) >= 3
	}, nil)
	thresholds := map[string]bool{}
	for _, ev := range undelivered {
		md := ev.Metadata
		if md["budgetId"] != created.ID || md["webhookUrl"] != hook.URL || !strings.Contains(md["reason"], "secret") {
			t.Errorf("undelivered alert metadata: %v", md)
		}
		thresholds[md["threshold"]] = true
	}
	metricsText := string(e2e.Do(t, g.URL, "GET", "/metrics", nil, nil).Body)
	want := "llmgate_budget_alerts_undelivered_total " + strconv.Itoa(len(undelivered))
	if len(undelivered) != 3 || len(thresholds) != 3 || !strings.Contains(metricsText, want) || posted.Load() != 0 {
		t.Fatalf("%d undelivered alerts over thresholds %v, %d posted unsigned; /metrics lacks %q", len(undelivered), thresholds, posted.Load(), want)
	}
}

// Every query surface refuses a query over budget the same way, in its own error envelope: 429
// with Retry-After until the period resets and a message naming the budget and the reset time.
func TestOverBudgetIsRefusedInEverySurfacesEnvelope(t *testing.T) {
	fake := e2e.StartFake(t, fakeupstream.Options{})
	g := e2e.Start(t, e2e.Options{})
	_, key := g.CreateUser(t, "cara", false)
	g.CreateEndpoint(t, e2e.OpenAIEndpoint("metered", fake.URL+"/v1", fakeupstream.DefaultKey("openai")))
	var created struct{ ID string }
	r := g.Do(t, "POST", "/api/aigateway/v1/budgets", g.AdminKey, map[string]any{"scope": "user", "scopeId": "cara", "period": "day", "limitTokens": 1})
	if r.Status != 200 || json.Unmarshal(r.Body, &created) != nil {
		t.Fatalf("create budget: %d %s", r.Status, r.Body)
	}
	waitForBudget(t, []*e2e.Gateway{g}, created.ID)
	msgs := []map[string]string{{"role": "user", "content": "hi"}}
	for _, s := range []struct {
		surface, path string
		body          map[string]any
		envelope      string
	}{
		{"mlflow", "/endpoints/metered/invocations", map[string]any{"messages": msgs}, `"detail":`},
		{"openai", "/v1/chat/completions", map[string]any{"model": "metered", "messages": msgs}, `"error":{`},
		{"anthropic", "/v1/messages", map[string]any{"model": "metered", "max_tokens": 8, "messages": msgs}, `"type":"error"`},
		{"responses", "/v1/responses", map[string]any{"model": "metered", "input": "hi"}, `"error":{`},
	} {
		r := g.Do(t, "POST", s.path, key, s.body)
		secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
		text := strings.ReplaceAll(string(r.Body), " ", "")
		if r.Status != http.StatusTooManyRequests || err != nil || secs <= 0 || secs > 86400 ||
			!strings.Contains(string(r.Body), created.ID) || !strings.Contains(string(r.Body), "resets at") || !strings.Contains(text, s.envelope) {
			t.Errorf("%s: %d Retry-After %q %s; want 429 in its envelope (%s) naming budget %s and its reset",
				s.surface, r.Status, r.Header.Get("Retry-After"), r.Body, s.envelope, created.ID)
		}
	}
}

// A budget changed while traffic flows neither loses nor double-counts a request: after
// concurrent queries interleaved with PATCHes of its limits, the budget's committed tokens equal
// the sum of the audited tokens of the queries it admitted, and nothing stays reserved.
func TestBudgetChangesUnderTrafficCountEveryRequestOnce(t *testing.T) {
	fake := e2e.StartFake(t, fakeupstream.Options{})
	g := e2e.Start(t, e2e.Options{})
	_, key := g.CreateUser(t, "dana", false)
	g.CreateEndpoint(t, e2e.OpenAIEndpoint("metered", fake.URL+"/v1", fakeupstream.DefaultKey("openai")))
	var created struct{ ID string }
	r := g.Do(t, "POST", "/api/aigateway/v1/budgets", g.AdminKey, map[string]any{"scope": "user", "scopeId": "dana", "period": "month", "limitTokens": 1_000_000})
	if r.Status != 200 || json.Unmarshal(r.Body, &created) != nil {
		t.Fatalf("create budget: %d %s", r.Status, r.Body)
	}
	waitForBudget(t, []*e2e.Gateway{g}, created.ID)
	body, _ := json.Marshal(map[string]any{"model": "metered", "max_tokens": 8, "messages": []map[string]string{{"role": "user", "content": "how far is the moon"}}})
	var wg sync.WaitGroup
	var admitted atomic.Int64
	for range 8 {
		wg.Go(func() {
			for range 10 {
				r, err := e2e.Try(context.Background(), g.URL, "POST", "/v1/chat/completions", map[string]string{"Authorization": "Bearer " + key}, body)
				if err != nil {
					t.Error(err)
					return
				}
				if r.Status == 200 {
					admitted.Add(1)
				}
			}
		})
	}
	for i := range 10 { // limits change under the traffic, the period and scope stay
		patch := map[string]any{"limitTokens": 900_000 + i, "limitCost": 100 + i}
		if r := g.Do(t, "PATCH", "/api/aigateway/v1/budgets/"+created.ID, g.AdminKey, patch); r.Status != 200 {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
	}
	wg.Wait()
	audited := int64(0)
	events := g.ExportAudit(t, "--kind", "AccessGatewayEndpoint")
	for _, ev := range events {
		n, _ := strconv.ParseInt(ev.Metadata["totalTokens"], 10, 64)
		audited += n
	}
	var got struct {
		Usage struct {
			UsedTokens     int64 `json:"usedTokens"`
			ReservedTokens int64 `json:"reservedTokens"`
		} `json:"usage"`
	}
	g.Do(t, "GET", "/api/aigateway/v1/budgets/"+created.ID, g.AdminKey, nil).JSON(t, &got)
	t.Logf("%d queries admitted during 10 budget changes; budget holds %d tokens, the audit trail %d over %d events", admitted.Load(), got.Usage.UsedTokens, audited, len(events))
	if admitted.Load() != 80 || int64(len(events)) != 80 || got.Usage.UsedTokens != audited || got.Usage.ReservedTokens != 0 {
		t.Fatalf("admitted %d, %d events; budget %d tokens (reserved %d) vs audited %d", admitted.Load(), len(events), got.Usage.UsedTokens, got.Usage.ReservedTokens, audited)
	}
}

// A price changed while traffic flows neither loses nor double-counts a request: after
// concurrent queries interleaved with PATCHes of the endpoint's pricing, a cost budget holds the
// sum of the costs the audit trail records for them (each rounded to a millionth), nothing
// reserved.
func TestPriceChangesUnderTrafficChargeEachRequestOnce(t *testing.T) {
	fake := e2e.StartFake(t, fakeupstream.Options{})
	g := e2e.Start(t, e2e.Options{})
	_, key := g.CreateUser(t, "eve", false)
	ep := e2e.OpenAIEndpoint("repriced", fake.URL+"/v1", fakeupstream.DefaultKey("openai"))
	ep["pricing"] = map[string]any{"inputPerMillionTokens": 1000, "outputPerMillionTokens": 1000}
	g.CreateEndpoint(t, ep)
	var created struct{ ID string }
	r := g.Do(t, "POST", "/api/aigateway/v1/budgets", g.AdminKey, map[string]any{"scope": "endpoint", "scopeId": "repriced", "period": "month", "limitCost": 1000})
	if r.Status != 200 || json.Unmarshal(r.Body, &created) != nil {
		t.Fatalf("create budget: %d %s", r.Status, r.Body)
	}
	waitForBudget(t, []*e2e.Gateway{g}, created.ID)
	body, _ := json.Marshal(map[string]any{"model": "repriced", "max_tokens": 8, "messages": []map[string]string{{"role": "user", "content": "how far is the moon"}}})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				if r, err := e2e.Try(context.Background(), g.URL, "POST", "/v1/chat/completions", map[string]string{"Authorization": "Bearer " + key}, body); err != nil || r.Status != 200 {
					t.Errorf("query: %v %+v", err, r)
					return
				}
			}
		})
	}
	for i := range 10 {
		price := map[string]any{"pricing": map[string]any{"inputPerMillionTokens": 1000 * (i + 2), "outputPerMillionTokens": 500 * (i + 2)}}
		if r := g.Do(t, "PATCH", "/api/aigateway/v1/endpoints/repriced", g.AdminKey, price); r.Status != 200 {
			t.Fatalf("pricing PATCH: %d %s", r.Status, r.Body)
		}
	}
	wg.Wait()
	audited, prices := 0.0, map[string]bool{}
	events := g.ExportAudit(t, "--kind", "AccessGatewayEndpoint")
	for _, ev := range events {
		c, err := strconv.ParseFloat(ev.Metadata["cost"], 64)
		if err != nil {
			t.Fatalf("cost %q of %v", ev.Metadata["cost"], ev.Metadata)
		}
		audited += c
		prices[ev.Metadata["cost"]] = true
	}
	var got struct {
		Usage struct {
			UsedCost       float64 `json:"usedCost"`
			ReservedTokens int64   `json:"reservedTokens"`
		} `json:"usage"`
	}
	g.Do(t, "GET", "/api/aigateway/v1/budgets/"+created.ID, g.AdminKey, nil).JSON(t, &got)
	t.Logf("80 queries during 10 price changes (%d distinct per-request costs): budget holds %.6f, the audit trail %.6f", len(prices), got.Usage.UsedCost, audited)
	if len(events) != 80 || math.Abs(got.Usage.UsedCost-audited) > 80e-6 || got.Usage.ReservedTokens != 0 {
		t.Fatalf("%d events; budget %.6f (reserved %d tokens) vs audited %.6f", len(events), got.Usage.UsedCost, got.Usage.ReservedTokens, audited)
	}
}
