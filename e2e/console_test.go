package e2e

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/internal/e2e"
	"github.com/llmgate/llmgate/internal/testenv"
)

const orgsPath = "/api/organizations/v1/organizations"

// consoleFixture is a gateway with an organization "research" (member ann) and a user outside
// it (bob), and endpoints of each type granted to that organization only.
type consoleFixture struct {
	g        *e2e.Gateway
	annKey   string
	bobKey   string
	orgID    string
	fakeBase string
}

func newConsoleFixture(t *testing.T) *consoleFixture {
	fake := e2e.StartFake(t, fakeupstream.Options{})
	g := e2e.Start(t, e2e.Options{})
	annID, annKey := g.CreateUser(t, "ann", false)
	_, bobKey := g.CreateUser(t, "bob", false)
	var org struct {
		Org struct {
			ID string `json:"id"`
		} `json:"org"`
	}
	g.Do(t, "POST", orgsPath, g.AdminKey, map[string]any{"name": "research", "members": []any{}}).JSON(t, &org)
	if r := g.Do(t, "PUT", orgsPath+"/"+org.Org.ID+"/user", g.AdminKey, map[string]any{"userId": annID, "organizationRole": "member"}); r.Status != http.StatusOK {
		t.Fatalf("adding ann to research: %d %s", r.Status, r.Body)
	}
	f := &consoleFixture{g: g, annKey: annKey, bobKey: bobKey, orgID: org.Org.ID, fakeBase: fake.URL + "/v1"}
	for name, typ := range map[string]string{"team-chat": "llm/v1/chat", "team-complete": "llm/v1/completions", "team-embed": "llm/v1/embeddings"} {
		body := e2e.OpenAIEndpoint(name, f.fakeBase, fakeupstream.DefaultKey("openai"))
		body["endpointType"] = typ
		body["endpointPermissions"] = map[string]any{"isEveryoneAllowed": false, "userIds": []string{}, "organizationIds": []string{f.orgID}}
		g.CreateEndpoint(t, body)
	}
	return f
}

// A member of the organization signs in, sees exactly the endpoints granted to it (a user
// outside sees none), creates a key, and every code snippet the page shows runs unchanged with
// the real clients; the playground streams an answer through the query path, which the audit
// records; revoking the key refuses it on the next request; signing out ends the session.
func TestConsoleUserFindsCallsAndManagesTheirLLMs(t *testing.T) {
	f := newConsoleFixture(t)
	g := f.g
	ann := e2e.NewBrowser(t)
	ann.SignIn(g.URL, "ann", f.annKey)
	if !strings.HasSuffix(ann.Location(), "/console/llms") {
		t.Fatalf("after sign-in the browser is at %s, want the Gateway LLMs page", ann.Location())
	}
	if n := ann.Text("#llm-count"); n != "3 endpoints" {
		t.Fatalf("ann sees %q, want the 3 endpoints granted to research", n)
	}
	ann.Shot("console-llms")
	ann.Do(chromedp.EmulateViewport(390, 844))
	ann.Open(g.URL+"/console/llms", "#llm-count")
	ann.Shot("console-llms-phone")
	ann.Do(chromedp.EmulateViewport(1280, 900))

	bob := e2e.NewBrowser(t)
	bob.SignIn(g.URL, "bob", f.bobKey)
	if n := bob.Text("#llm-count"); n != "0 endpoints" || strings.Contains(e2e.Eval[string](bob, "document.body.innerHTML"), "team-chat") {
		t.Fatalf("bob, outside research, sees %q", n)
	}

	key := createKeyInConsole(t, ann, g.URL, "notebook", "1h")
	runSnippets(t, ann, key)

	ann.Open(g.URL+"/console/playground?endpoint=team-chat", "#pg-send")
	ann.Do(chromedp.Clear(chromedp.ID("pg-input")), chromedp.SendKeys(chromedp.ID("pg-input"), "Hello from the playground"),
		chromedp.Click(chromedp.ID("pg-send")))
	ann.Wait(`document.getElementById("pg-latency").textContent.endsWith(" ms")`)
	out, status, requestID := ann.Text("#pg-output"), ann.Text("#pg-status"), ann.Text("#pg-request")
	if status != "200" || !strings.Contains(out, "Hello from the playground") || len(requestID) < 10 {
		t.Fatalf("playground: status %s, output %q, request %q", status, out, requestID)
	}
	ann.Shot("console-playground")
	admin := e2e.NewBrowser(t)
	admin.SignIn(g.URL, "admin", g.AdminKey)
	admin.Open(g.URL+"/console/admin/audit?kind=AccessGatewayEndpoint&user=ann&endpoint=team-chat", "#audit")
	if row := admin.Text("#audit tbody tr:last-child"); !strings.Contains(row, requestID) {
		t.Fatalf("the audit page's last access by ann is %q, want the playground's request %s", row, requestID)
	}
	admin.Shot("console-audit")
	ann.Open(g.URL+"/console/keys", "#keys")
	// Clicked from a timer: the confirmation it opens (accepted by the browser helper) and the
	// navigation that follows must not cut the click action short.
	e2e.Eval[any](ann, `setTimeout(() => document.querySelector("#keys tbody tr:first-child button.danger").click(), 0)`)
	ann.Wait(`document.querySelector("#keys tbody tr:first-child td:nth-child(6)").textContent.startsWith("revoked")`)
	if r := g.Chat(t, key, "team-chat", "hi"); r.Status != http.StatusUnauthorized {
		t.Fatalf("revoked key: %d %s, want 401", r.Status, r.Body)
	}

	ann.Do(chromedp.Click(chromedp.ID("signout")), chromedp.WaitVisible(chromedp.ID("signin")))
	ann.Do(chromedp.Navigate(g.URL+"/console/keys"), chromedp.WaitVisible(chromedp.ID("signin")))
	if loc := ann.Location(); !strings.Contains(loc, "/console/signin?next=%2Fconsole%2Fkeys") {
		t.Fatalf("after sign-out /console/keys went to %s, want sign-in keeping the page", loc)
	}
}

// createKeyInConsole makes a key through the My API keys form and returns the secret the page
// shows once.
func createKeyInConsole(t *testing.T, b *e2e.Browser, base, name, expiry string) string {
	t.Helper()
	b.Open(base+"/console/keys", "#create-key")
	b.Do(chromedp.SendKeys(chromedp.ID("key-name"), name), chromedp.Clear(chromedp.ID("key-expiry")),
		chromedp.SendKeys(chromedp.ID("key-expiry"), expiry), chromedp.Click(chromedp.ID("create-key-button")))
	key := strings.TrimSpace(b.Text("#new-key-value"))
	if !strings.HasPrefix(key, "lgk_") {
		t.Fatalf("new key %q", key)
	}
	b.Shot("console-keys")
	return key
}

// runSnippets runs, exactly as the Gateway LLMs page shows them, the snippets of every client
// for every endpoint type with LLMGATE_API_KEY set: each must succeed and print the answer.
func runSnippets(t *testing.T, b *e2e.Browser, key string) {
	t.Helper()
	python := testenv.Python(t)
	b.Open(strings.TrimSuffix(b.Location(), "/console/keys")+"/console/llms", "#llm-count")
	type shown struct{ Endpoint, Client, Lang, Code string }
	snippets := e2e.Eval[[]shown](b, `[...document.querySelectorAll("article.llm code")].map(c => ({
		Endpoint: c.closest("article").dataset.endpoint, Client: c.dataset.client,
		Lang: c.className.replace("lang-", ""), Code: c.textContent}))`)
	if len(snippets) != 12 {
		t.Fatalf("%d snippets on the page, want 4 clients × 3 endpoints", len(snippets))
	}
	want := map[string]string{"team-chat": "Hello", "team-complete": "Hello", "team-embed": "["}
	for _, s := range snippets {
		cmd := exec.Command(python, "-c", s.Code)
		if s.Lang == "sh" {
			cmd = exec.Command("sh", "-c", s.Code)
		}
		cmd.Env = append(os.Environ(), "LLMGATE_API_KEY="+key)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), want[s.Endpoint]) {
			t.Errorf("%s snippet for %s: %v\n%s\n--- snippet:\n%s", s.Client, s.Endpoint, err, out, s.Code)
		}
	}
}

// A page on another site that posts to the console with the user's cookie (a forged
// cross-site request) is refused and changes nothing; markup in names never runs as script.
func TestConsoleRefusesForgedRequestsAndEscapesNames(t *testing.T) {
	f := newConsoleFixture(t)
	g := f.g
	xss := `"><img src=x onerror="window.__xss=1"><script>window.__xss=1</script>`
	body := e2e.OpenAIEndpoint("team-xss", f.fakeBase, fakeupstream.DefaultKey("openai"))
	body["modelName"] = "gpt" + xss
	g.CreateEndpoint(t, body)

	ann := e2e.NewBrowser(t)
	ann.SignIn(g.URL, "ann", f.annKey)
	ann.Open(g.URL+"/console/llms?q=team-xss", "#llm-count")
	if e2e.Eval[bool](ann, "window.__xss === 1") || !strings.Contains(ann.Text(`article[data-endpoint="team-xss"] dd:nth-of-type(3)`), xss) {
		t.Fatal("markup in a model name ran or was not shown as text")
	}
	ann.Open(g.URL+"/console/playground", "#pg-send")
	if e2e.Eval[bool](ann, "window.__xss === 1") {
		t.Fatal("markup ran on the playground")
	}

	forged := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<form method="post" action="` + g.URL + `/console/keys"><input name="name" value="forged">` +
			`<input name="expiry" value="1h"></form><script>document.forms[0].submit()</script>`))
	}))
	defer forged.Close()
	ann.Do(chromedp.Navigate(forged.URL))
	ann.Wait(`location.href.includes("/console/") && document.querySelector("footer") !== null`)
	if r := g.Do(t, "GET", "/api/pat/v1/tokens", f.annKey, nil); strings.Contains(string(r.Body), "forged") {
		t.Fatalf("a forged cross-site POST created a key: %s", r.Body)
	}
	if h := e2e.Eval[string](ann, "document.querySelector('h1').textContent"); !strings.Contains(h, "403") {
		t.Fatalf("the forged POST got %q, want a 403 page", h)
	}
}
