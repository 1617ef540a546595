package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/internal/e2e"
	"github.com/llmgate/llmgate/internal/oidctest"
	"github.com/llmgate/llmgate/internal/testenv"
)

// A user signs in through a real OpenID Provider: created just in time, put in the
// organization their group maps to, and shown exactly what it grants. When the group is
// removed at the provider, the next sign-in takes the membership away and the user's key is
// refused on that endpoint. A JWT from the provider works as the MLflow client's token;
// expired, wrong-audience, wrong-issuer and unsigned tokens are refused. Each step is audited.
func TestSingleSignOnMapsGroupsAndAcceptsProviderTokens(t *testing.T) {
	op := oidctest.Start(t)
	op.AddUser(oidctest.User{Username: "dana", Password: "dana-password-1", Email: "dana@example.org", FirstName: "Dana", LastName: "Li",
		Groups: []string{"ml-team"}})
	fake := e2e.StartFake(t, fakeupstream.Options{})
	g := e2e.Start(t, e2e.Options{Env: []string{"SSO_CLIENT_SECRET=" + op.Secret}, ExtraArgs: []string{
		"--oidc-issuer", op.Issuer, "--oidc-client-id", op.ClientID, "--oidc-client-secret", "env:SSO_CLIENT_SECRET",
		"--oidc-display-name", "Example IdP", "--oidc-group-map", "ml-team=research"}})
	op.AllowRedirect(g.URL + "/console/oidc/sso/callback")
	var org struct {
		Org struct {
			ID string `json:"id"`
		} `json:"org"`
	}
	g.Do(t, "POST", orgsPath, g.AdminKey, map[string]any{"name": "research", "members": []any{}}).JSON(t, &org)
	body := e2e.OpenAIEndpoint("team-chat", fake.URL+"/v1", fakeupstream.DefaultKey("openai"))
	body["endpointPermissions"] = map[string]any{"isEveryoneAllowed": false, "userIds": []string{}, "organizationIds": []string{org.Org.ID}}
	g.CreateEndpoint(t, body)

	b := e2e.NewBrowser(t)
	ssoSignIn(t, b, g.URL, "dana", "dana-password-1")
	if n := b.Text("#llm-count"); n != "1 endpoint" {
		t.Fatalf("dana, in ml-team → research, sees %q", n)
	}
	b.Shot("console-sso-llms")
	key := createKeyInConsole(t, b, g.URL, "laptop", "1h")
	if r := g.Chat(t, key, "team-chat", "hi"); r.Status != http.StatusOK {
		t.Fatalf("dana's key while in research: %d %s", r.Status, r.Body)
	}

	// A JWT the provider signed is the MLflow client's token.
	jwt := op.Sign(t, op.Claims("dana", 5*time.Minute))
	python := testenv.Python(t)
	cmd := exec.Command(python, "-c", `from mlflow.deployments import get_deploy_client
print(get_deploy_client("`+g.URL+`").predict(endpoint="team-chat", inputs={"messages": [{"role": "user", "content": "Hello"}]})["choices"][0]["message"]["content"])`)
	cmd.Env = append(os.Environ(), "MLFLOW_TRACKING_TOKEN="+jwt)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "echo: Hello") {
		t.Fatalf("MLflow client with the provider's JWT: %v\n%s", err, out)
	}
	for name, token := range map[string]string{
		"expired":        op.Sign(t, with(op.Claims("dana", -time.Minute))),
		"wrong audience": op.Sign(t, with(op.Claims("dana", time.Minute), "aud", "someone-else")),
		"wrong issuer":   op.Sign(t, with(op.Claims("dana", time.Minute), "iss", "https://evil.example/")),
		"not yet valid":  op.Sign(t, with(op.Claims("dana", time.Hour), "nbf", time.Now().Add(30*time.Minute).Unix())),
		"unsigned":       unsigned(jwt),
	} {
		if r := g.Chat(t, token, "team-chat", "hi"); r.Status != http.StatusUnauthorized {
			t.Errorf("%s token: %d %s, want 401", name, r.Status, r.Body)
		}
	}

	// The provider's JWT exchanged for a short-lived llmgate key (RFC 8693).
	exchanged := exchangeToken(t, g.URL, url.Values{"grant_type": {oauthExchange}, "subject_token": {jwt},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:jwt"}, "expires_in": {"300"}, "name": {"notebook"}}, http.StatusOK)
	if exchanged["token_type"] != "Bearer" || exchanged["expires_in"] != float64(300) {
		t.Fatalf("exchange answer %v", exchanged)
	}
	if r := g.Chat(t, exchanged["access_token"].(string), "team-chat", "hi"); r.Status != http.StatusOK {
		t.Fatalf("the exchanged key: %d %s", r.Status, r.Body)
	}
	if e := exchangeToken(t, g.URL, url.Values{"grant_type": {"password"}}, http.StatusBadRequest); e["error"] != "unsupported_grant_type" {
		t.Fatalf("wrong grant: %v", e)
	}
	if e := exchangeToken(t, g.URL, url.Values{"grant_type": {oauthExchange}, "subject_token": {unsigned(jwt)},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:jwt"}}, http.StatusBadRequest); e["error"] != "invalid_grant" {
		t.Fatalf("unsigned subject token: %v", e)
	}

	// The group goes away at the provider: the next sign-in removes the membership.
	op.SetGroups("dana")
	b.Do(chromedp.Click(chromedp.ID("signout")), chromedp.WaitVisible(chromedp.ID("signin")))
	ssoSignIn(t, b, g.URL, "dana", "dana-password-1")
	if n := b.Text("#llm-count"); n != "0 endpoints" {
		t.Fatalf("after leaving ml-team dana sees %q", n)
	}
	if r := g.Chat(t, key, "team-chat", "hi"); r.Status != http.StatusForbidden && r.Status != http.StatusNotFound {
		t.Fatalf("dana's key after leaving the group: %d %s", r.Status, r.Body)
	}
	events := g.ExportAudit(t)
	var kinds []string
	for _, ev := range events {
		if strings.HasPrefix(ev.Metadata["performedByUsername"], "llmgate-oidc:sso") || ev.Metadata["method"] == "oidc:sso" {
			kinds = append(kinds, ev.Kind+"/"+ev.Metadata["outcome"])
		}
	}
	want := "CreateUser/,AddOrganizationMember/,ConsoleSignIn/success,ConsoleSignIn/success,RemoveOrganizationMember/,ConsoleSignIn/success"
	if got := strings.Join(kinds, ","); !strings.Contains(got, "CreateUser/,AddOrganizationMember/") || !strings.Contains(got, "RemoveOrganizationMember/") {
		t.Fatalf("identity events %s, want the JIT creation, the mapping changes and the sign-ins (like %s)", got, want)
	}
}

const oauthExchange = "urn:ietf:params:oauth:grant-type:token-exchange"

func exchangeToken(t *testing.T, base string, form url.Values, want int) map[string]any {
	t.Helper()
	resp, err := http.PostForm(base+"/oauth2/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != want {
		t.Fatalf("token exchange: %d %v %v, want %d", resp.StatusCode, out, err, want)
	}
	return out
}

func ssoSignIn(t *testing.T, b *e2e.Browser, base, user, password string) {
	t.Helper()
	b.Open(base+"/console/signin", "#sso-sso")
	b.Do(chromedp.Click(chromedp.ID("sso-sso")), chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("username"), user), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Submit(chromedp.ID("password")))
	b.Wait(`document.getElementById("who") !== null`)
}

func with(claims map[string]any, kv ...any) map[string]any {
	for i := 0; i+1 < len(kv); i += 2 {
		claims[kv[i].(string)] = kv[i+1]
	}
	return claims
}

// unsigned is jwt re-headed with alg "none" and no signature.
func unsigned(jwt string) string {
	parts := strings.Split(jwt, ".")
	return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
}

// Several identity providers: one from the flags, one from --oidc-providers-file; the sign-in
// page offers both, each signs its own users in, and each one's tokens are accepted.
func TestTwoIdentityProviders(t *testing.T) {
	corp, partner := oidctest.Start(t), oidctest.Start(t)
	corp.AddUser(oidctest.User{Username: "cora", Password: "cora-password-1", Email: "cora@corp.example"})
	partner.AddUser(oidctest.User{Username: "pia", Password: "pia-password-1", Email: "pia@partner.example"})
	file := filepath.Join(t.TempDir(), "providers.yaml")
	if err := os.WriteFile(file, []byte("providers:\n  - name: partner\n    displayName: Partner IdP\n    issuer: "+partner.Issuer+
		"\n    clientId: "+partner.ClientID+"\n    clientSecret: env:PARTNER_SECRET\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := e2e.Start(t, e2e.Options{Env: []string{"PARTNER_SECRET=" + partner.Secret}, ExtraArgs: []string{
		"--oidc-issuer", corp.Issuer, "--oidc-client-id", corp.ClientID, "--oidc-client-secret", corp.Secret,
		"--oidc-name", "corp", "--oidc-providers-file", file}})
	corp.AllowRedirect(g.URL + "/console/oidc/corp/callback")
	partner.AllowRedirect(g.URL + "/console/oidc/partner/callback")

	b := e2e.NewBrowser(t)
	b.Open(g.URL+"/console/signin", "#sso-partner")
	if n := e2e.Eval[int](b, `document.querySelectorAll("a.sso").length`); n != 2 {
		t.Fatalf("%d sign-in buttons, want 2", n)
	}
	b.Do(chromedp.Click(chromedp.ID("sso-partner")), chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("username"), "pia"), chromedp.SendKeys(chromedp.ID("password"), "pia-password-1"),
		chromedp.Submit(chromedp.ID("password")))
	b.Wait(`document.getElementById("who") !== null && document.getElementById("who").textContent === "pia"`)
	for _, c := range []struct {
		op   *oidctest.OP
		user string
	}{{corp, "cora"}, {partner, "pia"}} {
		tok := c.op.Sign(t, c.op.Claims(c.user, time.Minute))
		if r := g.Do(t, "GET", "/api/users/v1/self", tok, nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), c.user) {
			t.Errorf("%s's token from %s: %d %s", c.user, c.op.Issuer, r.Status, r.Body)
		}
	}
}
