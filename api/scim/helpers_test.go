package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/api/scim"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
)

// env is an in-process gateway (query surfaces from pipelinetest) with the SCIM surface on a
// second server sharing its App, and a SCIM token.
type env struct {
	*pipelinetest.Env
	scimURL string
	token   string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{Env: pipelinetest.New(t, pipelinetest.Options{})}
	e.Endpoint("chat", gateway.TypeChat, "m", nil)
	token, _, err := e.App.CreateSCIMToken(context.Background(), app.CLIActor, "idp")
	if err != nil {
		t.Fatal(err)
	}
	e.token = token
	mux := http.NewServeMux()
	scim.Register(mux, e.App, scim.Options{MaxBodyBytes: 64 << 10})
	srv := httptest.NewServer(httpkit.Middleware(slog.New(slog.DiscardHandler), mux))
	t.Cleanup(srv.Close)
	e.scimURL = srv.URL
	return e
}

// answer is one SCIM response.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// call sends body (a JSON document as the IdP wrote it) with the SCIM token.
func (e *env) call(method, path, body string) answer {
	return e.callAs(e.token, method, path, body)
}

func (e *env) callAs(token, method, path, body string) answer {
	e.T.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.scimURL+path, rd)
	if err != nil {
		e.T.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json; charset=utf-8")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &a.body); err != nil {
			e.T.Fatalf("%s %s: answer is not JSON: %s", method, path, raw)
		}
		if ct := resp.Header.Get("Content-Type"); ct != scim.ContentType {
			e.T.Fatalf("%s %s: Content-Type %q, want %s", method, path, ct, scim.ContentType)
		}
	}
	return a
}

// must fails unless the answer has status.
func (a answer) must(t *testing.T, status int) answer {
	t.Helper()
	if a.status != status {
		t.Fatalf("HTTP %d, want %d: %s", a.status, status, a.raw)
	}
	return a
}

func (a answer) str(key string) string {
	v, _ := a.body[key].(string)
	return v
}

// scimError checks the SCIM error envelope (RFC 7644 §3.12) and returns its scimType.
func (a answer) scimError(t *testing.T, status int) string {
	t.Helper()
	a.must(t, status)
	schemas, _ := a.body["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" || a.str("status") != strconv.Itoa(status) || a.str("detail") == "" {
		t.Fatalf("not a SCIM error envelope with status %d: %s", status, a.raw)
	}
	return a.str("scimType")
}

// total is a list answer's totalResults.
func (a answer) total() int {
	n, _ := a.body["totalResults"].(float64)
	return int(n)
}

func (a answer) resources() []map[string]any {
	list, _ := a.body["Resources"].([]any)
	out := make([]map[string]any, len(list))
	for i, r := range list {
		out[i], _ = r.(map[string]any)
	}
	return out
}

// query asks the chat endpoint with key and returns the status.
func (e *env) query(key string) int {
	e.T.Helper()
	status, _, _ := e.Do("POST", "/endpoints/chat/invocations", key,
		map[string]any{"messages": []map[string]string{{"role": "user", "content": "hi"}}})
	return status
}

// keyFor gives the user a fresh key, as they would have made themselves.
func (e *env) keyFor(userID string) string {
	e.T.Helper()
	key, _, err := e.App.CreateKey(context.Background(), app.CLIActor, userID, "laptop", 0, "")
	if err != nil {
		e.T.Fatal(err)
	}
	return key
}

// scimEvents are the audit events performed through SCIM, by kind.
func (e *env) scimEvents() map[string]int {
	e.T.Helper()
	evs, err := e.App.Store.QueryAudit(context.Background(), gateway.AuditFilter{})
	if err != nil {
		e.T.Fatal(err)
	}
	out := map[string]int{}
	for _, ev := range evs {
		if ev.Metadata["performedByUsername"] == "llmgate-scim" && ev.Metadata["api"] == "scim" {
			out[ev.Kind]++
		}
	}
	return out
}
