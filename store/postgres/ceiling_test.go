//go:build scale

package postgres_test

// The audit chain's ceiling on PostgreSQL (issue 13, target 6): three replicas' audit writers
// (group commit, each event durable before Write returns, as the query path waits for it) on
// one database, 32 callers each, for a few seconds. Run with
// `go test -tags scale -run TestAuditCeiling -v ./store/postgres/` (make bench-audit).

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/gateway"
)

func TestAuditCeilingWithThreeReplicas(t *testing.T) {
	url := schemaURL(t)
	keys := audit.NewKeyring(audit.GenerateKey())
	const replicas, callers, run = 3, 32, 5 * time.Second
	var writers []*audit.Writer
	for range replicas {
		s := open(t, url)
		s.SetAuditKeys(keys)
		w := audit.NewWriter(s, slog.New(slog.DiscardHandler))
		t.Cleanup(w.Close)
		writers = append(writers, w)
	}
	var done atomic.Int64
	stop := time.Now().Add(run)
	var wg sync.WaitGroup
	for _, w := range writers {
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(stop) {
					ev := &gateway.AuditEvent{ID: gateway.NewID(), Kind: gateway.KindAccessEndpoint, Timestamp: gateway.Now(),
						Metadata: map[string]string{"accessedByUsername": "u", "endpointName": "chat", "outcome": "success",
							"httpStatus": "200", "promptTokens": "12", "completionTokens": "30", "totalTokens": "42", "requestId": gateway.NewRequestID()}}
					if err := w.Write(ev); err != nil {
						t.Error(err)
						return
					}
					done.Add(1)
				}
			}()
		}
	}
	wg.Wait()
	t.Logf("%d replicas × %d callers: %d durable audit events in %s = %.0f events/s on one PostgreSQL",
		replicas, callers, done.Load(), run, float64(done.Load())/run.Seconds())
	report, err := audit.Verify(t.Context(), open(t, url), keys)
	if err != nil || !report.OK || int64(report.Events) != done.Load() {
		t.Fatalf("after the run the chain holds %d events (ok=%v, %v), want %d", report.Events, report.OK, err, done.Load())
	}
}
