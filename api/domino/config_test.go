package domino

import (
	"strings"
	"testing"
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
