package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Try sends one request and returns the completed exchange or the transport error. Unlike
// Do it needs no testing.TB, so load generators can call it from their own goroutines.
func Try(ctx context.Context, base, method, path string, headers map[string]string, body []byte) (*Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}, nil
}

// CreateEndpoint creates an endpoint through the Domino admin API as the admin and returns
// its id; anything but 200 fails t.
func (g *Gateway) CreateEndpoint(t testing.TB, body map[string]any) string {
	t.Helper()
	r := g.Do(t, "POST", "/api/aigateway/v1/endpoints", g.AdminKey, body)
	if r.Status != http.StatusOK {
		t.Fatalf("creating endpoint %v: %d %s", body["endpointName"], r.Status, r.Body)
	}
	var out struct {
		EndpointID string `json:"endpointId"`
	}
	r.JSON(t, &out)
	return out.EndpointID
}

// OpenAIEndpoint is a create body for a chat endpoint on the OpenAI provider at apiBase
// (e.g. a Fake's URL + "/v1"), usable by the given user ids (everyone when none).
func OpenAIEndpoint(name, apiBase, apiKey string, userIDs ...string) map[string]any {
	return map[string]any{
		"endpointName":  name,
		"endpointType":  "llm/v1/chat",
		"modelProvider": "openai",
		"modelName":     "gpt-4o-mini",
		"modelConfig":   map[string]any{"openai_api_key": apiKey, "openai_api_base": apiBase},
		"endpointPermissions": map[string]any{
			"isEveryoneAllowed": len(userIDs) == 0,
			"userIds":           append([]string{}, userIDs...),
		},
	}
}

// ChatBody is an OpenAI-compatible chat completions request for endpoint model.
func ChatBody(model, prompt string, stream bool) []byte {
	raw, _ := json.Marshal(map[string]any{
		"model":    model,
		"messages": []map[string]string{{"role": "user", "content": prompt}},
		"stream":   stream,
	})
	return raw
}

// Chat queries endpoint through the OpenAI-compatible surface with key as Bearer token.
func (g *Gateway) Chat(t testing.TB, key, endpoint, prompt string) *Response {
	t.Helper()
	return Do(t, g.URL, "POST", "/v1/chat/completions", map[string]string{"Authorization": "Bearer " + key}, ChatBody(endpoint, prompt, false))
}

// ExportedEvent is one line of `llmgate audit export --format jsonl`.
type ExportedEvent struct {
	ID         string            `json:"id"`
	Kind       string            `json:"kind"`
	EndpointID string            `json:"endpointId"`
	Metadata   map[string]string `json:"metadata"`
	Seq        int64             `json:"seq"`
}

// ExportAudit runs `llmgate audit export` with extra flags and decodes its JSON lines.
func (g *Gateway) ExportAudit(t testing.TB, flags ...string) []ExportedEvent {
	t.Helper()
	out := g.CLI(t, append([]string{"audit", "export", "--format", "jsonl"}, flags...)...)
	var events []ExportedEvent
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev ExportedEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("audit export line is not JSON (%v): %s", err, sc.Bytes())
		}
		events = append(events, ev)
	}
	return events
}

// AccessRequestIDs counts the access events per metadata.requestId for one endpoint, as
// `llmgate audit export` reports them.
func (g *Gateway) AccessRequestIDs(t testing.TB, endpoint string) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for _, ev := range g.ExportAudit(t, "--kind", "AccessGatewayEndpoint", "--endpoint", endpoint) {
		seen[ev.Metadata["requestId"]]++
	}
	return seen
}

// VerifyAudit runs `llmgate audit verify` and fails t unless the chain is intact.
func (g *Gateway) VerifyAudit(t testing.TB) string {
	t.Helper()
	out, errOut, code := g.RunCLI(t, "audit", "verify")
	if code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("audit verify: exit %d: %s %s", code, out, errOut)
	}
	return strings.TrimSpace(out)
}
