package main

import (
	"context"
	"fmt"
	"github.com/llmgate/llmgate/breaker"
	"github.com/llmgate/llmgate/budget"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/respcache"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/llmgate/llmgate/api/anthropic"
	"github.com/llmgate/llmgate/api/domino"
	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/api/mlflow"
	"github.com/llmgate/llmgate/api/oauth"
	"github.com/llmgate/llmgate/api/openai"
	"github.com/llmgate/llmgate/api/responses"
	"github.com/llmgate/llmgate/api/scim"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/console"
	"github.com/llmgate/llmgate/identity/oidc"
	"github.com/llmgate/llmgate/metrics"
	"github.com/llmgate/llmgate/pipeline"
	"github.com/llmgate/llmgate/transport"
)

// mountRoutes adds every HTTP surface to mux: /health, the Domino admin API, the MLflow
// Deployments, OpenAI-compatible (chat completions and Responses) and Anthropic Messages query surfaces (sharing one pipeline), and /metrics unless
// it has its own listener (--metrics-addr). Every route it mounts needs a row in the
// authorization matrix (authz_test.go).
func mountRoutes(mux httpkit.Mux, a *app.App, s *settings, m *metrics.Metrics, cache respcache.Cache, brk breaker.Breaker, sso []*oidc.Provider) error {
	p, err := pipeline.New(a, pipeline.Options{Transport: transport.Do, MaxBodyBytes: s.MaxBodyBytes, Metrics: m,
		MaxResponseBytes: s.MaxResponseBytes, MaxInflightResponseBytes: s.MaxInflightResponseBytes,
		MaxConcurrentPerUser: s.MaxConcurrentPerUser, MaxInflightRequestBytes: s.MaxInflightRequestBytes,
		OnBudgetAlert: budgetAlerts(context.Background(), a, s.BudgetWebhookSecret, m, a.Log), Cache: cache, Breaker: brk})
	if err != nil {
		return err
	}
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		httpkit.WriteJSON(w, http.StatusOK, map[string]string{"status": "OK"})
	})
	domino.Register(mux, a, domino.Options{MaxBodyBytes: s.MaxBodyBytes, Breaker: p.Breaker()})
	mlflow.Register(mux, a, p, mlflow.Options{BasePath: s.MLflowPrefix, PageSize: s.ListPageSize})
	models := anthropic.Register(mux, a, p, anthropic.Options{Transport: transport.Do, MaxBodyBytes: s.MaxBodyBytes})
	openai.Register(mux, a, p, openai.Options{Models: models.Serve})
	responses.Register(mux, p)
	oauth.Register(mux, a)
	scim.Register(mux, a, scim.Options{PublicURL: s.PublicURL, MaxBodyBytes: s.MaxBodyBytes})
	console.Register(mux, a, console.Options{Query: playground(p), SecureCookies: s.TLSCert != "" || strings.HasPrefix(s.PublicURL, "https:"),
		PublicURL: s.PublicURL, SSO: sso})
	if m != nil {
		m.Registry().MustRegister(budget.NewGauges(func() []*gateway.Budget { return a.Snapshot().Budgets() }, a.Budgets),
			breaker.NewGauges(func() []*gateway.Endpoint { return a.Snapshot().Endpoints() }, p.Breaker()))
	}
	if s.MetricsAddr == "" {
		mux.Handle("GET /metrics", metricsHandler(s, m))
	}
	return nil
}

// playground runs the console's playground queries through the one query path, on the OpenAI
// wire (the page's script reads it), recorded in the audit as the console's.
func playground(p *pipeline.Pipeline) console.Querier {
	return func(w http.ResponseWriter, r *http.Request, t gateway.EndpointType, c app.Caller) {
		httpkit.ServeQuery(w, r, p, consoleSurface{}, pipeline.Query{Type: t, Caller: c})
	}
}

// consoleSurface is the OpenAI surface under the console's name.
type consoleSurface struct{ openai.Surface }

func (consoleSurface) API() string { return "console" }

// newMetrics names endpoints in series only when /metrics is protected: on its own listener
// (which the operator keeps off the callers' network) or behind a token. Otherwise anyone
// reaching the API port could read the names of endpoints they may not list.
func newMetrics(s *settings) *metrics.Metrics {
	return metrics.NewWithOptions(metrics.Options{EndpointNames: s.MetricsAddr != "" || s.MetricsToken != ""})
}

func metricsHandler(s *settings, m *metrics.Metrics) http.Handler {
	if s.MetricsToken != "" {
		return metrics.RequireToken(s.MetricsToken, m.Handler())
	}
	return m.Handler()
}

// listenMetrics opens the --metrics-addr listener, so a wrong address fails the start, and
// serves /metrics on it alone.
func listenMetrics(s *settings, m *metrics.Metrics, log *slog.Logger) error {
	ln, err := net.Listen("tcp", s.MetricsAddr)
	if err != nil {
		return fmt.Errorf("listening on --metrics-addr %s: %w", s.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metricsHandler(s, m))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
	log.Info("metrics listening", "url", "http://"+ln.Addr().String()+"/metrics")
	go func() {
		if err := srv.Serve(ln); err != nil {
			log.Warn("metrics listener stopped", "err", err)
		}
	}()
	return nil
}
