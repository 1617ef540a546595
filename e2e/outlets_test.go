package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/internal/e2e"
	"github.com/llmgate/llmgate/webhook"
)

// The access log has one line per query with the access event's fields, and the audit sink
// receives every committed event, signed, in chain order — both agree with the audit trail.
func TestAccessLogAndAuditSinkAgreeWithTheTrail(t *testing.T) {
	const secret = "audit-sink-test-secret"
	var mu sync.Mutex
	var received []e2e.ExportedEvent
	failFirst := true
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), time.Minute) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if failFirst { // the collector is briefly down: the delivery is retried
			failFirst = false
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		var batch []e2e.ExportedEvent
		json.Unmarshal(body, &batch)
		received = append(received, batch...)
	}))
	defer sink.Close()
	logPath := filepath.Join(t.TempDir(), "access.jsonl")
	fake := e2e.StartFake(t, fakeupstream.Options{})
	g := e2e.Start(t, e2e.Options{Env: []string{"LLMGATE_ACCESS_LOG=" + logPath, "LLMGATE_AUDIT_SINK_URL=" + sink.URL,
		"LLMGATE_AUDIT_SINK_SECRET=" + secret}})
	_, key := g.CreateUser(t, "ann", false)
	g.CreateEndpoint(t, e2e.OpenAIEndpoint("chat", fake.URL+"/v1", fakeupstream.DefaultKey("openai")))
	for _, p := range []string{"one", "two words", "three words here"} {
		if r := g.Chat(t, key, "chat", p); r.Status != 200 {
			t.Fatalf("chat: %d", r.Status)
		}
	}
	trail := g.ExportAudit(t)
	// The sink gets what this server commits (admin commands run from the CLI commit, and
	// would push, from their own process): here the 3 access events, after one retry.
	bySeq := map[int64]e2e.ExportedEvent{}
	for _, ev := range trail {
		bySeq[ev.Seq] = ev
	}
	accessAt := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, ev := range received {
			if ev.Kind == "AccessGatewayEndpoint" {
				n++
			}
		}
		return n
	}
	waitFor(t, "the 3 access events at the sink", func() bool { return accessAt() == 3 }, nil)
	mu.Lock()
	for i, ev := range received {
		if want, ok := bySeq[ev.Seq]; !ok || want.ID != ev.ID || i > 0 && ev.Seq <= received[i-1].Seq {
			t.Fatalf("sink event %d (seq %d %s) is not the trail's, or out of chain order", i, ev.Seq, ev.ID)
		}
	}
	mu.Unlock()

	g.Stop(t) // the access log is written through before the process exits
	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("access log line is not JSON: %s", sc.Bytes())
		}
		lines = append(lines, m)
	}
	var access []e2e.ExportedEvent
	for _, ev := range trail {
		if ev.Kind == "AccessGatewayEndpoint" {
			access = append(access, ev)
		}
	}
	if len(lines) != len(access) || len(lines) != 3 {
		t.Fatalf("%d access log lines for %d access events", len(lines), len(access))
	}
	for i, l := range lines {
		md := access[i].Metadata
		for _, k := range []string{"accessedByUsername", "endpointName", "modelName", "promptTokens", "completionTokens", "totalTokens", "cost", "requestId", "outcome"} {
			if l[k] != md[k] {
				t.Errorf("line %d %s = %v, the audit event says %q", i, k, l[k], md[k])
			}
		}
	}
}
