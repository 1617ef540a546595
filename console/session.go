package console

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
)

const (
	// sessionCookie carries the session token: HttpOnly, SameSite=Strict, Secure with TLS.
	sessionCookie = "llmgate_session"
	// signInCookie is the sign-in form's double-submit CSRF token (there is no session yet).
	signInCookie = "llmgate_signin"
	// maxFormBytes bounds every console form; the playground's input has its own bound.
	maxFormBytes = 64 << 10
)

// securityHeaders go on every console response: no inline script may run (scripts come only
// from /console/assets), no other site may frame a page, and pages are never cached.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

// handlerFunc is a console page or action: it renders through v or returns an error, which
// becomes an error page inside the layout.
type handlerFunc func(w http.ResponseWriter, r *http.Request, v *view) error

// user wraps h for signed-in users: no valid session sends a page request to sign-in (coming
// back to the page afterwards) and refuses anything else with 401; a state-changing request
// must come from this origin and carry the session's CSRF token.
func (c *Console) user(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		p, s, err := c.app.Session(r.Context(), sessionToken(r))
		if err != nil {
			c.signedOut(w, r, err)
			return
		}
		v := c.newView(r, p, s)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if !sameOrigin(r) || !tokensEqual(csrfOf(r), s.CSRF) {
				c.fail(w, r, v, gateway.Errorf(gateway.CodeForbidden, "request refused: it did not come from this console's page (missing or wrong CSRF token)"))
				return
			}
		}
		if err := h(w, r, v); err != nil {
			c.fail(w, r, v, err)
		}
	}
}

// admin wraps h for administrators; anyone else gets 403, checked here on the server and
// audited like a refused admin API call.
func (c *Console) admin(h handlerFunc) http.HandlerFunc {
	return c.user(func(w http.ResponseWriter, r *http.Request, v *view) error {
		if !v.Principal.IsAdmin() {
			c.app.AuditDenied(v.actor(), r.Pattern, r.URL.Path, http.StatusForbidden)
			return gateway.Errorf(gateway.CodeForbidden, "this page is for administrators")
		}
		return h(w, r, v)
	})
}

func (c *Console) signedOut(w http.ResponseWriter, r *http.Request, err error) {
	if gateway.ErrorCode(err) != gateway.CodeUnauthenticated {
		c.fail(w, r, c.newView(r, nil, nil), err)
		return
	}
	clearCookie(w, sessionCookie, c.opts.SecureCookies)
	if r.Method == http.MethodGet {
		http.Redirect(w, r, Prefix+"/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	c.fail(w, r, c.newView(r, nil, nil), err)
}

func sessionToken(r *http.Request) string {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		return ck.Value
	}
	return ""
}

func csrfOf(r *http.Request) string {
	if t := r.Header.Get("X-CSRF-Token"); t != "" {
		return t
	}
	return r.PostFormValue("csrf")
}

func tokensEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// sameOrigin refuses a request the browser says came from another site. Browsers send
// Sec-Fetch-Site and Origin on every POST; a client that sends neither is not a browser a
// forged page could drive, and still needs the CSRF token.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return origin == ""
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

func (c *Console) setCookie(w http.ResponseWriter, name, value string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: Prefix, Expires: expires, HttpOnly: true,
		Secure: c.opts.SecureCookies, SameSite: http.SameSiteStrictMode})
}

func clearCookie(w http.ResponseWriter, name string, secure bool) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: Prefix, MaxAge: -1, HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteStrictMode})
}

// caller is the request's plain values for app, as every surface reads them.
func caller(r *http.Request) app.Caller {
	c := httpkit.CallerOf(r)
	c.APIKey = "" // a console request authenticates with its session, never a header key
	return c
}
