package httpkit

import (
	"net/http"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
)

// Actor builds the app.Actor of an authenticated HTTP request: the surface reads the request,
// app only sees the plain values.
func Actor(r *http.Request, p *gateway.Principal, api string) app.Actor {
	return CallerOf(r).Actor(p, api)
}

// CallerOf reads the caller's plain values off r for the core.
func CallerOf(r *http.Request) app.Caller {
	return app.Caller{APIKey: APIKey(r), ClientIP: ClientIP(r), UserAgent: r.UserAgent(), RequestID: RequestID(r.Context())}
}

// Authenticate resolves the request's credential (any of the accepted header forms) with
// app.AuthenticateFresh, so a key created on another replica works on its first request.
func Authenticate(a *app.App, r *http.Request) (*gateway.Principal, error) {
	return a.AuthenticateFresh(r.Context(), APIKey(r))
}
