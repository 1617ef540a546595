package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// llmgate runs one command line in-process and returns its output and exit code.
func llmgate(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// every command path, e.g. "users create".
func commandPaths(c *cobra.Command, prefix []string, out *[][]string) {
	for _, sub := range c.Commands() {
		if sub.Hidden || sub.Name() == "help" {
			continue
		}
		p := append(append([]string{}, prefix...), sub.Name())
		*out = append(*out, p)
		commandPaths(sub, p, out)
	}
}

var serveOnlyFlags = []string{"--addr", "--tls-cert", "--log-format", "--max-body-bytes", "--mlflow-base-path", "--debug-addr", "--redis-fail-open"}

// Every command and subcommand explains itself with -h and with `help …`, exits 0, and lists
// only the flags that apply to it: the server's settings appear under serve alone.
func TestEveryCommandHasHelpWithOnlyItsFlags(t *testing.T) {
	var paths [][]string
	commandPaths(newRoot(), nil, &paths)
	if len(paths) < 25 {
		t.Fatalf("only %d commands found: %v", len(paths), paths)
	}
	for _, p := range paths {
		name := strings.Join(p, " ")
		out, errOut, code := llmgate(t, append(p, "-h")...)
		if code != 0 || !strings.Contains(out, "Usage:") || errOut != "" {
			t.Fatalf("%s -h: exit %d, stdout %q, stderr %q", name, code, out, errOut)
		}
		viaHelp, _, code := llmgate(t, append([]string{"help"}, p...)...)
		if code != 0 || viaHelp != out {
			t.Fatalf("help %s (exit %d) differs from %s -h:\n%s\n---\n%s", name, code, name, viaHelp, out)
		}
		for _, f := range serveOnlyFlags {
			if has := strings.Contains(out, f+" "); has != (name == "serve" || name == "demo") { // demo runs a server too
				t.Errorf("%s -h lists %s: %v", name, f, has)
			}
		}
		group := strings.Contains(out, "Available Commands:") // a group only holds subcommands (scim token)
		if p[0] != "completion" && p[0] != "version" && len(p) > 1 && !group && !strings.Contains(out, "--data-dir") {
			t.Errorf("%s -h does not list --data-dir", name)
		}
	}
}

func TestUnknownCommandIsCalledUnknownWithASuggestion(t *testing.T) {
	for _, tc := range []struct{ args, want []string }{
		{[]string{"userz"}, []string{`unknown command "userz"`, "users"}},
		{[]string{"users", "lsit"}, []string{`unknown command "lsit" for "llmgate users"`, "list"}},
		{[]string{"keys", "delete"}, []string{`unknown command "delete" for "llmgate keys"`}},
		{[]string{"serve", "now"}, []string{`unknown command "now" for "llmgate serve"`}},
	} {
		out, errOut, code := llmgate(t, tc.args...)
		if code != 2 || out != "" {
			t.Fatalf("%v: exit %d, stdout %q", tc.args, code, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Fatalf("%v: stderr %q lacks %q", tc.args, errOut, w)
			}
		}
	}
}

func TestVersionAndCompletion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-v"}, {"version", "--data-dir", "/nonexistent"}} {
		if out, _, code := llmgate(t, args...); code != 0 || out != "llmgate "+version+"\n" {
			t.Fatalf("%v: exit %d %q", args, code, out)
		}
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		out, _, code := llmgate(t, "completion", shell)
		if code != 0 || !strings.Contains(out, "llmgate") || len(out) < 1000 {
			t.Fatalf("completion %s: exit %d, %d bytes", shell, code, len(out))
		}
	}
}

// A bad setting stops the command before it does anything, naming the setting (flag or
// environment variable) and what it accepts.
func TestBadSettingsAreRefusedNamingTheSetting(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"serve", "--log-format", "yaml"}, `"--log-format" flag: must be one of: text, json`},
		{[]string{"LLMGATE_LOG_FORMAT", "yaml"}, []string{"serve"}, `LLMGATE_LOG_FORMAT="yaml": must be one of: text, json`},
		{[]string{"LLMGATE_MAX_BODY_BYTES", "10 apples"}, []string{"serve"}, `LLMGATE_MAX_BODY_BYTES="10 apples": must be a positive size`},
		{nil, []string{"serve", "--max-body-bytes", "-5"}, `"--max-body-bytes" flag: must be a positive size`},
		{[]string{"LLMGATE_HEAP_FLOOR", "lots"}, []string{"serve"}, `LLMGATE_HEAP_FLOOR="lots": must be 0 (off) or a positive size`},
		{nil, []string{"serve", "--addr", "8080"}, `"--addr" flag: must be host:port`},
		{nil, []string{"serve", "--secrets", "aws"}, `"--secrets" flag: must be one of: local, vault`},
		{nil, []string{"serve", "--debug-addr", "0.0.0.0:6060"}, `"--debug-addr" flag: must be a loopback address`},
		{nil, []string{"serve", "--mlflow-page-size", "0"}, `"--mlflow-page-size" flag: must be a whole number`},
		{nil, []string{"serve", "--redis-fail-open=maybe"}, `"--redis-fail-open" flag: must be true or false`},
		{[]string{"LLMGATE_MAX_KEY_LIFETIME", "10s"}, []string{"serve"}, `LLMGATE_MAX_KEY_LIFETIME="10s": must be 0 (no maximum) or a lifetime of at least`},
		{nil, []string{"serve", "--tls-cert", "c.pem"}, "--tls-cert and --tls-key go together"},
		{[]string{"LLMGATE_DATABASE_URL", "mysql://x"}, []string{"users", "list"}, `LLMGATE_DATABASE_URL="mysql://x": must be a postgres:// URL`},
		{nil, []string{"users", "list", "--secrets", "kms"}, `"--secrets" flag: must be one of`},
		{nil, []string{"audit", "export", "--kind", "bogus"}, "valid kinds: AccessGatewayEndpoint, CreateGatewayEndpoint"},
		{nil, []string{"audit", "export", "--outcome", "meh"}, "valid outcomes: success, denied, rate_limited"},
		{nil, []string{"audit", "export", "--since", "yesterday"}, `--since "yesterday": use RFC 3339`},
		{nil, []string{"audit", "export", "--format", "xml"}, `"--format" flag: must be one of: jsonl, csv`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			if tc.env != nil {
				t.Setenv(tc.env[0], tc.env[1])
			}
			_, errOut, code := llmgate(t, append(tc.args, "--data-dir", dir+"/never")...)
			if code != 2 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.want)
			}
		})
	}
}

func TestSizesAcceptUnits(t *testing.T) {
	for in, want := range map[string]int64{
		"1048576": 1 << 20, "10MB": 10_000_000, "10mb": 10_000_000, "1GiB": 1 << 30, "512KiB": 512 << 10,
		"2KB": 2000, "1.5MiB": 3 << 19, "10M": 10 << 20, "64 KB": 64_000, "100B": 100,
	} {
		got, err := parseSize(in)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "-1MB", "ten", "10XB", "MB"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
	if s := formatSize(10 << 20); s != "10MiB" {
		t.Errorf("formatSize = %q", s)
	}
}

// The reads the issue found missing, on a real (SQLite) database, through the same
// operations as the REST API.
func TestAdminReadsAndEndpointCommands(t *testing.T) {
	dir := t.TempDir()
	cli := func(args ...string) string {
		t.Helper()
		out, errOut, code := llmgate(t, append(args, "--data-dir", dir)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	uid := strings.TrimSpace(cli("users", "create", "--init", "--username", "ann", "--email", "ann@example.org", "--first-name", "Ann"))
	cli("keys", "create", "--username", "ann", "--name", "laptop", "--expires", "30d")
	if out := cli("users", "list"); !strings.Contains(out, uid) || !strings.Contains(out, "ann@example.org") {
		t.Fatalf("users list:\n%s", out)
	}
	cli("orgs", "create", "--name", "eng")
	cli("orgs", "add-member", "--name", "eng", "--username", "ann", "--role", "admin")
	if out := cli("users", "show", "ann"); !strings.Contains(out, "eng") || !strings.Contains(out, "active keys:    1") {
		t.Fatalf("users show:\n%s", out)
	}
	if out := cli("orgs", "show", "eng"); !strings.Contains(out, "ann (admin)") {
		t.Fatalf("orgs show:\n%s", out)
	}
	if out := cli("orgs", "list"); !strings.Contains(out, "eng") {
		t.Fatalf("orgs list:\n%s", out)
	}
	var keys []keyRow
	if err := json.Unmarshal([]byte(cli("keys", "list", "-o", "json")), &keys); err != nil || len(keys) != 1 {
		t.Fatalf("keys list -o json: %v %+v", err, keys)
	}
	k := keys[0]
	if k.Owner != "ann" || k.Name != "laptop" || k.ExpiresAt == nil || k.LastUsed != nil || k.Status != "active" || k.CreatedAt.IsZero() {
		t.Fatalf("key row %+v", k)
	}
	if out := cli("keys", "list"); !strings.Contains(out, "LAST USED") || !strings.Contains(out, "never") {
		t.Fatalf("keys list:\n%s", out)
	}
	cli("keys", "revoke", k.ID)
	if out := cli("keys", "list"); strings.Contains(out, k.ID) {
		t.Fatalf("revoked key listed without --all:\n%s", out)
	}
	if out := cli("keys", "list", "--all"); !strings.Contains(out, "revoked") {
		t.Fatalf("keys list --all:\n%s", out)
	}

	created := cli("endpoints", "create", "--name", "chat", "--type", "llm/v1/chat", "--provider", "openai",
		"--model", "gpt-4o-mini", "--config", "openai_api_key=sk-test-123")
	var ep map[string]any
	if err := json.Unmarshal([]byte(created), &ep); err != nil || ep["endpointName"] != "chat" {
		t.Fatalf("endpoints create printed %q", created)
	}
	if strings.Contains(created, "sk-test-123") {
		t.Fatal("create printed the credential")
	}
	id := ep["endpointId"].(string)
	if out := cli("endpoints", "list"); !strings.Contains(out, id) || !strings.Contains(out, "admins only") {
		t.Fatalf("endpoints list:\n%s", out)
	}
	// By id, as the create printed it; then by name.
	cli("endpoints", "update", id, "--model", "gpt-4o", "--everyone")
	show := cli("endpoints", "show", "chat")
	if !strings.Contains(show, `"modelName": "gpt-4o"`) || !strings.Contains(show, `"isEveryoneAllowed": true`) {
		t.Fatalf("endpoints show after update:\n%s", show)
	}
	// The REST API's checks apply: an unknown provider is refused the same way.
	_, errOut, code := llmgate(t, "endpoints", "update", "chat", "--provider", "nope", "--data-dir", dir)
	if code != 1 || !strings.Contains(errOut, "nope") {
		t.Fatalf("bad update: exit %d %q", code, errOut)
	}
	cli("endpoints", "delete", id)
	if _, errOut, code := llmgate(t, "endpoints", "show", "chat", "--data-dir", dir); code != 1 || !strings.Contains(errOut, "no endpoint named") {
		t.Fatalf("show after delete: exit %d %q", code, errOut)
	}
}

// import-mlflow says who can use what it created, and --grant-* opens it.
func TestImportMLflowSaysWhoCanUseItAndGrants(t *testing.T) {
	dir := t.TempDir()
	if _, errOut, code := llmgate(t, "users", "create", "--init", "--username", "ivy", "--data-dir", dir); code != 0 {
		t.Fatal(errOut)
	}
	t.Setenv("IMPORT_TEST_KEY", "sk-import-test")
	file := func(name string) string {
		p := dir + "/" + name + ".yaml"
		yaml := "endpoints:\n  - name: " + name + "\n    endpoint_type: llm/v1/chat\n    model:\n      provider: openai\n      name: gpt-4o-mini\n      config:\n        openai_api_key: $IMPORT_TEST_KEY\n"
		if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	out, errOut, code := llmgate(t, "import-mlflow", file("imp-private"), "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "created endpoint imp-private (usable by admins only)") || !strings.Contains(errOut, "--grant-everyone") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	out, errOut, code = llmgate(t, "import-mlflow", file("imp-open"), "--grant-everyone", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "created endpoint imp-open (usable by everyone)") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	out, _, _ = llmgate(t, "import-mlflow", file("imp-ivy"), "--grant-user", "ivy", "--data-dir", dir)
	if !strings.Contains(out, "(usable by ivy)") {
		t.Fatalf("--grant-user: %q", out)
	}
	show, _, _ := llmgate(t, "endpoints", "show", "imp-open", "--data-dir", dir)
	if !strings.Contains(show, `"isEveryoneAllowed": true`) {
		t.Fatalf("granted endpoint:\n%s", show)
	}
}

// The identity operations the console has are on the CLI too: set-admin, and renaming,
// deleting and removing members of organizations.
func TestIdentityOperationsOnTheCLI(t *testing.T) {
	dir := t.TempDir()
	cli := func(args ...string) string {
		t.Helper()
		out, errOut, code := llmgate(t, append(args, "--data-dir", dir)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	cli("users", "create", "--init", "--username", "bo", "--admin")
	cli("users", "create", "--username", "cy")
	if out := cli("users", "set-admin", "--username", "cy"); !strings.Contains(out, "cy admin=true") {
		t.Fatalf("set-admin: %q", out)
	}
	if out := cli("users", "show", "cy"); !strings.Contains(out, "admin") {
		t.Fatalf("users show after set-admin:\n%s", out)
	}
	cli("users", "set-admin", "--username", "cy", "--admin=false")
	cli("orgs", "create", "--name", "eng")
	cli("orgs", "add-member", "--name", "eng", "--username", "cy")
	cli("orgs", "remove-member", "--name", "eng", "--username", "cy")
	if out := cli("orgs", "show", "eng"); strings.Contains(out, "cy") {
		t.Fatalf("removed member still shown:\n%s", out)
	}
	cli("orgs", "rename", "--name", "eng", "--to", "platform")
	if out := cli("orgs", "list"); !strings.Contains(out, "platform") || strings.Contains(out, "eng\n") {
		t.Fatalf("orgs list after rename:\n%s", out)
	}
	cli("orgs", "delete", "--name", "platform")
	if _, errOut, code := llmgate(t, "orgs", "show", "platform", "--data-dir", dir); code != 1 || !strings.Contains(errOut, "no organization named") {
		t.Fatalf("show after delete: exit %d %q", code, errOut)
	}
	if out := cli("audit", "export", "--kind", "RenameOrganization"); !strings.Contains(out, "platform") {
		t.Fatalf("rename not audited:\n%s", out)
	}
}
