package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHandlerExposesRecordedSeries(t *testing.T) {
	m := New()
	m.ObserveRequest("chat", "openai", "success", 120*time.Millisecond)
	m.ObserveRequest("chat", "openai", "success", 80*time.Millisecond)
	m.ObserveRequest("chat", "mlflow", "denied", time.Millisecond)
	m.ObserveUpstream("chat", "openai", 100*time.Millisecond)
	m.AddTokens("chat", "openai", 9, 2)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	text := string(body)
	for _, want := range []string{
		`llmgate_requests_total{endpoint="chat",outcome="success",surface="openai"} 2`,
		`llmgate_requests_total{endpoint="chat",outcome="denied",surface="mlflow"} 1`,
		`llmgate_request_duration_seconds_count{endpoint="chat",outcome="success",surface="openai"} 2`,
		`llmgate_upstream_duration_seconds_count{endpoint="chat",surface="openai"} 1`,
		`llmgate_tokens_total{endpoint="chat",kind="prompt",surface="openai"} 9`,
		`llmgate_tokens_total{endpoint="chat",kind="completion",surface="openai"} 2`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics output lacks %q", want)
		}
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	var m *Metrics
	m.ObserveRequest("e", "mlflow", "success", time.Second)
	m.ObserveUpstream("e", "mlflow", time.Second)
	m.AddTokens("e", "mlflow", 1, 1)
}
