//go:build scale

package postgres_test

// The audit chain's ceiling on PostgreSQL (issue 13, target 6): three replicas' audit writers
// (group commit, each event durable before Write returns, as the query path waits for it) on
// one database, 32 callers each, for a few seconds. Beside it, in the same run, the same three
// writers each on a chain of its own (three schemas: what per-replica chains would give): if
// the single head capped the fleet, the separate chains would sustain clearly more. Run with
// `go test -tags scale -run TestAuditCeiling -v ./store/postgres/` (make bench-audit); point
// LLMGATE_TEST_DATABASE_URL at a PostgreSQL with fsync on for a figure that means anything.

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/store/postgres"
)

const (
	ceilingReplicas = 3
	ceilingCallers  = 32
	ceilingRun      = 5 * time.Second
)

func TestAuditCeilingWithThreeReplicas(t *testing.T) {
	keys := audit.NewKeyring(audit.GenerateKey())
	shared := schemaURL(t)
	var one []*postgres.Store
	for range ceilingReplicas {
		one = append(one, open(t, shared))
	}
	oneRate, n := driveWriters(t, keys, one)
	report, err := audit.Verify(t.Context(), open(t, shared), keys)
	if err != nil || !report.OK || int64(report.Events) != n {
		t.Fatalf("after the run the shared chain holds %d events (ok=%v, %v), want %d", report.Events, report.OK, err, n)
	}

	var separate []*postgres.Store
	for range ceilingReplicas {
		separate = append(separate, open(t, schemaURL(t)))
	}
	sepRate, _ := driveWriters(t, keys, separate)
	t.Logf("%d replicas × %d callers, durable audit events on one PostgreSQL: one chain %.0f events/s, a chain per replica %.0f events/s (%.2f×)",
		ceilingReplicas, ceilingCallers, oneRate, sepRate, sepRate/oneRate)
}

// driveWriters runs an audit writer per store with ceilingCallers callers each for
// ceilingRun and returns the durable events per second of all of them together, and how many.
func driveWriters(t *testing.T, keys gateway.AuditKeys, stores []*postgres.Store) (float64, int64) {
	var writers []*audit.Writer
	for _, s := range stores {
		s.SetAuditKeys(keys)
		w := audit.NewWriter(s, slog.New(slog.DiscardHandler))
		writers = append(writers, w)
	}
	var done atomic.Int64
	stop := time.Now().Add(ceilingRun)
	var wg sync.WaitGroup
	for _, w := range writers {
		for range ceilingCallers {
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
	for _, w := range writers {
		w.Close()
	}
	return float64(done.Load()) / ceilingRun.Seconds(), done.Load()
}
