package mlflowimport

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider/registry"
	ratememory "github.com/llmgate/llmgate/ratelimit/memory"
	"github.com/llmgate/llmgate/secrets/local"
	"github.com/llmgate/llmgate/store/sqlite"
)

func newApp(t testing.TB) (*app.App, *local.Store, *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "llmgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	return newAppOn(t, store, dir)
}

// newAppOn makes an App over store, its master key in dir; it closes store when t ends.
func newAppOn(t testing.TB, store gateway.Store, dir string) (*app.App, *local.Store, *bytes.Buffer) {
	t.Helper()
	ctx := context.Background()
	t.Cleanup(func() { store.Close() })
	keys, err := local.LoadKeyring(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.Default()
	logs := &bytes.Buffer{}
	secrets := local.New(store, keys)
	log := slog.New(slog.NewTextHandler(logs, nil))
	writer := audit.NewWriter(store, log)
	t.Cleanup(writer.Close)
	a, err := app.New(ctx, app.Options{Store: store, Secrets: secrets, Providers: reg, Limiter: ratememory.New(),
		Audit: writer, AuditKeys: audit.NewDerivedKeyring(keys), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	return a, secrets, logs
}

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

const mlflow2 = `
routes:
  - name: completions
    route_type: llm/v1/completions
    model:
      provider: openai
      name: gpt-4o-mini
      config:
        openai_api_key: $OPENAI_API_KEY
        openai_api_base: https://api.openai.com/v1
    limit:
      renewal_period: hour
      calls: 120
  - name: embeddings
    route_type: llm/v1/embeddings
    model:
      provider: bedrock
      name: amazon.titan-embed-text-v1
      config:
        aws_config:
          aws_region: us-east-1
          aws_access_key_id: AKIA-EXAMPLE
          aws_secret_access_key: BEDROCK-SECRET
`

func TestImportMLflow2Routes(t *testing.T) {
	a, secrets, logs := newApp(t)
	created, err := Import(context.Background(), a, app.CLIActor, []byte(mlflow2), envOf(map[string]string{"OPENAI_API_KEY": "sk-from-env"}))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(created, []string{"completions", "embeddings"}) {
		t.Errorf("created = %v", created)
	}
	c := a.Snapshot().Endpoint("completions")
	if c.Type != gateway.TypeCompletions || c.Model != "gpt-4o-mini" || c.Config["openai_api_base"] != "https://api.openai.com/v1" ||
		c.RateLimits.CallsPerMinute.Endpoint != 2 || c.Permissions.IsEveryoneAllowed || len(c.Permissions.UserIDs) != 0 {
		t.Errorf("completions = %+v", c)
	}
	if v, err := secrets.Resolve(context.Background(), c.Secrets["openai_api_key"].Ref); err != nil || v != "sk-from-env" {
		t.Errorf("api key resolved to %q, %v", v, err)
	}
	e := a.Snapshot().Endpoint("embeddings")
	if e.Provider != "bedrock" || e.Config["aws_region"] != "us-east-1" || !e.Secrets["aws_secret_access_key"].Owned || !e.Secrets["aws_access_key_id"].Owned {
		t.Errorf("embeddings = %+v", e)
	}
	if !strings.Contains(logs.String(), "deprecated spelling") {
		t.Errorf("no deprecation warning logged: %s", logs.String())
	}
	if strings.Contains(logs.String(), "sk-from-env") || strings.Contains(logs.String(), "BEDROCK-SECRET") {
		t.Error("a credential reached the log")
	}
}

const mlflow3 = `
endpoints:
  - name: chat-a
    endpoint_type: llm/v1/chat
    model: {provider: openai, name: gpt-4o-mini, config: {openai_api_key: $OPENAI_API_KEY}}
    limit: {calls: 10, renewal_period: second}
  - name: chat-b
    endpoint_type: llm/v1/chat
    model: {provider: anthropic, name: claude-3-5-sonnet-latest, config: {anthropic_api_key: $ANTHROPIC_API_KEY, anthropic_version: "2023-06-01"}}
routes:
  - name: chat
    task_type: llm/v1/chat
    destinations:
      - {name: chat-a, traffic_percentage: 80}
      - {name: chat-b, traffic_percentage: 20}
`

func TestImportMLflow3TrafficRoutesBecomeWeightedTargets(t *testing.T) {
	a, _, _ := newApp(t)
	created, err := Import(context.Background(), a, app.CLIActor, []byte(mlflow3),
		envOf(map[string]string{"OPENAI_API_KEY": "sk-a", "ANTHROPIC_API_KEY": "sk-b"}))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(created, []string{"chat-a", "chat-b", "chat"}) {
		t.Errorf("created = %v", created)
	}
	if got := a.Snapshot().Endpoint("chat-a").RateLimits.CallsPerMinute.Endpoint; got != 600 {
		t.Errorf("10/second = %d per minute, want 600", got)
	}
	if got := a.Snapshot().Endpoint("chat-b").Config["anthropic_version"]; got != "2023-06-01" {
		t.Errorf("anthropic_version = %q", got)
	}
	route := a.Snapshot().Endpoint("chat")
	if route == nil || route.Provider != "openai" || route.Model != "gpt-4o-mini" || route.Routing == nil ||
		route.Routing.Strategy != "weighted" || route.Routing.PrimaryWeight != 80 || len(route.Targets) != 1 ||
		route.Targets[0].Provider != "anthropic" || route.Targets[0].Weight != 20 || len(route.Targets[0].Secrets) != 1 {
		t.Fatalf("route endpoint %+v", route)
	}
	for _, bad := range []string{
		strings.Replace(mlflow3, "traffic_percentage: 20", "traffic_percentage: 30", 1),
		strings.Replace(mlflow3, "{name: chat-b,", "{name: chat-z,", 1),
	} {
		if _, err := Import(context.Background(), a, app.CLIActor, []byte(strings.Replace(bad, "chat-a", "x-a", -1)),
			envOf(map[string]string{"OPENAI_API_KEY": "sk-a", "ANTHROPIC_API_KEY": "sk-b"})); err == nil {
			t.Errorf("a route whose percentages do not add to 100 or that names a missing endpoint was imported")
		}
	}
}

func TestImportRejectsWholeFile(t *testing.T) {
	goodEnv := envOf(map[string]string{"OPENAI_API_KEY": "sk-a", "ANTHROPIC_API_KEY": "sk-b"})
	endpoint := func(name, typ, model string) string {
		return "  - name: " + name + "\n    endpoint_type: " + typ + "\n    model: " + model + "\n"
	}
	good := endpoint("ok", "llm/v1/chat", "{provider: openai, name: m, config: {openai_api_key: $OPENAI_API_KEY}}")
	for name, c := range map[string]struct {
		yaml string
		env  func(string) (string, bool)
		want string
	}{
		"unset variable":      {mlflow3, envOf(map[string]string{"OPENAI_API_KEY": "sk-a"}), "ANTHROPIC_API_KEY"},
		"empty variable":      {mlflow3, envOf(map[string]string{"OPENAI_API_KEY": "sk-a", "ANTHROPIC_API_KEY": ""}), "ANTHROPIC_API_KEY"},
		"duplicate name":      {"endpoints:\n" + good + good, goodEnv, "more than once"},
		"name with space":     {"endpoints:\n" + good + endpoint("bad name", "llm/v1/chat", "{provider: openai, name: m, config: {openai_api_key: k}}"), goodEnv, "endpointName"},
		"name with slash":     {"endpoints:\n" + good + endpoint("a/b", "llm/v1/chat", "{provider: openai, name: m, config: {openai_api_key: k}}"), goodEnv, "endpointName"},
		"unknown type":        {"endpoints:\n" + good + endpoint("img", "llm/v1/images", "{provider: openai, name: m, config: {openai_api_key: k}}"), goodEnv, "not supported"},
		"no config":           {"endpoints:\n" + good + endpoint("nc", "llm/v1/chat", "{provider: openai, name: m}"), goodEnv, "model.config is required"},
		"missing key":         {"endpoints:\n" + good + endpoint("mk", "llm/v1/chat", "{provider: openai, name: m, config: {openai_api_base: x}}"), goodEnv, "openai_api_key"},
		"unknown provider":    {"endpoints:\n" + good + endpoint("up", "llm/v1/chat", "{provider: nope, name: m, config: {k: v}}"), goodEnv, "nope"},
		"non-string api key":  {"endpoints:\n" + good + endpoint("ns", "llm/v1/chat", "{provider: openai, name: m, config: {openai_api_key: 5}}"), goodEnv, "must be a string"},
		"misspelt key":        {"endpoints:\n" + good + endpoint("mk2", "llm/v1/chat", "{provider: openai, name: m, config: {openai_api_key: k, openai_key: LEAK}}"), goodEnv, `"openai_key" is not a setting of provider "openai"`},
		"password in url":     {"endpoints:\n" + good + endpoint("pw", "llm/v1/chat", "{provider: openai, name: m, config: {openai_api_key: k, openai_api_base: 'http://u:LEAK@h/v1'}}"), goodEnv, "user:password@"},
		"dots name":           {"endpoints:\n" + good + endpoint("'..'", "llm/v1/chat", "{provider: openai, name: m, config: {openai_api_key: k}}"), goodEnv, "endpointName"},
		"numeric aws secret":  {"endpoints:\n" + good + endpoint("as", "llm/v1/chat", "{provider: bedrock, name: m, config: {aws_config: {aws_region: us-east-1, aws_access_key_id: AKIA1, aws_secret_access_key: 12345}}}"), goodEnv, "aws_config.aws_secret_access_key must be a string"},
		"inexact limit":       {"endpoints:\n" + good + "    limit: {calls: 100, renewal_period: hour}\n", goodEnv, "per minute"},
		"monthly limit":       {"endpoints:\n" + good + "    limit: {calls: 100, renewal_period: month}\n", goodEnv, "per-minute"},
		"limit without calls": {"endpoints:\n" + good + "    limit: {renewal_period: minute}\n", goodEnv, "limit.calls"},
		"not yaml":            {"endpoints: [", goodEnv, "not a valid"},
		"no endpoints":        {"foo: bar\n", goodEnv, "no endpoints"},
	} {
		t.Run(name, func(t *testing.T) {
			a, _, _ := newApp(t)
			created, err := Import(context.Background(), a, app.CLIActor, []byte(c.yaml), c.env)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
			if len(created) != 0 || len(a.Snapshot().Endpoints()) != 0 {
				t.Errorf("a rejected file created %v", created)
			}
			if strings.Contains(err.Error(), "sk-a") {
				t.Error("a credential reached the error")
			}
		})
	}
}

func TestImportConflictWithExistingEndpoint(t *testing.T) {
	a, _, _ := newApp(t)
	env := envOf(map[string]string{"OPENAI_API_KEY": "sk-a", "ANTHROPIC_API_KEY": "sk-b"})
	if _, err := Import(context.Background(), a, app.CLIActor, []byte(mlflow3), env); err != nil {
		t.Fatal(err)
	}
	_, err := Import(context.Background(), a, app.CLIActor, []byte(mlflow3), env)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("re-import err = %v", err)
	}
	if n := len(a.Snapshot().Endpoints()); n != 3 { // chat-a, chat-b and the route chat
		t.Errorf("%d endpoints after a rejected re-import, want 3", n)
	}
}

func TestCallsPerMinute(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	for _, c := range []struct {
		calls  *int64
		period string
		want   int64
		ok     bool
	}{
		{n(10), "minute", 10, true}, {n(10), "Minutes", 10, true}, {n(2), "second", 120, true},
		{n(120), "hour", 2, true}, {n(1440), "day", 1, true}, {n(30), "2 minutes", 15, true},
		{n(100), "hour", 0, false}, {n(1), "day", 0, false}, {n(5), "year", 0, false}, {n(0), "minute", 0, false},
		{nil, "minute", 0, false}, {n(-1), "minute", 0, false}, {n(1), "fortnight", 0, false}, {n(3), "2 minutes", 0, false},
	} {
		got, err := callsPerMinute(c.calls, c.period)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("callsPerMinute(%v, %q) = %d, %v; want %d ok=%v", c.calls, c.period, got, err, c.want, c.ok)
		}
	}
}
