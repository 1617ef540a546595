package domino

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/secrets/local"
	"github.com/llmgate/llmgate/store/sqlite"
)

// testProviders mirrors the MLflow provider table closely enough for the admin API: the
// real registry's translators are not needed to manage endpoints.
func testProviders() *provider.Registry {
	all := []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions, gateway.TypeEmbeddings}
	return provider.NewRegistry(
		&provider.Spec{Name: "openai", Types: all, RequiredKeys: []string{"openai_api_key"},
			OptionalKeys: []string{"openai_api_base", "openai_api_type", "openai_organization"},
			Models:       map[gateway.EndpointType][]string{gateway.TypeChat: {"gpt-4o-mini"}}},
		&provider.Spec{Name: "anthropic", Types: []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions},
			RequiredKeys: []string{"anthropic_api_key"}},
		&provider.Spec{Name: "amazon-bedrock", Aliases: []string{"bedrock"}, Types: all, RequiredKeys: []string{"aws_region"}},
	)
}

// env is one in-process gateway serving the Domino routes over real HTTP.
type env struct {
	t        *testing.T
	srv      *httptest.Server
	app      *app.App
	store    gateway.Store
	secrets  *local.Store
	adminKey string
	logs     *bytes.Buffer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "llmgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	keys, err := local.LoadKeyring(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: store, secrets: local.New(store, keys), logs: &bytes.Buffer{}}
	log := slog.New(slog.NewTextHandler(e.logs, nil))
	a, err := app.New(ctx, app.Options{Store: e.store, Secrets: e.secrets, Providers: testProviders(), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	e.app = a
	key, created, err := a.Bootstrap(ctx, "")
	if err != nil || !created {
		t.Fatalf("bootstrap: created=%v err=%v", created, err)
	}
	e.adminKey = key
	mux := http.NewServeMux()
	Register(mux, a, Options{MaxBodyBytes: 64 << 10})
	e.srv = httptest.NewServer(httpkit.Middleware(log, mux))
	t.Cleanup(e.srv.Close)
	return e
}

// user creates a non-admin user and returns its id and key.
func (e *env) user(name string) (id, key string) {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.app.CreateUser(ctx, app.CLIActor, app.NewUser{UserName: name, FirstName: strings.ToUpper(name[:1]), LastName: "Test"})
	if err != nil {
		e.t.Fatal(err)
	}
	key, _, err = e.app.CreateKey(ctx, app.CLIActor, u.ID, "test", 0, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID, key
}

func (e *env) org(name string, memberIDs ...string) string {
	e.t.Helper()
	var members []gateway.OrgMember
	for _, id := range memberIDs {
		members = append(members, gateway.OrgMember{UserID: id})
	}
	o, err := e.app.CreateOrg(context.Background(), app.CLIActor, name, members)
	if err != nil {
		e.t.Fatal(err)
	}
	return o.ID
}

// secretCount is how many credentials the secret store holds.
func (e *env) secretCount() int {
	e.t.Helper()
	list, err := e.store.ListSecrets(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return len(list)
}

// eventCount is the length of the audit trail.
func (e *env) eventCount() int {
	e.t.Helper()
	events, _, err := e.store.AuditChain(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return len(events)
}

// resp is a completed exchange.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r *resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response is not the expected JSON (%v): %s", err, r.body)
	}
}

func (r *resp) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	r.json(t, &m)
	return m
}

func (r *resp) expect(t *testing.T, status int) *resp {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	return r
}

// do sends a request with the key in X-Domino-Api-Key ("" sends no credential). body may
// be nil, a string (sent verbatim) or a value to JSON-encode.
func (e *env) do(method, path, key string, body any) *resp {
	e.t.Helper()
	headers := map[string]string{}
	if key != "" {
		headers["X-Domino-Api-Key"] = key
	}
	return e.doHeaders(method, path, headers, body)
}

func (e *env) doHeaders(method, path string, headers map[string]string, body any) *resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return &resp{status: res.StatusCode, header: res.Header, body: raw}
}

// newEndpoint is a valid NewEndpointV1 body for an OpenAI endpoint.
func newEndpoint(name, typ string, everyone bool, userIDs ...string) map[string]any {
	if userIDs == nil {
		userIDs = []string{}
	}
	return map[string]any{
		"endpointName":        name,
		"endpointType":        typ,
		"endpointPermissions": map[string]any{"isEveryoneAllowed": everyone, "userIds": userIDs},
		"modelProvider":       "openai",
		"modelName":           "gpt-4o-mini",
		"modelConfig":         map[string]any{"openai_api_key": "sk-test-" + name + "-SECRETVALUE"},
	}
}

func (e *env) create(body map[string]any) map[string]any {
	e.t.Helper()
	return e.do("POST", "/api/aigateway/v1/endpoints", e.adminKey, body).expect(e.t, 200).object(e.t)
}

var hex24 = regexp.MustCompile(`^[0-9a-f]{24}$`)

// assertEnvelope checks the Domino error envelope and that requestId matches the header.
func assertEnvelope(t *testing.T, r *resp, status int) map[string]any {
	t.Helper()
	r.expect(t, status)
	m := r.object(t)
	msg, ok := m["error"].(string)
	if !ok || msg == "" {
		t.Fatalf("error body lacks a string error: %s", r.body)
	}
	errs, ok := m["errors"].([]any)
	if !ok || len(errs) == 0 {
		t.Fatalf("error body lacks a non-empty errors array: %s", r.body)
	}
	if id, _ := m["requestId"].(string); id == "" || id != r.header.Get("X-Request-Id") {
		t.Fatalf("requestId %q does not equal X-Request-Id %q", id, r.header.Get("X-Request-Id"))
	}
	return m
}

func names(list []any) []string {
	var out []string
	for _, v := range list {
		out = append(out, v.(map[string]any)["endpointName"].(string))
	}
	return out
}

// auditEvents queries the audit route as admin.
func (e *env) auditEvents(query string) []map[string]any {
	e.t.Helper()
	var out []map[string]any
	e.do("GET", "/api/aigateway/v1/audit"+query, e.adminKey, nil).expect(e.t, 200).json(e.t, &out)
	return out
}
