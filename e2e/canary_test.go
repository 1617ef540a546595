package e2e

import (
	"context"
	"encoding/base64"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/internal/e2e"
)

// canaries are unique credential strings; none may ever leave the gateway except towards
// the provider it belongs to.
type canaries struct {
	openAI, openAIPatched, azure, gemini, cohere, mistral, anthropic, awsKeyID, awsSecret string
	env, imported, rejected, invalid                                                      string
}

func newCanaries() canaries {
	c := func(name string) string { return "cnry-" + name + "-" + randomHex(12) }
	return canaries{
		openAI: c("openai"), openAIPatched: c("openai2"), azure: c("azure"), gemini: c("gemini"),
		cohere: c("cohere"), mistral: c("mistral"), anthropic: c("anthropic"), awsKeyID: "AKID" + strings.ToUpper(randomHex(8)),
		awsSecret: c("aws-secret"), env: c("env"), imported: c("import"),
		rejected: c("rejected"), invalid: c("invalid"),
	}
}

func (c canaries) all() map[string]string {
	return map[string]string{
		"openai": c.openAI, "openai patched": c.openAIPatched, "azure": c.azure, "gemini": c.gemini,
		"cohere": c.cohere, "mistral": c.mistral, "anthropic": c.anthropic, "AWS access key id": c.awsKeyID,
		"AWS secret access key": c.awsSecret, "env: secretRef": c.env, "import-mlflow env": c.imported,
		"rejected by the provider": c.rejected, "in an invalid create": c.invalid,
	}
}

// exposure records everything the gateway showed the outside world during the test.
type exposure struct {
	t        *testing.T
	g        *e2e.Gateway
	captured []capture
}

type capture struct {
	where string
	text  string
}

func (x *exposure) add(where, text string) { x.captured = append(x.captured, capture{where, text}) }

// do sends a request with key as Bearer token and captures the answer, headers included.
func (x *exposure) do(method, path, key string, body any, want int) *e2e.Response {
	x.t.Helper()
	r := e2e.Do(x.t, x.g.URL, method, path, map[string]string{"Authorization": "Bearer " + key}, body)
	var hdr strings.Builder
	r.Header.Write(&hdr)
	x.add(method+" "+path, hdr.String()+"\n"+string(r.Body))
	if want != 0 && r.Status != want {
		x.t.Errorf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	return r
}

func (x *exposure) admin(method, path string, body any, want int) *e2e.Response {
	x.t.Helper()
	return x.do(method, path, x.g.AdminKey, body, want)
}

// cli runs an admin command and captures its stdout and stderr.
func (x *exposure) cli(args ...string) string {
	x.t.Helper()
	out, errOut, code := x.g.RunCLI(x.t, args...)
	x.add("llmgate "+strings.Join(args, " "), out+"\n"+errOut)
	if code != 0 {
		x.t.Errorf("llmgate %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// TestNoCredentialLeaksAnywhere is the secret canary (issue 4 item 6): unique credentials go
// in through every door an admin has, every route and command runs, and then every response,
// header, log line, export and file of the data directory is searched for them, in plaintext
// and base64. The fake upstream must have received each one: injection works.
func TestNoCredentialLeaksAnywhere(t *testing.T) {
	onEveryBackend(t, testNoCredentialLeaks)
}

func testNoCredentialLeaks(t *testing.T, b e2e.Backend) {
	c := newCanaries()
	fake := e2e.StartFake(t, fakeupstream.Options{Keys: map[string][]string{
		"openai": {c.openAI, c.openAIPatched, c.mistral, c.env, c.imported},
		"azure":  {c.azure}, "gemini": {c.gemini}, "cohere": {c.cohere}, "anthropic": {c.anthropic},
	}, AWS: map[string]string{c.awsKeyID: c.awsSecret}})
	dir := t.TempDir()
	opts := b.Options()
	opts.DataDir = dir
	opts.Env = []string{"E2E_CANARY_ENV=" + c.env, "E2E_CANARY_IMPORT=" + c.imported}
	g := e2e.Start(t, opts)
	x := &exposure{t: t, g: g}

	userID := strings.TrimSpace(x.cli("users", "create", "--username", "uma", "--email", "uma@example.org"))
	userKey := e2e.LastLine(x.cli("keys", "create", "--username", "uma", "--name", "canary"))
	endpoints := createCanaryEndpoints(x, c, fake.URL, userID)
	exerciseAdminRoutes(x, userID)
	queryCanaryEndpoints(x, endpoints, userKey)
	patchCanaryEndpoint(x, c, fake.URL, userKey)
	runEveryCLICommand(x, fake.URL, userKey)
	// After the master key rotation, stored secrets must still reach the provider.
	x.do("POST", "/v1/chat/completions", userKey, chatBody("canary-openai", false), http.StatusOK)
	x.add("GET /metrics", string(e2e.Do(t, g.URL, "GET", "/metrics", nil, nil).Body))

	g.Stop(t) // flushes the audit writer and the database files
	x.add("server log", g.Logs())
	addDataDirFiles(x, dir, b.DatabaseURL == "")
	if b.DatabaseURL != "" {
		addDatabaseRows(x, b.DatabaseURL, "canary-openai")
	}

	for what, canary := range c.all() {
		for _, form := range []string{canary, base64.StdEncoding.EncodeToString([]byte(canary)), base64.RawURLEncoding.EncodeToString([]byte(canary))} {
			for _, cp := range x.captured {
				if strings.Contains(cp.text, form) {
					t.Errorf("the %s credential (%q) leaked into %s", what, form, cp.where)
				}
			}
		}
	}
	requireFakeReceived(t, fake, c)
	t.Logf("searched %d captured responses, outputs and files for %d canaries", len(x.captured), len(c.all()))
}

func chatBody(model string, stream bool) []byte { return e2e.ChatBody(model, "canary check", stream) }

// createCanaryEndpoints creates one endpoint per provider the fake speaks, each holding a
// canary credential, and returns their names.
func createCanaryEndpoints(x *exposure, c canaries, fakeURL, userID string) []string {
	perms := map[string]any{"isEveryoneAllowed": false, "userIds": []string{userID}}
	specs := []map[string]any{
		{"endpointName": "canary-openai", "modelProvider": "openai", "modelName": "gpt-4o-mini",
			"modelConfig": map[string]any{"openai_api_key": c.openAI, "openai_api_base": fakeURL + "/v1"}},
		{"endpointName": "canary-azure", "modelProvider": "openai", "modelName": "gpt-4o",
			"modelConfig": map[string]any{"openai_api_type": "azure", "openai_api_key": c.azure, "openai_api_base": fakeURL,
				"openai_api_version": "2024-06-01", "openai_deployment_name": "gpt-4o"}},
		{"endpointName": "canary-gemini", "modelProvider": "gemini", "modelName": "gemini-1.5-flash",
			"modelConfig": map[string]any{"gemini_api_key": c.gemini, "gemini_api_base": fakeURL + "/v1beta"}},
		{"endpointName": "canary-cohere", "modelProvider": "cohere", "modelName": "command-r",
			"modelConfig": map[string]any{"cohere_api_key": c.cohere, "cohere_api_base": fakeURL}},
		{"endpointName": "canary-mistral", "modelProvider": "mistral", "modelName": "mistral-small",
			"modelConfig": map[string]any{"mistral_api_key": c.mistral, "mistral_api_base": fakeURL + "/v1"}},
		{"endpointName": "canary-anthropic", "modelProvider": "anthropic", "modelName": "claude-3-5-haiku-20241022",
			"modelConfig": map[string]any{"anthropic_api_key": c.anthropic, "anthropic_api_base": fakeURL + "/v1"}},
		{"endpointName": "canary-bedrock", "modelProvider": "bedrock", "modelName": "anthropic.claude-3-haiku-20240307-v1:0",
			"modelConfig": map[string]any{"aws_region": "us-east-1", "aws_access_key_id": c.awsKeyID, "aws_secret_access_key": c.awsSecret,
				"bedrock_endpoint_url": fakeURL}},
		{"endpointName": "canary-env", "modelProvider": "openai", "modelName": "gpt-4o-mini",
			"modelConfig": map[string]any{"openai_api_key": map[string]string{"secretRef": "env:E2E_CANARY_ENV"}, "openai_api_base": fakeURL + "/v1"}},
		{"endpointName": "canary-rejected", "modelProvider": "openai", "modelName": "gpt-4o-mini",
			"modelConfig": map[string]any{"openai_api_key": c.rejected, "openai_api_base": fakeURL + "/v1"}},
		{"endpointName": "canary-failing", "modelProvider": "openai", "modelName": "gpt-fake-error-500",
			"modelConfig": map[string]any{"openai_api_key": c.openAI, "openai_api_base": fakeURL + "/v1"}},
	}
	var names []string
	for _, s := range specs {
		s["endpointType"] = "llm/v1/chat"
		s["endpointPermissions"] = perms
		r := x.admin("POST", "/api/aigateway/v1/endpoints", s, http.StatusOK)
		if !strings.Contains(string(r.Body), `"********"`) {
			x.t.Errorf("create %s: the credential is not shown masked: %s", s["endpointName"], r.Body)
		}
		names = append(names, s["endpointName"].(string))
	}
	// A refused create must not echo the credential in its error.
	x.admin("POST", "/api/aigateway/v1/endpoints", map[string]any{
		"endpointName": "canary-invalid", "endpointType": "llm/v1/chat", "modelProvider": "no-such-provider", "modelName": "m",
		"modelConfig": map[string]any{"openai_api_key": c.invalid}, "endpointPermissions": perms,
	}, http.StatusBadRequest)
	return names
}

// exerciseAdminRoutes calls every Domino-compatible admin, identity and helper route.
func exerciseAdminRoutes(x *exposure, userID string) {
	gw := "/api/aigateway/v1"
	x.admin("GET", gw+"/endpoints", nil, http.StatusOK)
	for _, name := range []string{"canary-openai", "canary-azure", "canary-env"} {
		x.admin("GET", gw+"/endpoints/"+name, nil, http.StatusOK)
		x.admin("GET", gw+"/endpoints/"+name+"/permissions", nil, http.StatusOK)
	}
	x.admin("PATCH", gw+"/endpoints/canary-env/permissions", map[string]any{"userIds": []string{userID}, "isEveryoneAllowed": false}, http.StatusOK)
	x.admin("GET", gw+"/openapi.json", nil, http.StatusOK)
	x.admin("GET", "/v4/aigateway/provider-configs?modelProvider=openai", nil, http.StatusOK)
	x.admin("GET", "/v4/aigateway/provider-models", nil, http.StatusOK)
	x.admin("GET", "/api/users/v1/self", nil, http.StatusOK)
	x.admin("GET", "/api/users/v1/users", nil, http.StatusOK)
	x.admin("POST", "/api/users/v1/users", map[string]any{"userName": "vic", "email": "vic@example.org"}, http.StatusOK)

	orgs := "/api/organizations/v1/organizations"
	var org struct {
		Org struct {
			ID string `json:"id"`
		} `json:"org"`
	}
	x.admin("POST", orgs, map[string]any{"name": "canary-team", "members": []any{}}, http.StatusOK).JSON(x.t, &org)
	x.admin("PUT", orgs+"/"+org.Org.ID+"/user", map[string]any{"userId": userID, "organizationRole": "member"}, http.StatusOK)
	x.admin("GET", orgs, nil, http.StatusOK)
	x.admin("GET", orgs+"/all", nil, http.StatusOK)
	x.admin("GET", orgs+"/"+org.Org.ID, nil, http.StatusOK)
	x.admin("DELETE", orgs+"/"+org.Org.ID+"/user?memberToRemoveId="+userID, nil, http.StatusOK)

	var tok struct {
		PatID string `json:"patId"`
	}
	x.admin("POST", "/api/pat/v1/tokens", map[string]any{"name": "admin-extra"}, http.StatusOK).JSON(x.t, &tok)
	x.admin("GET", "/api/pat/v1/tokens", nil, http.StatusOK)
	x.admin("DELETE", "/api/pat/v1/tokens/"+tok.PatID, nil, http.StatusOK)
	x.admin("POST", "/api/pat/v1/users/"+userID+"/tokens", map[string]any{"name": "issued"}, http.StatusOK)
	x.admin("GET", "/api/pat/v1/users/"+userID+"/tokens", nil, http.StatusOK)
}

// queryCanaryEndpoints queries every endpoint on both query surfaces, streaming and not,
// then reads the audit trail they produced over HTTP.
func queryCanaryEndpoints(x *exposure, names []string, userKey string) {
	for _, name := range names {
		want := http.StatusOK
		switch name {
		case "canary-rejected", "canary-failing":
			want = http.StatusBadGateway
		}
		x.do("POST", "/v1/chat/completions", userKey, chatBody(name, false), want)
		x.do("POST", "/v1/chat/completions", userKey, chatBody(name, true), 0)
		x.do("POST", "/endpoints/"+name+"/invocations", userKey, map[string]any{"messages": []map[string]string{{"role": "user", "content": "hi"}}}, want)
	}
	x.do("GET", "/v1/models", userKey, nil, http.StatusOK)
	x.do("GET", "/api/2.0/endpoints/", userKey, nil, http.StatusOK)
	x.do("GET", "/api/2.0/endpoints/canary-openai", userKey, nil, http.StatusOK)
	x.do("GET", "/api/aigateway/v1/endpoints", userKey, nil, http.StatusOK)
	kinds := url.Values{"eventKinds": {"AccessGatewayEndpoint", "CreateGatewayEndpoint", "UpdateGatewayEndpoint",
		"DeleteGatewayEndpoint", "UpdateGatewayEndpointPermissions", "CreateUser", "CreateApiKey", "RevokeApiKey"}}
	x.admin("GET", "/api/aigateway/v1/audit?"+kinds.Encode(), nil, http.StatusOK)
	x.admin("GET", "/v4/aigateway/audit/download?useJson=true", nil, http.StatusOK)
	x.admin("GET", "/v4/aigateway/audit/download", nil, http.StatusOK)
}

// patchCanaryEndpoint sends the mask back (the secret must stay), then a new credential (the
// provider must get the new one), and finally deletes an endpoint holding a secret.
func patchCanaryEndpoint(x *exposure, c canaries, fakeURL, userKey string) {
	path := "/api/aigateway/v1/endpoints/canary-openai"
	x.admin("PATCH", path, map[string]any{"modelName": "gpt-4.1-mini", "modelConfig": map[string]any{"openai_api_key": "********", "openai_api_base": fakeURL + "/v1"}}, http.StatusOK)
	x.do("POST", "/v1/chat/completions", userKey, chatBody("canary-openai", false), http.StatusOK)
	x.admin("PATCH", path, map[string]any{"modelConfig": map[string]any{"openai_api_key": c.openAIPatched, "openai_api_base": fakeURL + "/v1"}}, http.StatusOK)
	x.do("POST", "/v1/chat/completions", userKey, chatBody("canary-openai", false), http.StatusOK)
	x.admin("DELETE", "/api/aigateway/v1/endpoints/canary-failing", nil, http.StatusOK)
}

// runEveryCLICommand runs each admin command, including an MLflow import whose key comes
// from the environment and a master key rotation.
func runEveryCLICommand(x *exposure, fakeURL, userKey string) {
	x.cli("users", "create", "--username", "wes", "--admin")
	x.cli("orgs", "create", "--name", "cli-team")
	x.cli("orgs", "add-member", "--name", "cli-team", "--username", "wes")
	out, errOut, _ := x.g.RunCLI(x.t, "keys", "create", "--username", "wes")
	x.add("llmgate keys create", out+errOut)
	x.cli("keys", "revoke", strings.Fields(errOut)[2])
	config := filepath.Join(x.t.TempDir(), "mlflow-config.yaml")
	yaml := "endpoints:\n  - name: canary-imported\n    endpoint_type: llm/v1/chat\n    model:\n      provider: openai\n      name: gpt-4o-mini\n      config:\n" +
		"        openai_api_key: $E2E_CANARY_IMPORT\n        openai_api_base: " + fakeURL + "/v1\n"
	if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
		x.t.Fatal(err)
	}
	x.cli("import-mlflow", config)
	x.admin("PATCH", "/api/aigateway/v1/endpoints/canary-imported/permissions", map[string]any{"isEveryoneAllowed": true}, http.StatusOK)
	x.do("POST", "/v1/chat/completions", userKey, chatBody("canary-imported", false), http.StatusOK)
	x.cli("audit", "export", "--format", "jsonl")
	x.cli("audit", "export", "--format", "csv")
	x.cli("audit", "verify")
	x.cli("secrets", "rotate-master-key")
}

// addDataDirFiles captures every file under the data directory (database, WAL, shared
// memory, key files) as raw bytes; the master key, and with SQLite the database, must be
// among them.
func addDataDirFiles(x *exposure, dir string, sqlite bool) {
	seen := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		x.add("file "+d.Name(), string(raw))
		seen[d.Name()] = true
		return nil
	})
	if err != nil {
		x.t.Fatalf("reading the data directory: %v", err)
	}
	if !seen["master.key"] || sqlite && !seen["llmgate.db"] {
		x.t.Fatalf("the data directory lacks the database or the master key: %v", seen)
	}
}

// addDatabaseRows captures every row of every table in the gateway's PostgreSQL schema as
// JSON text: PostgreSQL keeps its files elsewhere, so the rows stand in for them.
func addDatabaseRows(x *exposure, databaseURL, endpoint string) {
	ctx := x.t.Context()
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		x.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT quote_ident(table_name) FROM information_schema.tables WHERE table_schema = current_schema()`)
	if err != nil {
		x.t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(tables) == 0 {
		x.t.Fatalf("listing the gateway's tables: %v (%d found)", err, len(tables))
	}
	var all strings.Builder
	for _, table := range tables {
		rows, err := conn.Query(ctx, `SELECT row_to_json(t)::text FROM `+table+` t`)
		if err != nil {
			x.t.Fatal(err)
		}
		dump, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			x.t.Fatal(err)
		}
		x.add("table "+table, strings.Join(dump, "\n"))
		all.WriteString(strings.Join(dump, "\n"))
	}
	if !strings.Contains(all.String(), endpoint) {
		x.t.Fatalf("the dump of %d tables does not hold the endpoints: wrong schema?", len(tables))
	}
}

// requireFakeReceived fails t unless the fake upstream saw every canary that should reach
// a provider as the credential of an authorised request.
func requireFakeReceived(t *testing.T, fake *e2e.Fake, c canaries) {
	got := map[string]bool{}
	for _, r := range fake.Requests() {
		got[r.Credential] = true
		// SigV4 sends the key id; a signature the fake accepts proves the secret was used.
		got[c.awsSecret] = got[c.awsSecret] || r.Credential == c.awsKeyID && r.Authorized
	}
	for what, canary := range c.all() {
		if canary == c.invalid {
			continue // refused at create: never stored, never sent
		}
		if !got[canary] {
			t.Errorf("the fake upstream never received the %s credential: injection failed", what)
		}
	}
}
