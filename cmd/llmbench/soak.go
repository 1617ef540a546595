package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The soak (-soak DURATION, `make soak`) holds the gateway under a mixed load for a long time
// and watches its memory: concurrent callers ask for normal answers, upstream failures
// (5xx, 429, a dropped connection, a stream cut mid-way, malformed JSON) and oversized
// answers, chosen through the fake upstream's model-name markers; the gateway's resident
// set is sampled every second. It fails when RSS passes the ceiling, when the gateway dies,
// when any call gets a 500 (an internal error, whatever the upstream did), or when a normal
// call fails (faults must stay with the calls that asked for them).

// soakScenario is one kind of upstream answer, by the model name the fake reads.
type soakScenario struct {
	name   string
	model  string
	stream bool
	weight int
	normal bool // a healthy answer the caller must get whole
}

var soakScenarios = []soakScenario{
	{"normal", upstreamModel, false, 8, true},
	{"normal-stream", upstreamModel, true, 4, true},
	{"upstream-500", "fake-error-500", false, 1, false},
	{"upstream-503-stream", "fake-error-503", true, 1, false},
	{"upstream-429", "fake-ratelimit", false, 1, false},
	{"dropped-connection", "fake-drop", false, 1, false},
	{"mid-stream-cut", "fake-drop", true, 1, false},
	{"malformed-json", "fake-malformed", false, 1, false},
	{"big-512KiB", "fake-big-512", false, 1, false},
	{"big-512KiB-stream", "fake-big-512", true, 1, false},
	{"oversized-32MiB", "fake-big-32768", false, 1, false},
	{"oversized-32MiB-stream", "fake-big-32768", true, 1, false},
}

// soakUsers share the callers, so per-user accounting sees several users.
const soakUsers = 4

// soakCallTimeout bounds one call; an oversized stream takes seconds on a busy machine.
const soakCallTimeout = 3 * time.Minute

func soakEndpoint(model string) string {
	return "soak-" + strings.NewReplacer(".", "-", "_", "-").Replace(model)
}

// soakSetUp creates the callers' users and keys and one endpoint per upstream model, each
// open to everyone with limits far above the load; it returns the callers' keys.
func (g *gateway) soakSetUp(fakeURL string) ([]string, error) {
	var keys []string
	for i := range soakUsers {
		var user struct {
			User struct {
				ID string `json:"id"`
			} `json:"user"`
		}
		name := fmt.Sprintf("soak-%d", i+1)
		if err := g.admin2xx("POST", "/api/users/v1/users", map[string]any{"userName": name, "email": name + "@example.org"}, &user); err != nil {
			return nil, err
		}
		var tok struct {
			Token string `json:"token"`
		}
		if err := g.admin2xx("POST", "/api/pat/v1/users/"+user.User.ID+"/tokens", map[string]any{"name": "soak"}, &tok); err != nil {
			return nil, err
		}
		keys = append(keys, tok.Token)
	}
	made := map[string]bool{}
	for _, sc := range soakScenarios {
		if made[sc.model] {
			continue
		}
		made[sc.model] = true
		ep := map[string]any{
			"endpointName": soakEndpoint(sc.model), "endpointType": "llm/v1/chat", "modelProvider": "openai", "modelName": sc.model,
			"modelConfig":         map[string]any{"openai_api_key": fakeKey, "openai_api_base": fakeURL + "/v1"},
			"endpointPermissions": map[string]any{"isEveryoneAllowed": true, "userIds": []string{}},
			"rateLimits": map[string]any{
				"callsPerMinute":  map[string]any{"endpoint": benchLimit, "perUser": benchLimit},
				"tokensPerMinute": map[string]any{"endpoint": benchLimit, "perUser": benchLimit},
			},
		}
		if err := g.admin2xx("POST", "/api/aigateway/v1/endpoints", ep, nil); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// soakCounts tallies outcomes by scenario and status ("error" for a failed transport).
type soakCounts struct {
	mu       sync.Mutex
	byKey    map[string]int
	bytes    int64
	badFirst string // the first failed normal call
	bad      int
	internal int // answers of HTTP 500: a gateway bug, whatever the upstream did
}

func (c *soakCounts) add(sc soakScenario, outcome string, n int64, whole bool, detail string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byKey[sc.name+" "+outcome]++
	c.bytes += n
	if strings.HasPrefix(outcome, "500") {
		c.internal++
	}
	if sc.normal && !whole {
		c.bad++
		if c.badFirst == "" {
			c.badFirst = sc.name + ": " + detail
		}
	}
}

// soakCall makes one call of scenario sc through the OpenAI or the MLflow surface. Calls run
// to their end even when the soak's time is up, so every started call is counted.
func soakCall(client *http.Client, gwURL, key string, sc soakScenario, mlflow bool, counts *soakCounts) {
	ctx, cancel := context.WithTimeout(context.Background(), soakCallTimeout)
	defer cancel()
	msg := map[string]any{"messages": []map[string]string{{"role": "user", "content": "How far is the moon?"}}, "stream": sc.stream}
	url := gwURL + "/endpoints/" + soakEndpoint(sc.model) + "/invocations"
	if !mlflow {
		msg["model"] = soakEndpoint(sc.model)
		url = gwURL + "/v1/chat/completions"
	}
	body, _ := json.Marshal(msg)
	req, _ := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := client.Do(req)
	if err != nil {
		counts.add(sc, "error", 0, false, err.Error())
		return
	}
	defer resp.Body.Close()
	// Keep only the tail: enough to see how a stream ended, without holding big answers.
	var tail tailBuffer
	n, err := io.Copy(&tail, resp.Body)
	whole := err == nil && resp.StatusCode == http.StatusOK
	if whole && !mlflow {
		whole = !sc.stream || bytes.HasSuffix(bytes.TrimSpace(tail.b), []byte("data: [DONE]"))
	}
	outcome := fmt.Sprint(resp.StatusCode)
	if err != nil {
		outcome += "+cut"
	}
	counts.add(sc, outcome, n, whole, fmt.Sprintf("HTTP %d %v: %.200s", resp.StatusCode, err, tail.b))
}

// tailBuffer keeps the last 4 KiB written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4<<10 {
		t.b = append(t.b[:0], t.b[len(t.b)-4<<10:]...)
	}
	return len(p), nil
}

// soak runs the mixed load for d with n callers, sampling the gateway's RSS every second.
func soak(cfg *config, gw *gateway, keys []string) error {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * cfg.soakCallers, DisableCompression: true}}
	var plan []soakScenario
	for _, sc := range soakScenarios {
		for range sc.weight {
			plan = append(plan, sc)
		}
	}
	counts := &soakCounts{byKey: map[string]int{}}
	ctx, stop := context.WithTimeout(context.Background(), cfg.soak)
	defer stop()
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range cfg.soakCallers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1)
				sc := plan[int(i)%len(plan)]
				soakCall(client, gw.url, keys[w%len(keys)], sc, i%3 == 0, counts)
			}
		})
	}
	rss, died := sampleRSS(ctx, gw)
	wg.Wait()
	return soakReport(cfg, counts, rss, died, time.Since(start), gw.errorLogs.Load())
}

// sampleRSS reads the gateway's VmRSS (KiB) every second until ctx ends or the gateway exits.
func sampleRSS(ctx context.Context, gw *gateway) (samples []int64, died bool) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return samples, false
		case <-gw.done:
			return samples, true
		case <-tick.C:
			m, err := gw.readMemory()
			if err != nil {
				return samples, true
			}
			samples = append(samples, m.rssKiB)
		}
	}
}

func soakReport(cfg *config, c *soakCounts, rss []int64, died bool, elapsed time.Duration, errorLogs int64) error {
	total := 0
	keys := make([]string, 0, len(c.byKey))
	for k, n := range c.byKey {
		keys = append(keys, k)
		total += n
	}
	sort.Strings(keys)
	sorted := slices.Clone(rss)
	slices.Sort(sorted)
	var maxKiB, medKiB int64
	if len(sorted) > 0 {
		maxKiB, medKiB = sorted[len(sorted)-1], sorted[len(sorted)/2]
	}
	mib := func(kib int64) float64 { return float64(kib) / 1024 }
	w := os.Stdout
	fmt.Fprintf(w, "soak: %v, %d callers, %d calls (%.1f/s), %.1f MiB relayed\n", elapsed.Round(time.Second), cfg.soakCallers, total,
		float64(total)/elapsed.Seconds(), float64(c.bytes)/(1<<20))
	fmt.Fprintf(w, "gateway RSS: max %.1f MiB, median %.1f MiB over %d one-second samples (ceiling %d MiB); %d error log lines\n",
		mib(maxKiB), mib(medKiB), len(rss), cfg.soakMaxRSSMiB, errorLogs)
	fmt.Fprintln(w, "calls by scenario and gateway status:")
	for _, k := range keys {
		fmt.Fprintf(w, "  %-40s %d\n", k, c.byKey[k])
	}
	var fails []string
	if died {
		fails = append(fails, "the gateway exited during the soak")
	}
	if maxKiB > int64(cfg.soakMaxRSSMiB)<<10 {
		fails = append(fails, fmt.Sprintf("RSS reached %.1f MiB, over the %d MiB ceiling", mib(maxKiB), cfg.soakMaxRSSMiB))
	}
	if c.bad > 0 {
		fails = append(fails, fmt.Sprintf("%d normal calls failed, first: %s", c.bad, c.badFirst))
	}
	if c.internal > 0 {
		fails = append(fails, fmt.Sprintf("%d calls answered 500 (internal error)", c.internal))
	}
	if total == 0 {
		fails = append(fails, "no call completed")
	}
	if len(fails) > 0 {
		return fmt.Errorf("soak failed: %s", strings.Join(fails, "; "))
	}
	fmt.Fprintln(w, "soak passed")
	return nil
}
