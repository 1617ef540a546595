package domino

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/internal/e2e"
	"github.com/llmgate/llmgate/notify"
	"github.com/llmgate/llmgate/provider/registry"
	ratememory "github.com/llmgate/llmgate/ratelimit/memory"
	"github.com/llmgate/llmgate/secrets/local"
	"github.com/llmgate/llmgate/store/sqlite"
)

// env is one started `llmgate serve` (the real binary, on a fresh data directory) driven over
// HTTP, plus a second App opened on the same database so tests can look inside — the
// snapshot, sealed secrets, the audit chain — and create principals directly. That App's
// changes reach the server through the same local reload ping the admin CLI uses (notifyServer), and it
// reloads after every request so what it shows is what the server just committed.
type env struct {
	t        *testing.T
	gw       *e2e.Gateway
	app      *app.App
	store    gateway.Store
	secrets  *local.Store
	adminKey string
	logs     serverLogs
}

// serverLogs reads the started server's log output.
type serverLogs struct{ gw *e2e.Gateway }

func (l serverLogs) String() string { return l.gw.Logs() }

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	gw := e2e.Start(t, e2e.Options{ExtraArgs: []string{"--max-body-bytes", "65536"}})
	store, err := sqlite.Open(ctx, filepath.Join(gw.DataDir, "llmgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	keys, err := local.LoadKeyring(gw.DataDir, "")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, gw: gw, store: store, secrets: local.New(store, keys), adminKey: gw.AdminKey, logs: serverLogs{gw}}
	writer := audit.NewWriter(e.store, slog.New(slog.DiscardHandler))
	t.Cleanup(writer.Close)
	a, err := app.New(ctx, app.Options{Store: e.store, Secrets: e.secrets, Providers: registry.Default(),
		Limiter: ratememory.New(), Audit: writer, AuditKeys: audit.NewDerivedKeyring(keys), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e.app = a
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
	e.notifyServer()
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
	e.notifyServer()
	return o.ID
}

// notifyServer tells the server to reload now, as the admin CLI does after its changes.
func (e *env) notifyServer() {
	e.t.Helper()
	if err := notify.PingLocal(notify.SocketPath(e.gw.DataDir), 5*time.Second); err != nil {
		e.t.Fatalf("reload ping: %v", err)
	}
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
	head, err := e.store.AuditHead(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return int(head.Seq)
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
	req, err := http.NewRequest(method, e.gw.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.app.Reload(context.Background()); err != nil {
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
