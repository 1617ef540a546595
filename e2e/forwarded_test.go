package e2e

import (
	"net/http"
	"testing"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/internal/e2e"
)

// Behind a trusted load balancer the audit event records the client named in X-Forwarded-For;
// without --trusted-proxies the same header is ignored and the peer is recorded.
func TestAuditRecordsTheForwardedClientOnlyBehindATrustedProxy(t *testing.T) {
	fake := e2e.StartFake(t, fakeupstream.Options{})
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"trusted", []string{"--trusted-proxies", "127.0.0.0/8"}, "198.51.100.7"},
		{"untrusted", nil, "127.0.0.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := e2e.Start(t, e2e.Options{ExtraArgs: c.args})
			g.CreateEndpoint(t, e2e.OpenAIEndpoint("chat", fake.URL+"/v1", fakeupstream.DefaultKey("openai")))
			r := e2e.Do(t, g.URL, "POST", "/v1/chat/completions", map[string]string{
				"Authorization": "Bearer " + g.AdminKey, "X-Forwarded-For": "6.6.6.6, 198.51.100.7",
			}, e2e.ChatBody("chat", "hello", false))
			if r.Status != http.StatusOK {
				t.Fatalf("query: %d %s", r.Status, r.Body)
			}
			events := g.ExportAudit(t, "--kind", "AccessGatewayEndpoint")
			if len(events) != 1 {
				t.Fatalf("want 1 access event, got %d", len(events))
			}
			if got := events[0].Metadata["clientIp"]; got != c.want {
				t.Fatalf("clientIp = %q, want %q", got, c.want)
			}
		})
	}
}
