package console

import (
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/identity/oidc"
)

// Single sign-on: the second way into the console. The browser goes to the provider with a
// state, a nonce and a PKCE challenge, and comes back to the callback, which checks them,
// lets app create or update the user from the provider's claims, and opens the same kind of
// session a key sign-in opens.

// pendingCookie keeps the sign-in in progress between leaving for the provider and coming back.
// SameSite=Lax, because the provider sends the browser back with a cross-site GET.
const pendingCookie = "llmgate_sso"

func (c *Console) ssoRoutes(mux httpkit.Mux) {
	mux.HandleFunc("GET "+Prefix+"/oidc/{provider}/login", c.ssoLogin)
	mux.HandleFunc("GET "+Prefix+"/oidc/{provider}/callback", c.ssoCallback)
}

// provider is the provider the path names; an unknown one is answered 404 here (nil).
func (c *Console) provider(w http.ResponseWriter, r *http.Request) *oidc.Provider {
	for _, p := range c.opts.SSO {
		if p.Name() == r.PathValue("provider") {
			return p
		}
	}
	c.fail(w, r, c.newView(r, nil, nil), gateway.Errorf(gateway.CodeNotFound, "no sign-in provider %q", truncate(r.PathValue("provider"), 64)))
	return nil
}

func (c *Console) callbackURL(r *http.Request, p *oidc.Provider) string {
	return c.baseURL(r) + Prefix + "/oidc/" + url.PathEscape(p.Name()) + "/callback"
}

func (c *Console) ssoLogin(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	p := c.provider(w, r)
	if p == nil {
		return
	}
	dest, pl, err := p.Start(r.Context(), c.callbackURL(r, p), safeNext(r.URL.Query().Get("next")))
	if err != nil {
		c.fail(w, r, c.newView(r, nil, nil), gateway.Wrap(gateway.CodeUnavailable, err, "the sign-in provider cannot be reached; try again or sign in with a key"))
		return
	}
	raw, _ := json.Marshal(pl)
	http.SetCookie(w, &http.Cookie{Name: pendingCookie, Value: base64.RawURLEncoding.EncodeToString(raw),
		Path: Prefix + "/oidc/" + p.Name(), MaxAge: 600, HttpOnly: true, Secure: c.opts.SecureCookies, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, dest, http.StatusFound)
}

// ssoCallback finishes the sign-in. Every failure is audited as a failed sign-in and shown on
// the sign-in page.
func (c *Console) ssoCallback(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	p := c.provider(w, r)
	if p == nil {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: pendingCookie, Value: "", Path: Prefix + "/oidc/" + p.Name(), MaxAge: -1,
		HttpOnly: true, Secure: c.opts.SecureCookies, SameSite: http.SameSiteLaxMode})
	refuse := func(reason, message string) {
		c.app.AuditSignInFailure(caller(r), p.Method(), reason)
		c.renderSignIn(w, r, http.StatusUnauthorized, "", "", message)
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		refuse("provider error: "+truncate(e, 64), "The sign-in provider refused: "+truncate(q.Get("error_description")+" ("+e+")", 300))
		return
	}
	pl, ok := readPending(r)
	if !ok || q.Get("state") == "" || !tokensEqual(q.Get("state"), pl.State) {
		refuse("state mismatch", "This sign-in was not started here or has expired; please start again.")
		return
	}
	ident, err := p.Finish(r.Context(), c.callbackURL(r, p), q.Get("code"), pl)
	if err != nil {
		refuse(truncate(err.Error(), 200), "The sign-in provider's answer could not be verified; please try again.")
		return
	}
	token, s, err := c.app.SignInExternal(r.Context(), caller(r), ident, p.Mapping())
	if err != nil {
		ge := gateway.AsError(err)
		c.renderSignIn(w, r, statusOf(ge), pl.Next, ident.UserName, ge.Message)
		return
	}
	c.setCookie(w, sessionCookie, token, s.ExpiresAt)
	continueTo(w, safeNext(pl.Next))
}

func readPending(r *http.Request) (oidc.Pending, bool) {
	var pl oidc.Pending
	ck, err := r.Cookie(pendingCookie)
	if err != nil {
		return pl, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || json.Unmarshal(raw, &pl) != nil {
		return pl, false
	}
	return pl, true
}

var continuePage = template.Must(template.New("continue").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="0;url={{.}}"><title>Signing in · llmgate</title></head>
<body><p>Signed in. <a href="{{.}}">Continue</a>.</p></body></html>`))

// continueTo ends the provider's redirect chain with a page of our own that moves on: the
// session cookie is SameSite=Strict, which a browser does not send on a navigation that a
// other site started, so the next page must be requested from this origin.
func continueTo(w http.ResponseWriter, next string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Refresh", "0;url="+next)
	continuePage.Execute(w, next)
}
