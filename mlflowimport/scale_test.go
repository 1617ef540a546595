package mlflowimport

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/internal/e2e"
	"github.com/llmgate/llmgate/store/postgres"
	"github.com/llmgate/llmgate/store/sqlite"
)

// scaleEndpoints is how many endpoints BenchmarkCreateEndpointAtScale seeds before it measures
// (LLMGATE_BENCH_ENDPOINTS, default 10,000: issue 13's target of 200 creates/s at that size).
func scaleEndpoints(b *testing.B) int {
	n := 10000
	if v := os.Getenv("LLMGATE_BENCH_ENDPOINTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 {
			b.Fatalf("LLMGATE_BENCH_ENDPOINTS=%q is not a count", v)
		}
	}
	return n
}

// mlflowConfig is an MLflow gateway config of n OpenAI chat endpoints named prefix-0000…
func mlflowConfig(prefix string, n int) []byte {
	var sb strings.Builder
	sb.WriteString("endpoints:\n")
	for i := range n {
		fmt.Fprintf(&sb, "  - name: %s-%05d\n    endpoint_type: llm/v1/chat\n    model:\n      provider: openai\n      name: gpt-4o-mini\n      config:\n        openai_api_key: sk-%d\n", prefix, i, i)
	}
	return []byte(sb.String())
}

// BenchmarkCreateEndpointAtScale seeds N endpoints with import-mlflow on SQLite and on
// PostgreSQL (LLMGATE_TEST_DATABASE_URL; skipped without it), reporting how long that took,
// then measures creating further endpoints one by one through the admin operation, each
// visible in this App's snapshot on return.
func BenchmarkCreateEndpointAtScale(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		dir := b.TempDir()
		store, err := sqlite.Open(context.Background(), filepath.Join(dir, "llmgate.db"))
		if err != nil {
			b.Fatal(err)
		}
		a, _, _ := newAppOn(b, store, dir)
		benchCreateAtScale(b, a)
	})
	b.Run("postgres", func(b *testing.B) {
		store, err := postgres.Open(context.Background(), e2e.PostgresURL(b))
		if err != nil {
			b.Fatal(err)
		}
		a, _, _ := newAppOn(b, store, b.TempDir())
		benchCreateAtScale(b, a)
	})
}

func benchCreateAtScale(b *testing.B, a *app.App) {
	n := scaleEndpoints(b)
	ctx := context.Background()
	start := time.Now()
	created, err := Import(ctx, a, app.CLIActor, mlflowConfig("seed", n), envOf(nil))
	if err != nil || len(created) != n {
		b.Fatalf("seeding %d endpoints: created %d, err %v", n, len(created), err)
	}
	importTime := time.Since(start)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		name := fmt.Sprintf("bench-%d", i)
		_, err := a.CreateEndpoint(ctx, app.CLIActor, app.EndpointInput{Name: name, Type: gateway.TypeChat,
			Provider: "openai", Model: "gpt-4o-mini", Config: map[string]app.ConfigValue{"openai_api_key": {Value: "sk"}}})
		if err != nil {
			b.Fatal(err)
		}
		if a.Snapshot().Endpoint(name) == nil {
			b.Fatalf("endpoint %s not visible after create", name)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
	b.ReportMetric(importTime.Seconds(), "import-s")
}
