package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/internal/e2e"
)

// An upstream failure says why, in the log and in the access event: the kind of network
// failure, or the provider's status and its own message; the request log line carries the
// duration, status, endpoint, user, outcome and request id.
func TestUpstreamFailuresSayWhy(t *testing.T) {
	fake := e2e.StartFake(t, fakeupstream.Options{})
	g := e2e.Start(t, e2e.Options{})
	_, key := g.CreateUser(t, "una", false)
	okKey := fakeupstream.DefaultKey("openai")
	cases := []struct {
		endpoint, base, model string
		timeout               int
		want                  string
	}{
		{"f-dns", "http://llmgate-no-such-host.invalid/v1", "gpt-4o-mini", 0, "DNS lookup failed"},
		{"f-refused", "http://" + closedPort(t) + "/v1", "gpt-4o-mini", 0, "connection refused"},
		{"f-status", fake.URL + "/v1", "gpt-fake-error-503", 0, "openai answered HTTP 503: fake error requested by model gpt-fake-error-503"},
		{"f-timeout", fake.URL + "/v1", "gpt-fake-hang", 1, "timed out"},
	}
	ids := map[string]string{}
	for _, c := range cases {
		ep := e2e.OpenAIEndpoint(c.endpoint, c.base, okKey)
		ep["modelName"] = c.model
		if c.timeout > 0 {
			ep["timeoutSeconds"] = c.timeout
		}
		g.CreateEndpoint(t, ep)
		r := g.Chat(t, key, c.endpoint, "hi")
		if r.Status/100 != 5 {
			t.Fatalf("%s: status %d %s", c.endpoint, r.Status, r.Body)
		}
		if strings.Contains(string(r.Body), okKey) {
			t.Fatalf("%s: the answer holds the credential: %s", c.endpoint, r.Body)
		}
		ids[c.endpoint] = r.Header.Get("X-Request-Id")
	}
	events := g.ExportAudit(t, "--kind", "AccessGatewayEndpoint", "--user", "una")
	byEndpoint := map[string]e2e.ExportedEvent{}
	for _, ev := range events {
		byEndpoint[ev.Metadata["endpointName"]] = ev
	}
	for _, c := range cases {
		ev := byEndpoint[c.endpoint]
		if cause := ev.Metadata["errorCause"]; !strings.Contains(cause, c.want) || strings.Contains(cause, okKey) {
			t.Errorf("%s: audit errorCause %q, want it to contain %q", c.endpoint, cause, c.want)
		}
		if !strings.Contains(upstreamLogLine(t, g.Logs(), ids[c.endpoint]), c.want) {
			t.Errorf("%s: no 'upstream call failed' log line naming %q:\n%s", c.endpoint, c.want, g.Logs())
		}
		line := requestLogLine(t, g.Logs(), ids[c.endpoint])
		if line["endpoint"] != c.endpoint || line["user"] != "una" || line["outcome"] == "" || line["status"] == nil || line["durationMs"] == nil {
			t.Errorf("%s: request log line %v lacks endpoint, user, outcome, status or duration", c.endpoint, line)
		}
	}
}

func logLines(t *testing.T, logs string) []map[string]any {
	var out []map[string]any
	for _, l := range strings.Split(logs, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

func requestLogLine(t *testing.T, logs, requestID string) map[string]any {
	for _, m := range logLines(t, logs) {
		if m["msg"] == "request" && m["requestId"] == requestID {
			return m
		}
	}
	return nil
}

func upstreamLogLine(t *testing.T, logs, requestID string) string {
	for _, m := range logLines(t, logs) {
		if m["msg"] == "upstream call failed" && m["requestId"] == requestID {
			cause, _ := m["cause"].(string)
			return cause
		}
	}
	return ""
}
