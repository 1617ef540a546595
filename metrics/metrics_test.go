package metrics

import (
	"io"
	"net/http"
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
	m.ObserveAnswer(Answer{Endpoint: "chat", Surface: "openai", Provider: "openai", Model: "gpt-4o", Outcome: "success", PromptTokens: 9, CompletionTokens: 2, FirstByte: 30 * time.Millisecond})
	m.ObserveAuditCommit(12, 800*time.Microsecond)
	m.ObserveAuditCommit(3, 300*time.Microsecond)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	text := string(body)
	for _, want := range []string{
		`llmgate_requests_total{endpoint="chat",outcome="success",surface="openai"} 2`,
		`llmgate_requests_total{endpoint="chat",outcome="denied",surface="mlflow"} 1`,
		`llmgate_request_duration_seconds_count{endpoint="chat",outcome="success",surface="openai"} 2`,
		`llmgate_upstream_duration_seconds_count{endpoint="chat",surface="openai"} 1`,
		`llmgate_tokens_total{endpoint="chat",kind="prompt",model="gpt-4o",outcome="success",provider="openai",surface="openai"} 9`,
		`llmgate_tokens_total{endpoint="chat",kind="completion",model="gpt-4o",outcome="success",provider="openai",surface="openai"} 2`,
		`llmgate_time_to_first_byte_seconds_count{endpoint="chat",model="gpt-4o",outcome="success",provider="openai"} 1`,
		`llmgate_audit_commit_events_sum 15`,
		`llmgate_audit_commit_events_count 2`,
		`llmgate_audit_commit_events_bucket{le="4"} 1`,
		`llmgate_audit_commit_duration_seconds_bucket{le="0.0005"} 1`,
		`llmgate_audit_commit_duration_seconds_count 2`,
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
	m.ObserveAnswer(Answer{Endpoint: "e", Surface: "mlflow", PromptTokens: 1, CompletionTokens: 1})
	m.ObserveAuditCommit(1, time.Millisecond)
}

func scrape(t *testing.T, h http.Handler, auth string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

// Issue 10 finding 7: unprotected /metrics named restricted endpoints with their traffic.
func TestEndpointNamesAreHiddenUnlessEnabled(t *testing.T) {
	m := NewWithOptions(Options{EndpointNames: false})
	m.ObserveRequest("finance-restricted", "openai", "success", time.Millisecond)
	m.ObserveRequest("hr-restricted", "openai", "success", time.Millisecond)
	m.ObserveUpstream("finance-restricted", "openai", time.Millisecond)
	m.ObserveAnswer(Answer{Endpoint: "hr-restricted", Surface: "openai", Provider: "openai", Model: "m", Outcome: "success", PromptTokens: 3, CompletionTokens: 4, FirstByte: time.Millisecond})
	_, text := scrape(t, m.Handler(), "")
	if strings.Contains(text, "restricted") {
		t.Fatalf("an endpoint name reached unprotected metrics:\n%s", text)
	}
	for _, want := range []string{
		`llmgate_requests_total{endpoint="",outcome="success",surface="openai"} 2`,
		`llmgate_tokens_total{endpoint="",kind="completion",model="m",outcome="success",provider="openai",surface="openai"} 4`,
		`llmgate_time_to_first_byte_seconds_count{endpoint="",model="m",outcome="success",provider="openai"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("aggregated metrics lack %q", want)
		}
	}
}

func TestRequireToken(t *testing.T) {
	m := New()
	m.ObserveRequest("chat", "openai", "success", time.Millisecond)
	h := RequireToken("s3cret-metrics-token", m.Handler())
	for _, auth := range []string{"", "Bearer", "Bearer wrong", "Basic s3cret-metrics-token", "Bearer s3cret-metrics-tokenX"} {
		if code, body := scrape(t, h, auth); code != http.StatusUnauthorized || strings.Contains(body, "llmgate_requests_total") {
			t.Errorf("auth %q: %d, want 401 without metrics", auth, code)
		}
	}
	if code, body := scrape(t, h, "Bearer s3cret-metrics-token"); code != http.StatusOK || !strings.Contains(body, `endpoint="chat"`) {
		t.Errorf("right token: %d\n%s", code, body)
	}
}
