// Package console is llmgate's web console: server-rendered pages (html/template, assets
// embedded in the binary, a little JavaScript and no build step) on the API's own listener.
// Users find the LLMs they may use and the code to call them, manage their keys, try an
// endpoint in the playground and see their usage; administrators run the gateway.
//
// Every action calls the same app operation as its REST and CLI twins, so rules and audit have
// one home; the console never touches a store. Pages are served under /console/ (and / sends
// the browser there) so they never shadow an API route.
package console

import (
	"net/http"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/identity/oidc"
)

// Prefix is where the console lives.
const Prefix = "/console"

// Querier runs one query through the gateway's query path on behalf of a signed-in user (the
// playground). The HTTP answer is the OpenAI wire, streamed when the body asks for it.
type Querier func(w http.ResponseWriter, r *http.Request, t gateway.EndpointType, caller app.Caller)

// Options configure the console.
type Options struct {
	// Query serves the playground's queries; required.
	Query Querier
	// SecureCookies marks the session cookie Secure (set when TLS is on, or behind a TLS proxy).
	SecureCookies bool
	// PublicURL is the gateway's address as clients reach it, for the code snippets and the
	// single sign-on callback; empty means the address the browser used.
	PublicURL string
	// SSO are the identity providers offered on the sign-in page.
	SSO []*oidc.Provider
}

// Console serves the pages. Safe for concurrent use.
type Console struct {
	app   *app.App
	opts  Options
	pages *pages
}

// Register mounts the console on mux.
func Register(mux httpkit.Mux, a *app.App, o Options) *Console {
	c := &Console{app: a, opts: o, pages: loadPages()}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Prefix+"/", http.StatusFound)
	})
	mux.Handle("GET "+Prefix+"/assets/", assets())
	mux.HandleFunc("GET "+Prefix+"/{$}", c.home)
	mux.HandleFunc("GET "+Prefix+"/signin", c.signInPage)
	mux.HandleFunc("POST "+Prefix+"/signin", c.signIn)
	mux.HandleFunc("POST "+Prefix+"/signout", c.user(c.signOut))
	if len(o.SSO) > 0 {
		c.ssoRoutes(mux)
	}
	c.userRoutes(mux)
	c.adminRoutes(mux)

	mux.HandleFunc(Prefix+"/", c.user(c.notFound))
	return c
}

func (c *Console) userRoutes(mux httpkit.Mux) {
	mux.HandleFunc("GET "+Prefix+"/llms", c.user(c.llms))
	mux.HandleFunc("GET "+Prefix+"/keys", c.user(c.keys))
	mux.HandleFunc("POST "+Prefix+"/keys", c.user(c.createKey))
	mux.HandleFunc("POST "+Prefix+"/keys/{id}/revoke", c.user(c.revokeKey))
	mux.HandleFunc("GET "+Prefix+"/playground", c.user(c.playground))
	mux.HandleFunc("POST "+Prefix+"/playground/{type}", c.user(c.playgroundQuery))
	mux.HandleFunc("GET "+Prefix+"/usage", c.user(c.myUsage))
	mux.HandleFunc("GET "+Prefix+"/cli-login", c.user(c.cliLogin))
	mux.HandleFunc("POST "+Prefix+"/cli-login", c.user(c.cliApprove))
}

// home sends a signed-in user to their LLMs and anyone else to sign-in.
func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	if _, _, err := c.app.Session(r.Context(), sessionToken(r)); err != nil {
		http.Redirect(w, r, Prefix+"/signin", http.StatusFound)
		return
	}
	http.Redirect(w, r, Prefix+"/llms", http.StatusFound)
}

func (c *Console) notFound(w http.ResponseWriter, r *http.Request, v *view) error {
	return gateway.Errorf(gateway.CodeNotFound, "there is no page at %s", truncate(r.URL.Path, 200))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
