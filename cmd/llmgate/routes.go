package main

import (
	"net/http"

	"github.com/llmgate/llmgate/api/domino"
	"github.com/llmgate/llmgate/api/mlflow"
	"github.com/llmgate/llmgate/api/openai"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/metrics"
	"github.com/llmgate/llmgate/pipeline"
	"github.com/llmgate/llmgate/transport"
)

// mountRoutes adds every HTTP surface to mux: the Domino admin API, the MLflow Deployments
// and OpenAI-compatible query surfaces (sharing one pipeline), and /metrics.
func mountRoutes(mux *http.ServeMux, a *app.App, s *settings, m *metrics.Metrics) error {
	p, err := pipeline.New(a, pipeline.Options{Transport: transport.Do, MaxBodyBytes: s.MaxBodyBytes, Metrics: m})
	if err != nil {
		return err
	}
	domino.Register(mux, a, domino.Options{MaxBodyBytes: s.MaxBodyBytes})
	mlflow.Register(mux, a, p, mlflow.Options{BasePath: s.MLflowPrefix, PageSize: s.ListPageSize})
	openai.Register(mux, a, p, openai.Options{})
	mux.Handle("GET /metrics", m.Handler())
	return nil
}
