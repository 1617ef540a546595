package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/internal/e2e"
)

// An admin creates an endpoint for the fake upstream through the provider-catalogue form
// (a missing credential is shown next to its field, and the credential is never shown back),
// grants it to one organization with the permission editor, and a member can then query it
// while a user outside cannot; a non-admin gets 403 on admin pages; deleting needs the name.
func TestConsoleAdminCreatesAndGrantsAnEndpoint(t *testing.T) {
	f := newConsoleFixture(t)
	g := f.g
	admin := e2e.NewBrowser(t)
	admin.SignIn(g.URL, "admin", g.AdminKey)
	admin.Open(g.URL+"/console/admin/endpoints/new?provider=openai", "#endpoint-form")
	admin.Do(chromedp.SendKeys(chromedp.ID("ep-name"), "form-chat"), chromedp.SendKeys(chromedp.ID("ep-model"), "gpt-4o-mini"),
		chromedp.SendKeys(chromedp.ID("cfg-openai_api_base"), f.fakeBase), chromedp.Click(chromedp.ID("save-endpoint")))
	if msg := admin.Text(`#endpoint-form .field-error`); !strings.Contains(msg, "openai_api_key") {
		t.Fatalf("missing key: the form says %q, want a message about openai_api_key", msg)
	}
	admin.Shot("console-endpoint-form-error")
	secret := fakeupstream.DefaultKey("openai")
	admin.Do(chromedp.SendKeys(chromedp.ID("cfg-openai_api_key"), secret), chromedp.Click(chromedp.ID("save-endpoint")),
		chromedp.WaitVisible(chromedp.ID("permissions-form")))
	admin.Do(chromedp.Click(chromedp.ID("everyone-no")), chromedp.SendKeys(chromedp.ID("add-org"), "research"),
		chromedp.Click(chromedp.ID("save-permissions")))
	admin.Wait(`document.getElementById("flash") && document.getElementById("flash").textContent.includes("saved")`)
	admin.Shot("console-permissions")

	if r := g.Chat(t, f.annKey, "form-chat", "hi"); r.Status != http.StatusOK {
		t.Fatalf("member of research: %d %s", r.Status, r.Body)
	}
	if r := g.Chat(t, f.bobKey, "form-chat", "hi"); r.Status == http.StatusOK {
		t.Fatalf("user outside research got %d", r.Status)
	}
	admin.Open(g.URL+"/console/admin/endpoints/form-chat", "#endpoint-form")
	if html := e2e.Eval[string](admin, "document.documentElement.outerHTML"); strings.Contains(html, secret) {
		t.Fatal("the edit form shows the stored credential")
	}
	admin.Open(g.URL+"/console/admin/endpoints?q=form", "#endpoints")
	if n := admin.Text("#endpoint-count"); n != "1 endpoint" {
		t.Fatalf("search for form: %q", n)
	}
	admin.Shot("console-endpoints")

	bob := e2e.NewBrowser(t)
	bob.SignIn(g.URL, "bob", f.bobKey)
	bob.Open(g.URL+"/console/admin/endpoints", "h1")
	if h := bob.Text("h1"); !strings.Contains(h, "403") {
		t.Fatalf("a non-admin on the endpoints page sees %q, want 403", h)
	}

	admin.Open(g.URL+"/console/admin/endpoints/form-chat", "#delete-endpoint")
	admin.Do(chromedp.SendKeys(chromedp.ID("delete-confirm"), "form-cha"), chromedp.Click(chromedp.ID("delete-button")),
		chromedp.WaitVisible(chromedp.ID("confirm-error")))
	admin.Do(chromedp.Clear(chromedp.ID("delete-confirm")), chromedp.SendKeys(chromedp.ID("delete-confirm"), "form-chat"),
		chromedp.Click(chromedp.ID("delete-button")), chromedp.WaitVisible(chromedp.ID("endpoints")))
	if r := g.Chat(t, f.annKey, "form-chat", "hi"); r.Status == http.StatusOK {
		t.Fatalf("deleted endpoint still answers")
	}
}
