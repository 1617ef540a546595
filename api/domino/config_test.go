package domino

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
)

// Finding 14 of issue 10: misspelt credential names were stored as plain values and shown to
// every user; a password inside a base URL likewise. Each is now a 400 naming the problem,
// and nothing is created.
func TestMisspeltCredentialKeysAreRefused(t *testing.T) {
	e := newEnv(t)
	for _, key := range []string{"api-key", "key", "openai-api-key", "openai_key", "authorization", "auth", "pwd",
		"api_key", "openai_apikey", "OPENAI_API_KEY", "openai_api_key ", "token", "secret"} {
		body := newEndpoint("m", "llm/v1/chat", true)
		body["modelConfig"] = map[string]any{"openai_api_key": "sk-good", key: "LEAKED-VALUE"}
		m := assertEnvelope(t, e.do("POST", endpointsPath, e.adminKey, body), 400)
		msg, _ := m["error"].(string)
		if !strings.Contains(msg, "is not a setting of provider \"openai\"") || !strings.Contains(msg, "openai_api_base") ||
			strings.Contains(msg, "LEAKED") {
			t.Errorf("key %q: error %q does not name the accepted keys (or echoes the value)", key, msg)
		}
	}
	for name, cfg := range map[string]map[string]any{
		"password in base URL": {"openai_api_key": "sk-good", "openai_api_base": "https://user:LEAKED-VALUE@proxy.example/v1"},
		"user in base URL":     {"openai_api_key": "sk-good", "openai_api_base": "http://LEAKED-VALUE@proxy.example"},
		"number credential":    {"openai_api_key": 5},
		"boolean value":        {"openai_api_key": "sk-good", "openai_organization": true},
	} {
		body := newEndpoint("m", "llm/v1/chat", true)
		body["modelConfig"] = cfg
		m := assertEnvelope(t, e.do("POST", endpointsPath, e.adminKey, body), 400)
		if msg, _ := m["error"].(string); strings.Contains(msg, "LEAKED") || !strings.Contains(msg, "modelConfig") {
			t.Errorf("%s: error %q", name, msg)
		}
	}
	body := newEndpoint("m", "llm/v1/chat", true)
	body["modelConfig"] = map[string]any{"openai_api_key": 5}
	if msg := assertEnvelope(t, e.do("POST", endpointsPath, e.adminKey, body), 400)["error"]; msg != "modelConfig.openai_api_key must be a string (or {\"secretRef\": \"env:NAME\"|\"vault:PATH#FIELD\"})" {
		t.Errorf("number credential: error %q does not name the field", msg)
	}
	for _, name := range []string{"..", ".", "...", "a\x00b", "a\nb", "a/b", "%2e%2e"} {
		assertEnvelope(t, e.do("POST", endpointsPath, e.adminKey, newEndpoint(name, "llm/v1/chat", true)), 400)
	}
	if n := len(e.app.Snapshot().Endpoints()); n != 0 || e.secretCount() != 0 {
		t.Errorf("refused creates left %d endpoints and %d secrets", n, e.secretCount())
	}
	e.create(newEndpoint("a..b", "llm/v1/chat", true))
}

// Finding 15 of issue 10: a PATCH of only openai_api_key dropped openai_api_base, so the stored
// key went to the provider's public host. PATCH now merges, null removes a key, and moving
// the endpoint elsewhere without giving the credential again is refused.
func TestPatchMergesModelConfigAndGuardsTheCredentialsHost(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	body := newEndpoint("s", "llm/v1/chat", true)
	body["modelConfig"] = map[string]any{"openai_api_key": "sk-ORIGINAL", "openai_api_base": "https://a.example/v1"}
	e.create(body)
	patch := func(cfg map[string]any) *resp {
		return e.do("PATCH", endpointsPath+"/s", e.adminKey, map[string]any{"modelConfig": cfg})
	}
	patch(map[string]any{"openai_api_key": "sk-ROTATED"}).expect(t, 200)
	ep := e.app.Snapshot().Endpoint("s")
	if v, _ := e.secrets.Resolve(ctx, ep.Secrets["openai_api_key"].Ref); v != "sk-ROTATED" || ep.Config["openai_api_base"] != "https://a.example/v1" {
		t.Fatalf("after patching the key alone: key %q, config %v", v, ep.Config)
	}
	for name, cfg := range map[string]map[string]any{
		"new base":             {"openai_api_base": "https://b.example/v1"},
		"new base, masked key": {"openai_api_base": "https://b.example/v1", "openai_api_key": gateway.SecretMask},
		"base removed":         {"openai_api_base": nil},
	} {
		m := assertEnvelope(t, patch(cfg), 400)
		if msg, _ := m["error"].(string); !strings.Contains(msg, "keeps the stored openai_api_key") {
			t.Errorf("%s: error %q", name, msg)
		}
	}
	if got := e.app.Snapshot().Endpoint("s"); !reflect.DeepEqual(got.Config, ep.Config) || got.Secrets["openai_api_key"] != ep.Secrets["openai_api_key"] {
		t.Fatalf("a refused PATCH changed the endpoint: %+v", got)
	}
	patch(map[string]any{"openai_api_base": "https://b.example/v1", "openai_api_key": "sk-FOR-B"}).expect(t, 200)
	patch(map[string]any{"openai_organization": "org-1"}).expect(t, 200)
	cfg := patch(map[string]any{"openai_organization": nil}).expect(t, 200).object(t)["modelConfig"]
	if want := map[string]any{"openai_api_key": gateway.SecretMask, "openai_api_base": "https://b.example/v1"}; !reflect.DeepEqual(cfg, want) {
		t.Errorf("modelConfig = %v, want %v", cfg, want)
	}
	ep = e.app.Snapshot().Endpoint("s")
	if v, _ := e.secrets.Resolve(ctx, ep.Secrets["openai_api_key"].Ref); v != "sk-FOR-B" {
		t.Errorf("key for the new base = %q", v)
	}
	assertEnvelope(t, patch(map[string]any{"openai_api_key": nil}), 400) // required key
	if e.secretCount() != 1 {
		t.Errorf("secret store holds %d values, want 1", e.secretCount())
	}
}
