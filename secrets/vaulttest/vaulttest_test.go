package vaulttest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

const token = "hvs.fake"

type call struct {
	method, path, body string
	token              string
	wantStatus         int
	check              func(t *testing.T, body map[string]any)
}

func do(t *testing.T, srv *Server, c call) {
	t.Helper()
	req, err := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Vault-Token", c.token)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != c.wantStatus {
		t.Fatalf("%s %s: status %d (%s), want %d", c.method, c.path, resp.StatusCode, raw, c.wantStatus)
	}
	if c.check == nil {
		return
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("%s %s: body %q is not JSON: %v", c.method, c.path, raw, err)
	}
	c.check(t, body)
}

func field(body map[string]any, keys ...string) any {
	var v any = body
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

func expect(keys []string, want any) func(t *testing.T, body map[string]any) {
	return func(t *testing.T, body map[string]any) {
		t.Helper()
		if got := field(body, keys...); got != want {
			t.Fatalf("%s = %#v, want %#v (body %v)", strings.Join(keys, "."), got, want, body)
		}
	}
}

// One scripted session following Vault's KV v2 documentation.
func TestKVv2Session(t *testing.T) {
	srv := NewServer(token)
	defer srv.Close()
	steps := []call{
		{method: "GET", path: "/v1/secret/data/app/db", token: "wrong", wantStatus: 403,
			check: func(t *testing.T, b map[string]any) {
				if errs, _ := b["errors"].([]any); len(errs) != 1 || errs[0] != "permission denied" {
					t.Fatalf("errors = %v, want [permission denied]", b["errors"])
				}
			}},
		{method: "GET", path: "/v1/secret/data/app/db", token: token, wantStatus: 404,
			check: func(t *testing.T, b map[string]any) {
				if errs, ok := b["errors"].([]any); !ok || len(errs) != 0 {
					t.Fatalf("errors = %v, want []", b["errors"])
				}
			}},
		{method: "POST", path: "/v1/secret/data/app/db", token: token, body: `{"data":{"password":"p1"}}`, wantStatus: 200,
			check: expect([]string{"data", "version"}, float64(1))},
		{method: "PUT", path: "/v1/secret/data/app/db", token: token, body: `{"data":{"password":"p2"},"options":{"cas":1}}`, wantStatus: 200,
			check: expect([]string{"data", "version"}, float64(2))},
		{method: "PUT", path: "/v1/secret/data/app/db", token: token, body: `{"data":{"password":"p3"},"options":{"cas":1}}`, wantStatus: 400},
		{method: "PUT", path: "/v1/secret/data/app/new", token: token, body: `{"data":{"a":"b"},"options":{"cas":0}}`, wantStatus: 200},
		{method: "PUT", path: "/v1/secret/data/app/db", token: token, body: `{"options":{}}`, wantStatus: 400},
		{method: "PUT", path: "/v1/secret/data/app/db", token: token, body: `{not json`, wantStatus: 400},
		{method: "GET", path: "/v1/secret/data/app/db", token: token, wantStatus: 200,
			check: expect([]string{"data", "data", "password"}, "p2")},
		{method: "GET", path: "/v1/secret/data/app/db?version=1", token: token, wantStatus: 200,
			check: expect([]string{"data", "data", "password"}, "p1")},
		{method: "GET", path: "/v1/secret/data/app/db?version=7", token: token, wantStatus: 404},
		{method: "GET", path: "/v1/secret/metadata/app/db", token: token, wantStatus: 200,
			check: expect([]string{"data", "current_version"}, float64(2))},
		{method: "DELETE", path: "/v1/secret/data/app/db", token: token, wantStatus: 204},
		{method: "GET", path: "/v1/secret/data/app/db", token: token, wantStatus: 404,
			check: func(t *testing.T, b map[string]any) {
				if field(b, "data", "data") != nil || field(b, "data", "metadata", "deletion_time") == "" {
					t.Fatalf("soft-deleted read = %v, want null data and a deletion time", b)
				}
			}},
		{method: "GET", path: "/v1/secret/data/app/db?version=1", token: token, wantStatus: 200,
			check: expect([]string{"data", "data", "password"}, "p1")},
		{method: "DELETE", path: "/v1/secret/metadata/app/db", token: token, wantStatus: 204},
		{method: "GET", path: "/v1/secret/metadata/app/db", token: token, wantStatus: 404},
		{method: "GET", path: "/v1/secret/data/app/db?version=1", token: token, wantStatus: 404},
		{method: "GET", path: "/v1/unmounted/data/x", token: token, wantStatus: 404},
		{method: "GET", path: "/v1/secret/data/", token: token, wantStatus: 404},
		{method: "PATCH", path: "/v1/secret/data/app/new", token: token, wantStatus: 405},
	}
	for _, s := range steps {
		do(t, srv, s)
	}
}

func TestLongestMountWins(t *testing.T) {
	srv := NewServer(token)
	defer srv.Close()
	srv.AddMount("secret/nested")
	do(t, srv, call{method: "PUT", path: "/v1/secret/nested/data/k", token: token, body: `{"data":{"v":"1"}}`, wantStatus: 200})
	if srv.Versions("secret/nested", "k") != 1 || srv.Versions("secret", "nested/data/k") != 0 {
		t.Fatal("write did not land in the longest matching mount")
	}
}
