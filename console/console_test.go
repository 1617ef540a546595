package console_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/api/openai"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/console"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
)

// env is the console over an in-process gateway (SQLite, fake provider).
type env struct {
	*pipelinetest.Env
	url string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := pipelinetest.New(t, pipelinetest.Options{})
	mux := http.NewServeMux()
	console.Register(mux, e.App, console.Options{Query: func(w http.ResponseWriter, r *http.Request, typ gateway.EndpointType, c app.Caller) {
		e.Pipeline.Serve(w, r, pipeline.Query{Surface: openai.Surface{}, Type: typ, Caller: c})
	}})
	srv := httptest.NewServer(httpkit.Middleware(slog.New(slog.DiscardHandler), mux))
	t.Cleanup(srv.Close)
	return &env{Env: e, url: srv.URL}
}

// browser is a cookie-keeping client that does not follow redirects, so tests see them.
type browser struct {
	t    *testing.T
	c    *http.Client
	base string
	csrf string
}

func (e *env) signIn(t *testing.T, user, key string) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, base: e.url, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	_, page := b.get("/console/signin")
	token := hidden(page, "csrf")
	status, _, loc := b.post("/console/signin", url.Values{"csrf": {token}, "username": {user}, "apiKey": {key}})
	if status != http.StatusSeeOther || loc != "/console/llms" {
		t.Fatalf("sign-in as %s: %d to %q", user, status, loc)
	}
	_, page = b.get("/console/llms")
	b.csrf = hidden(page, "csrf")
	return b
}

var hiddenRE = regexp.MustCompile(`name="(\w+)" value="([^"]*)"`)

func hidden(page, name string) string {
	for _, m := range hiddenRE.FindAllStringSubmatch(page, -1) {
		if m[1] == name {
			return m[2]
		}
	}
	return ""
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (b *browser) post(path string, form url.Values) (status int, body, location string) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), resp.Header.Get("Location")
}

// Every console page renders for an administrator (a template mistake is a failure here, not
// a blank page in production), inside the layout and with the security headers.
func TestEveryPageRendersForAnAdmin(t *testing.T) {
	e := newEnv(t)
	e.Endpoint("chat", gateway.TypeChat, "m", nil)
	admin := e.signIn(t, "admin", e.AdminKey)
	for _, path := range []string{"/console/llms", "/console/llms?q=ch&offset=0", "/console/keys", "/console/playground",
		"/console/usage?days=30", "/console/admin/endpoints", "/console/admin/endpoints?sort=modelName&desc=true",
		"/console/admin/endpoints/new", "/console/admin/endpoints/new?provider=fakeai", "/console/admin/endpoints/chat",
		"/console/admin/endpoints/chat/permissions"} {
		status, page := admin.get(path)
		if status != http.StatusOK || !strings.Contains(page, `<footer>`) {
			t.Errorf("%s: %d\n%.500s", path, status, page)
		}
	}
	resp, err := http.Get(e.url + "/console/signin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("security headers: CSP %q, X-Frame-Options %q", csp, resp.Header.Get("X-Frame-Options"))
	}
}
