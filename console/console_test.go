package console_test

import (
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
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
		httpkit.ServeQuery(w, r, e.Pipeline, openai.Surface{}, pipeline.Query{Type: typ, Caller: c})
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
		"/console/admin/endpoints/chat/permissions", "/console/admin/audit", "/console/admin/audit?kind=CreateUser&outcome=success",
		"/console/admin/audit/events/1", "/console/admin/usage?by=organization&days=30", "/console/admin/usage?by=user", "/console/admin/users", "/console/admin/users?q=adm&offset=50", "/console/admin/orgs", "/console/admin/keys"} {
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

// The audit page pages through a filtered trail with a keyset cursor, every event once; its
// download holds the whole filtered set; verification reports the chain intact; a bad filter
// value is a 400 naming the field; a non-admin gets 403.
func TestAuditPagePagesFiltersExportsAndVerifies(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 60; i++ {
		e.User("user" + strconv.Itoa(i))
	}
	admin := e.signIn(t, "admin", e.AdminKey)
	seen := map[string]bool{}
	path := "/console/admin/audit?kind=CreateUser"
	for pages := 0; path != ""; pages++ {
		status, page := admin.get(path)
		if status != http.StatusOK || pages > 3 {
			t.Fatalf("%s: %d after %d pages", path, status, pages)
		}
		for _, m := range seqRE.FindAllStringSubmatch(page, -1) {
			if seen[m[1]] {
				t.Fatalf("event %s shown twice", m[1])
			}
			seen[m[1]] = true
		}
		path = html.UnescapeString(hidden(strings.ReplaceAll(page, `rel="next" id="audit-next" href=`, `name="next" value=`), "next"))
	}
	if len(seen) != 61 { // 60 users and the bootstrap admin
		t.Fatalf("paged through %d CreateUser events, want 61", len(seen))
	}
	status, csv := admin.get("/console/admin/audit/export?format=csv&kind=CreateUser")
	if status != http.StatusOK || strings.Count(csv, "\n") != 62 {
		t.Fatalf("CSV export: %d with %d lines, want a header and 61 rows", status, strings.Count(csv, "\n"))
	}
	status, page, _ := admin.post("/console/admin/audit/verify", url.Values{"csrf": {admin.csrf}})
	if status != http.StatusOK || !strings.Contains(page, "Chain intact") {
		t.Fatalf("verify: %d %.300s", status, page)
	}
	if status, page := admin.get("/console/admin/audit?from=yesterday"); status != http.StatusBadRequest || !strings.Contains(page, `id="error-from"`) {
		t.Fatalf("bad from: %d", status)
	}
	_, key := e.User("plain")
	plain := e.signIn(t, "plain", key)
	if status, _ := plain.get("/console/admin/audit"); status != http.StatusForbidden {
		t.Fatalf("non-admin on the audit page: %d, want 403", status)
	}
	if status, _ := plain.get("/console/admin/audit/export?format=jsonl"); status != http.StatusForbidden {
		t.Fatalf("non-admin export: %d, want 403", status)
	}
}

var seqRE = regexp.MustCompile(`<tr data-seq="(\d+)">`)

// A playground query runs as the signed-in user through the query path (their permissions,
// audited with the console as its API) and shows in their usage; without the CSRF header it
// is refused, and a user may not use an endpoint not granted to them.
func TestPlaygroundRunsAsTheUserAndShowsInTheirUsage(t *testing.T) {
	e := newEnv(t)
	e.Endpoint("open", gateway.TypeChat, "m", nil)
	e.Endpoint("closed", gateway.TypeChat, "m", func(in *app.EndpointInput) { in.Permissions = gateway.Permissions{} })
	_, key := e.User("uma")
	uma := e.signIn(t, "uma", key)
	ask := func(model, csrf string) int {
		req, _ := http.NewRequest("POST", e.url+"/console/playground/chat", strings.NewReader(
			`{"model":"`+model+`","messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", csrf)
		resp, err := uma.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := ask("open", ""); got != http.StatusForbidden {
		t.Fatalf("without the CSRF token: %d, want 403", got)
	}
	if got := ask("closed", uma.csrf); got != http.StatusForbidden && got != http.StatusNotFound {
		t.Fatalf("an endpoint not granted: %d", got)
	}
	if got := ask("open", uma.csrf); got != http.StatusOK {
		t.Fatalf("playground query: %d", got)
	}
	evs := e.AccessEvents("open")
	if len(evs) != 1 || evs[0].Metadata["api"] != "openai" || evs[0].Metadata["accessedByUsername"] != "uma" {
		t.Fatalf("access events %+v", evs)
	}
	if _, page := uma.get("/console/usage"); !regexp.MustCompile(`<td>open</td>\s*<td>1</td>`).MatchString(page) || !strings.Contains(page, "≤ 25 ms") {
		t.Fatalf("My usage does not show one request to open:\n%s", page)
	}
}

// An admin creates a user and an organization, adds the user as a member, and deactivates
// them: the user's open console session is refused on its next page. A taken username is
// shown next to the field with 409.
func TestAdminManagesUsersAndOrganizations(t *testing.T) {
	e := newEnv(t)
	admin := e.signIn(t, "admin", e.AdminKey)
	form := url.Values{"csrf": {admin.csrf}, "username": {"vic"}, "email": {"vic@example.org"}}
	if status, _, loc := admin.post("/console/admin/users", form); status != http.StatusSeeOther || !strings.Contains(loc, "q=vic") {
		t.Fatalf("create user: %d %s", status, loc)
	}
	if status, page, _ := admin.post("/console/admin/users", form); status != http.StatusConflict || !strings.Contains(page, `id="username-error"`) {
		t.Fatalf("duplicate username: %d", status)
	}
	status, _, loc := admin.post("/console/admin/orgs", url.Values{"csrf": {admin.csrf}, "name": {"lab"}})
	if status != http.StatusSeeOther {
		t.Fatalf("create org: %d", status)
	}
	if status, _, _ := admin.post(loc+"/members", url.Values{"csrf": {admin.csrf}, "username": {"vic"}, "role": {"member"}}); status != http.StatusSeeOther {
		t.Fatalf("add member: %d", status)
	}
	if _, page := admin.get(loc); !strings.Contains(page, `data-member="vic"`) {
		t.Fatal("the organization page does not list vic")
	}
	if status, page, _ := admin.post(loc+"/members", url.Values{"csrf": {admin.csrf}, "username": {"nobody"}}); status != http.StatusBadRequest || !strings.Contains(page, `id="member-error"`) {
		t.Fatalf("unknown member: %d", status)
	}
	vic := e.App.Snapshot().UserByName("vic")
	key, _, err := e.App.CreateKey(t.Context(), app.CLIActor, vic.ID, "k", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	session := e.signIn(t, "vic", key)
	if status, _, _ := admin.post("/console/admin/users/"+vic.ID+"/active", url.Values{"csrf": {admin.csrf}, "active": {"false"}}); status != http.StatusSeeOther {
		t.Fatalf("deactivate: %d", status)
	}
	if status, _ := session.get("/console/llms"); status != http.StatusSeeOther {
		t.Fatalf("a deactivated user's session: %d, want the redirect to sign-in", status)
	}
	if _, page := admin.get("/console/admin/keys?q=vic"); !strings.Contains(page, "1 live key") {
		t.Fatalf("all keys for vic: %.2000s", page)
	}
	if status, _, _ := admin.post("/console/admin/users/"+vic.ID+"/admin", url.Values{"csrf": {admin.csrf}, "admin": {"true"}}); status != http.StatusSeeOther || !e.App.Snapshot().User(vic.ID).Admin {
		t.Fatalf("make admin: %d", status)
	}
	if status, _, _ := admin.post(loc+"/rename", url.Values{"csrf": {admin.csrf}, "name": {"research"}}); status != http.StatusSeeOther || e.App.Snapshot().OrgByName("research") == nil {
		t.Fatalf("rename: %d", status)
	}
	if status, page, _ := admin.post(loc+"/delete", url.Values{"csrf": {admin.csrf}, "confirm": {"lab"}}); status != http.StatusBadRequest || !strings.Contains(page, `id="org-confirm-error"`) {
		t.Fatalf("delete with the wrong name: %d", status)
	}
	if status, _, _ := admin.post(loc+"/delete", url.Values{"csrf": {admin.csrf}, "confirm": {"research"}}); status != http.StatusSeeOther || e.App.Snapshot().OrgByName("research") != nil {
		t.Fatalf("delete: %d", status)
	}
}

// Signing out ends the session on the server: the same cookie presented again is refused and
// sent to sign-in. An unknown page is a 404 inside the layout. A sign-in form posted without
// its token, or from another site, is refused with 403.
func TestSignOutEndsTheSessionAndUnknownPagesAre404(t *testing.T) {
	e := newEnv(t)
	admin := e.signIn(t, "admin", e.AdminKey)
	if status, page := admin.get("/console/no-such-page"); status != http.StatusNotFound || !strings.Contains(page, `id="signout"`) {
		t.Fatalf("unknown page: %d", status)
	}
	u, _ := url.Parse(e.url + "/console/")
	stolen := admin.c.Jar.Cookies(u)
	if status, _, loc := admin.post("/console/signout", url.Values{"csrf": {admin.csrf}}); status != http.StatusSeeOther || loc != "/console/signin" {
		t.Fatalf("sign-out: %d %s", status, loc)
	}
	replay, _ := cookiejar.New(nil)
	replay.SetCookies(u, stolen)
	c := &http.Client{Jar: replay, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(e.url + "/console/keys")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/signin?next=") {
		t.Fatalf("the signed-out cookie replayed: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	anon := &browser{t: t, c: &http.Client{}, base: e.url}
	if status, _, _ := anon.post("/console/signin", url.Values{"username": {"admin"}, "apiKey": {e.AdminKey}}); status != http.StatusForbidden {
		t.Fatalf("sign-in without the form's token: %d, want 403", status)
	}
}
