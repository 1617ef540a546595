package pipelinetest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/api/mlflow"
	"github.com/llmgate/llmgate/api/openai"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/metrics"
	"github.com/llmgate/llmgate/pipeline"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/ratelimit/memory"
	"github.com/llmgate/llmgate/secrets"
	"github.com/llmgate/llmgate/secrets/local"
	"github.com/llmgate/llmgate/store/sqlite"
)

// UpstreamKey is the credential endpoints created by Env.Endpoint carry and the upstream
// accepts; tests grep every output for it.
const UpstreamKey = "sk-upstream-SECRET-7f3a9c"

// Env is a running in-process gateway with both query surfaces and a fake upstream.
type Env struct {
	T        testing.TB
	App      *app.App
	Server   *httptest.Server
	Upstream *Upstream
	Metrics  *metrics.Metrics
	// AuditKeys chain the trail (derived from the master key, as `serve` does by default).
	AuditKeys gateway.AuditKeys
	logs      *lockedWriter
	AdminKey  string
	// Pipeline serves both query surfaces.
	Pipeline *pipeline.Pipeline
	// DataDir holds the SQLite database (llmgate.db) and the key files.
	DataDir string
}

// Options tweak the environment.
type Options struct {
	Pipeline pipeline.Options // Metrics is filled in, and Transport when nil
	BasePath string
	PageSize int
	// Bearers accept identity providers' JWTs in place of keys (app.Options.Bearers).
	Bearers []app.BearerVerifier
	// Providers are served beside fakeai (e.g. a real provider against fakeupstream).
	Providers []*provider.Spec
}

// New starts an environment; everything stops at test cleanup.
func New(t testing.TB, o Options) *Env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "llmgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := local.LoadKeyring(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	auditKeys := audit.NewDerivedKeyring(keys)
	store.SetAuditKeys(auditKeys)
	logs := &lockedWriter{w: &bytes.Buffer{}}
	log := slog.New(slog.NewTextHandler(logs, nil))
	writer := audit.NewWriter(store, log)
	a, err := app.New(ctx, app.Options{Store: store, Secrets: secrets.NewResolver(local.New(store, keys), nil),
		Providers: provider.NewRegistry(append([]*provider.Spec{Spec}, o.Providers...)...), Limiter: memory.New(), Audit: writer, AuditKeys: auditKeys, Log: log, Bearers: o.Bearers})
	if err != nil {
		t.Fatal(err)
	}
	adminKey, _, err := a.Bootstrap(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{T: t, App: a, Upstream: NewUpstream(UpstreamKey), Metrics: metrics.New(), logs: logs, AdminKey: adminKey,
		AuditKeys: auditKeys, DataDir: dir}
	po := o.Pipeline
	if po.Transport == nil {
		po.Transport = Transport
	}
	po.Metrics = e.Metrics
	p, err := pipeline.New(a, po)
	if err != nil {
		t.Fatal(err)
	}
	e.Pipeline = p
	mux := http.NewServeMux()
	mlflow.Register(mux, a, p, mlflow.Options{BasePath: o.BasePath, PageSize: o.PageSize})
	openai.Register(mux, a, p, openai.Options{BasePath: o.BasePath})
	mux.Handle("GET /metrics", e.Metrics.Handler())
	e.Server = httptest.NewServer(httpkit.Middleware(log, mux))
	t.Cleanup(func() {
		e.Server.Close()
		e.Upstream.Close()
		writer.Close()
		store.Close()
	})
	return e
}

// Transport is a minimal transport.Do stand-in: the request bound to ctx on a plain client.
func Transport(ctx context.Context, req *provider.HTTPRequest) (*http.Response, error) {
	r, err := http.NewRequestWithContext(ctx, req.Method, req.URL, bytes.NewReader(req.Body))
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeInternal, err, "building upstream request")
	}
	r.Header = req.Header.Clone()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeUpstream, err, "could not reach the provider")
	}
	return resp, nil
}

// User creates a user with a key and returns its id and key.
func (e *Env) User(name string) (id, key string) {
	e.T.Helper()
	ctx := context.Background()
	u, err := e.App.CreateUser(ctx, app.CLIActor, app.NewUser{UserName: name})
	if err != nil {
		e.T.Fatal(err)
	}
	key, _, err = e.App.CreateKey(ctx, app.CLIActor, u.ID, "test", 0, "")
	if err != nil {
		e.T.Fatal(err)
	}
	return u.ID, key
}

// Endpoint creates an endpoint of the fakeai provider pointing at the upstream, holding
// UpstreamKey as its (secret-store) credential. mutate may adjust the input.
func (e *Env) Endpoint(name string, t gateway.EndpointType, model string, mutate func(*app.EndpointInput)) *gateway.Endpoint {
	e.T.Helper()
	in := app.EndpointInput{Name: name, Type: t, Provider: "fakeai", Model: model,
		Config: map[string]app.ConfigValue{
			KeyAPIKey:  {Value: UpstreamKey},
			KeyAPIBase: {Value: e.Upstream.BaseURL()},
		},
		Permissions: gateway.Permissions{IsEveryoneAllowed: true}}
	if mutate != nil {
		mutate(&in)
	}
	ep, err := e.App.CreateEndpoint(context.Background(), app.CLIActor, in)
	if err != nil {
		e.T.Fatal(err)
	}
	return ep
}

// Do sends a request with the API key as a Bearer token and returns status, headers and body.
func (e *Env) Do(method, path, key string, body any) (int, http.Header, []byte) {
	e.T.Helper()
	resp := e.Send(method, path, key, body)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.T.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// Send is Do without reading the body.
func (e *Env) Send(method, path, key string, body any) *http.Response {
	e.T.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = bytes.NewBufferString(s)
		} else {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(method, e.Server.URL+path, rd)
	if err != nil {
		e.T.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "pipelinetest/1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	return resp
}

// AccessEvents returns the access audit events of an endpoint, oldest first.
func (e *Env) AccessEvents(endpoint string) []gateway.AuditEvent {
	e.T.Helper()
	evs, err := e.App.Store.QueryAudit(context.Background(), gateway.AuditFilter{
		Kinds: []string{gateway.KindAccessEndpoint}, EndpointNames: []string{endpoint}})
	if err != nil {
		e.T.Fatal(err)
	}
	return evs
}

// Logs returns everything the gateway logged so far.
func (e *Env) Logs() string {
	e.logs.mu.Lock()
	defer e.logs.mu.Unlock()
	return e.logs.w.String()
}

// lockedWriter lets the logger and tests share the log buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
