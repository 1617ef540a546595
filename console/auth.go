package console

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/gateway"
)

type signInData struct {
	Next     string
	UserName string
	Token    string // the form's double-submit token
	SSO      []ssoLink
}

type ssoLink struct{ Name, Label, URL string }

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	c.renderSignIn(w, r, http.StatusOK, r.URL.Query().Get("next"), "", "")
}

// renderSignIn shows the form with a fresh double-submit token in a cookie and the form.
func (c *Console) renderSignIn(w http.ResponseWriter, r *http.Request, status int, next, userName, message string) {
	token := gateway.NewSecret()
	c.setCookie(w, signInCookie, token, time.Now().Add(time.Hour))
	v := c.newView(r, nil, nil)
	v.Title, v.Flash = "Sign in", message
	d := signInData{Next: safeNext(next), UserName: userName, Token: token}
	for _, p := range c.opts.SSO {
		d.SSO = append(d.SSO, ssoLink{Name: p.Name(), Label: p.DisplayName(),
			URL: Prefix + "/oidc/" + url.PathEscape(p.Name()) + "/login?next=" + url.QueryEscape(d.Next)})
	}
	v.Data = d
	c.render(w, status, "signin", v)
}

// signIn checks the form (same origin, its double-submit token), then the username and key
// through app.SignInWithKey, which rate limits and audits every attempt.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	next, userName := r.PostFormValue("next"), strings.TrimSpace(r.PostFormValue("username"))
	ck, err := r.Cookie(signInCookie)
	if err != nil || !sameOrigin(r) || !tokensEqual(r.PostFormValue("csrf"), ck.Value) {
		c.renderSignIn(w, r, http.StatusForbidden, next, userName, "The sign-in form expired or came from another site; please try again.")
		return
	}
	token, s, err := c.app.SignInWithKey(r.Context(), caller(r), userName, strings.TrimSpace(r.PostFormValue("apiKey")))
	if err != nil {
		ge := gateway.AsError(err)
		status := statusOf(ge)
		httpkit.SetRetryAfter(w, status, ge.RetryAfter)
		c.renderSignIn(w, r, status, next, userName, ge.Message)
		return
	}
	clearCookie(w, signInCookie, c.opts.SecureCookies)
	c.setCookie(w, sessionCookie, token, s.ExpiresAt)
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request, v *view) error {
	if err := c.app.SignOut(r.Context(), caller(r), sessionToken(r)); err != nil {
		return err
	}
	clearCookie(w, sessionCookie, c.opts.SecureCookies)
	http.Redirect(w, r, Prefix+"/signin", http.StatusSeeOther)
	return nil
}

// safeNext keeps a post-sign-in destination only when it is a console page on this server,
// so the sign-in form cannot be used to send someone elsewhere.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix+"/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") ||
		strings.HasPrefix(next, Prefix+"/signin") {
		return Prefix + "/llms"
	}
	return next
}
