package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/internal/e2e"
)

// Crash load: bounded so it fits a shared CI machine, large enough that SIGKILL lands with
// requests in flight and audit batches uncommitted.
const (
	crashWorkers    = 8
	crashMaxCalls   = 400
	crashKillAfter  = 150 // answered calls before the kill
	crashEndpoint   = "crash-chat"
	crashSlowMarker = "gpt-fake-slow-3" // 3 ms upstream think time keeps calls overlapping
)

// TestCrashLosesNoAuditEventOfAnAnsweredRequest kills the gateway with SIGKILL in the middle
// of concurrent traffic, restarts it on the same data, and checks docs/contract/product.md's promise: an
// event for a request is durable before its response is complete.
func TestCrashLosesNoAuditEventOfAnAnsweredRequest(t *testing.T) {
	onEveryBackend(t, func(t *testing.T, b e2e.Backend) {
		fake := e2e.StartFake(t, fakeupstream.Options{})
		opts := b.Options()
		opts.DataDir = t.TempDir()
		g := e2e.Start(t, opts)
		_, key := g.CreateUser(t, "crash", false)
		ep := e2e.OpenAIEndpoint(crashEndpoint, fake.URL+"/v1", fakeupstream.DefaultKey("openai"))
		ep["modelName"] = crashSlowMarker
		g.CreateEndpoint(t, ep)

		answered := driveUntilKilled(t, g, key)
		if len(answered) < crashKillAfter {
			t.Fatalf("only %d calls answered before the kill, want at least %d", len(answered), crashKillAfter)
		}

		opts.AdminKey = g.AdminKey
		restarted := e2e.Start(t, opts)
		events := restarted.AccessRequestIDs(t, crashEndpoint)
		lost := 0
		for id := range answered {
			switch n := events[id]; n {
			case 1:
			case 0:
				lost++
				t.Errorf("answered request %s has no audit event after the crash", id)
			default:
				t.Errorf("answered request %s has %d audit events", id, n)
			}
		}
		t.Logf("%s: %d requests answered before SIGKILL, %d access events found after restart (in-flight ones included), lost = %d",
			b.Name, len(answered), len(events), lost)
		t.Log(restarted.VerifyAudit(t))
	})
}

// driveUntilKilled runs crashWorkers callers (half streaming) against g, kills g with
// SIGKILL once crashKillAfter calls were answered, and returns the request ids of every
// call whose caller received a complete answer.
func driveUntilKilled(t *testing.T, g *e2e.Gateway, key string) map[string]bool {
	t.Helper()
	var (
		mu       sync.Mutex
		answered = map[string]bool{}
		issued   atomic.Int64
		failures atomic.Int64
		killNow  = make(chan struct{})
		once     sync.Once
		wg       sync.WaitGroup
	)
	for w := range crashWorkers {
		wg.Go(func() {
			for issued.Add(1) <= crashMaxCalls {
				stream := w%2 == 1
				r, err := e2e.Try(context.Background(), g.URL, "POST", "/v1/chat/completions",
					map[string]string{"Authorization": "Bearer " + key}, e2e.ChatBody(crashEndpoint, "crash test", stream))
				if err != nil || !completeAnswer(r, stream) {
					failures.Add(1)
					if isClosed(g.Exited()) {
						return
					}
					if err == nil {
						t.Errorf("worker %d: answer before the kill was not complete: %d %s", w, r.Status, r.Body)
					}
					continue
				}
				mu.Lock()
				answered[r.Header.Get("X-Request-Id")] = true
				if len(answered) == crashKillAfter {
					once.Do(func() { close(killNow) })
				}
				mu.Unlock()
			}
		})
	}
	workersDone := make(chan struct{})
	go func() { wg.Wait(); close(workersDone) }()
	select {
	case <-killNow:
		g.Kill()
	case <-workersDone: // every call made without reaching the kill point: the caller fails
	}
	<-workersDone
	t.Logf("SIGKILL sent after %d answers; %d calls issued in all, %d failed or cut off", crashKillAfter, min(issued.Load(), crashMaxCalls), failures.Load())
	return answered
}

// completeAnswer reports whether r is a whole successful answer: a chat completion with a
// choice, or a stream that reached its [DONE] terminator.
func completeAnswer(r *e2e.Response, stream bool) bool {
	if r.Status != http.StatusOK || r.Header.Get("X-Request-Id") == "" {
		return false
	}
	if stream {
		return bytes.HasSuffix(bytes.TrimSpace(r.Body), []byte("data: [DONE]"))
	}
	var c struct {
		Choices []json.RawMessage `json:"choices"`
	}
	return json.Unmarshal(r.Body, &c) == nil && len(c.Choices) > 0
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
