package vault

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/secrets/secretstest"
	"github.com/llmgate/llmgate/secrets/vaulttest"
)

const testToken = "hvs.test-root-token-CAFEBABE"

func newFake(t *testing.T) *vaulttest.Server {
	t.Helper()
	srv := vaulttest.NewServer(testToken)
	t.Cleanup(srv.Close)
	return srv
}

func newStore(t *testing.T, srv *vaulttest.Server, cfg Config) *Store {
	t.Helper()
	cfg.Address = srv.URL
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// writeUserSecret stores data the way an operator would with `vault kv put`.
func writeUserSecret(t *testing.T, srv *vaulttest.Server, mount, path string, data map[string]any) {
	t.Helper()
	c, err := vaultapi.NewClient(&vaultapi.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(testToken)
	if _, err := c.KVv2(mount).Put(context.Background(), path, data); err != nil {
		t.Fatalf("writing %s/%s: %v", mount, path, err)
	}
}

func TestConformance(t *testing.T) {
	secretstest.Run(t, func(t *testing.T) gateway.SecretStore {
		return newStore(t, newFake(t), Config{})
	})
}

func TestPutLayoutAndDelete(t *testing.T) {
	srv := newFake(t)
	srv.AddMount("kv")
	s := newStore(t, srv, Config{Mount: "kv", Prefix: "teams/llmgate"})
	ctx := context.Background()
	endpointID := gateway.NewID()

	ref, err := s.Put(ctx, endpointID, "openai_api_key", "sk-layout")
	if err != nil {
		t.Fatal(err)
	}
	path, ok := strings.CutPrefix(ref, "vault-kv:teams/llmgate/endpoints/"+endpointID+"/openai_api_key/")
	if !ok || !gateway.ValidID(path) {
		t.Fatalf("ref = %q, want vault-kv:teams/llmgate/endpoints/<id>/openai_api_key/<put id>", ref)
	}
	rel := strings.TrimPrefix(ref, RefPrefix)
	if got, err := s.ReadField(ctx, "kv/"+rel, "value"); err != nil || got != "sk-layout" {
		t.Fatalf("field value at kv/%s = %q, %v", rel, got, err)
	}
	if srv.Versions("kv", rel) != 1 {
		t.Fatalf("versions = %d, want 1", srv.Versions("kv", rel))
	}
	if err := s.Delete(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if n := srv.Versions("kv", rel); n != 0 {
		t.Fatalf("after Delete %d versions remain, want metadata gone", n)
	}
}

func TestPutRejectsUnsafeSegments(t *testing.T) {
	s := newStore(t, newFake(t), Config{})
	for _, c := range []struct{ endpoint, key string }{
		{"..", "api_key"}, {gateway.NewID(), "a/b"}, {gateway.NewID(), "x?y"}, {"", "api_key"}, {gateway.NewID(), "key#1"},
	} {
		if _, err := s.Put(context.Background(), c.endpoint, c.key, "v"); gateway.ErrorCode(err) != gateway.CodeInvalid {
			t.Errorf("Put(%q, %q): err = %v, want invalid", c.endpoint, c.key, err)
		}
	}
}

func TestReadField(t *testing.T) {
	srv := newFake(t)
	srv.AddMount("team/kv")
	writeUserSecret(t, srv, "secret", "shared/openai", map[string]any{"api_key": "sk-shared", "org": "org-1", "port": 8080})
	writeUserSecret(t, srv, "team/kv", "anthropic", map[string]any{"key": "sk-ant-team"})
	writeUserSecret(t, srv, "secret", "rotated", map[string]any{"api_key": "old"})
	writeUserSecret(t, srv, "secret", "rotated", map[string]any{"api_key": "new"})
	writeUserSecret(t, srv, "secret", "gone", map[string]any{"api_key": "x"})
	c, _ := vaultapi.NewClient(&vaultapi.Config{Address: srv.URL})
	c.SetToken(testToken)
	if err := c.KVv2("secret").Delete(context.Background(), "gone"); err != nil {
		t.Fatal(err)
	}

	s := newStore(t, srv, Config{Mount: "team/kv"})
	cases := []struct {
		path, field, want string
		code              gateway.Code
	}{
		{"secret/shared/openai", "api_key", "sk-shared", ""},
		{"secret/shared/openai", "org", "org-1", ""},
		{"team/kv/anthropic", "key", "sk-ant-team", ""}, // configured multi-segment mount
		{"secret/rotated", "api_key", "new", ""},        // latest version
		{"secret/shared/openai", "missing", "", gateway.CodeNotFound},
		{"secret/shared/openai", "port", "", gateway.CodeInvalid},
		{"secret/nope", "api_key", "", gateway.CodeNotFound},
		{"secret/gone", "api_key", "", gateway.CodeNotFound}, // soft-deleted latest version
		{"nomount/x", "api_key", "", gateway.CodeNotFound},
		{"secret", "api_key", "", gateway.CodeInvalid},
		{"/secret/x", "api_key", "", gateway.CodeInvalid},
		{"secret/../sys/x", "api_key", "", gateway.CodeInvalid},
		{"secret/shared/openai", "", "", gateway.CodeInvalid},
	}
	for _, c := range cases {
		got, err := s.ReadField(context.Background(), c.path, c.field)
		if c.code == "" {
			if err != nil || got != c.want {
				t.Errorf("ReadField(%q, %q) = %q, %v; want %q", c.path, c.field, got, err, c.want)
			}
			continue
		}
		if gateway.ErrorCode(err) != c.code {
			t.Errorf("ReadField(%q, %q): err = %v, want code %s", c.path, c.field, err, c.code)
		}
	}
}

func TestDeniedAccessIsClearAndHidesToken(t *testing.T) {
	srv := newFake(t)
	const badToken = "hvs.wrong-token-DEADBEEF"
	s := newStore(t, srv, Config{Token: badToken})
	ctx := context.Background()
	_, putErr := s.Put(ctx, gateway.NewID(), "api_key", "v")
	_, readErr := s.ReadField(ctx, "secret/shared/openai", "api_key")
	for _, err := range []error{putErr, readErr} {
		if gateway.ErrorCode(err) != gateway.CodeForbidden || !strings.Contains(gateway.ErrorMessage(err), "vault denied access") {
			t.Errorf("err = %v, want forbidden with a clear message", err)
		}
		if err != nil && (strings.Contains(err.Error(), badToken) || strings.Contains(err.Error(), "DEADBEEF")) {
			t.Errorf("error %q contains the token", err)
		}
	}
}

func TestTimeoutIsBounded(t *testing.T) {
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers; returns when the client gives up
	}))
	t.Cleanup(hung.Close)
	s, err := New(Config{Address: hung.URL, Token: testToken, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = s.ReadField(context.Background(), "secret/x", "f")
	if gateway.ErrorCode(err) != gateway.CodeUnavailable {
		t.Fatalf("err = %v, want unavailable", err)
	}
	if !strings.Contains(gateway.ErrorMessage(err), "in time") {
		t.Fatalf("message = %q, want a timeout message", gateway.ErrorMessage(err))
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("request took %v despite a 200ms timeout", elapsed)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Address: "http://127.0.0.1:1"},
		{Address: "http://127.0.0.1:1", Token: "t", Mount: "/secret/"},
		{Address: "http://127.0.0.1:1", Token: "t", Prefix: "a//b"},
	} {
		if _, err := New(cfg); gateway.ErrorCode(err) != gateway.CodeInvalid {
			t.Errorf("New(%+v): err = %v, want invalid", cfg, err)
		}
	}
}

func TestBadRefs(t *testing.T) {
	s := newStore(t, newFake(t), Config{})
	for _, ref := range []string{"local:0123456789abcdef01234567", "vault-kv:/abs", "vault-kv:a/../b", "vault-kv:a?b"} {
		if _, err := s.Resolve(context.Background(), ref); gateway.ErrorCode(err) != gateway.CodeInvalid {
			t.Errorf("Resolve(%q): err = %v, want invalid", ref, err)
		}
		if err := s.Delete(context.Background(), ref); gateway.ErrorCode(err) != gateway.CodeInvalid {
			t.Errorf("Delete(%q): err = %v, want invalid", ref, err)
		}
	}
}
