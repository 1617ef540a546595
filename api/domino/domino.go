// Package domino serves llmgate's Domino-compatible admin API: endpoint management,
// permissions and audit under /api/aigateway/v1, the users, organizations and personal access
// token routes the permission workflow needs, and the v4 helpers Domino's UI used
// (docs/contract/domino-aigateway.md). Clients generated from Domino's OpenAPI document parse only the
// status codes and bodies Domino declares, so every response here is shaped for them: one
// error envelope, 200 on create, 400 on conflicts.
package domino

import (
	"github.com/llmgate/llmgate/breaker"
	"log/slog"
	"net/http"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
)

// Options tune the surface.
type Options struct {
	// MaxBodyBytes bounds request bodies; 0 means httpkit.DefaultMaxBody.
	MaxBodyBytes int64
	// Breaker is read for GET …/endpoints/{name}/health (nil: every route healthy).
	Breaker breaker.Breaker
}

// api is the handler set; it holds no state of its own beyond its dependencies.
type api struct {
	app     *app.App
	maxBody int64
	log     *slog.Logger
	breaker breaker.Breaker
}

// Register mounts every Domino-compatible route on mux.
func Register(mux httpkit.Mux, a *app.App, opts Options) {
	h := &api{app: a, maxBody: opts.MaxBodyBytes, log: a.Log, breaker: opts.Breaker}
	if h.maxBody <= 0 {
		h.maxBody = httpkit.DefaultMaxBody
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	const gw = "/api/aigateway/v1"
	mux.HandleFunc("GET "+gw+"/endpoints", h.user(h.listEndpoints))
	mux.HandleFunc("POST "+gw+"/endpoints", h.admin(h.createEndpoint))
	mux.HandleFunc("GET "+gw+"/endpoints/{name}", h.user(h.getEndpoint))
	mux.HandleFunc("PATCH "+gw+"/endpoints/{name}", h.admin(h.updateEndpoint))
	mux.HandleFunc("DELETE "+gw+"/endpoints/{name}", h.admin(h.deleteEndpoint))
	mux.HandleFunc("GET "+gw+"/endpoints/{name}/permissions", h.admin(h.getPermissions))
	mux.HandleFunc("PATCH "+gw+"/endpoints/{name}/permissions", h.admin(h.updatePermissions))
	mux.HandleFunc("GET "+gw+"/endpoints/{name}/health", h.admin(h.endpointHealth))
	mux.HandleFunc("GET "+gw+"/audit", h.admin(h.queryAudit))
	mux.HandleFunc("GET "+gw+"/usage", h.user(h.queryUsage))
	mux.HandleFunc("GET "+gw+"/budgets", h.admin(h.listBudgets))
	mux.HandleFunc("POST "+gw+"/budgets", h.admin(h.createBudget))
	mux.HandleFunc("GET "+gw+"/budgets/{id}", h.admin(h.getBudget))
	mux.HandleFunc("PATCH "+gw+"/budgets/{id}", h.admin(h.updateBudget))
	mux.HandleFunc("DELETE "+gw+"/budgets/{id}", h.admin(h.deleteBudget))
	mux.HandleFunc("GET "+gw+"/openapi.json", h.user(serveOpenAPI))

	mux.HandleFunc("GET /v4/aigateway/provider-configs", h.v4(h.user(h.providerConfigs)))
	mux.HandleFunc("GET /v4/aigateway/provider-models", h.v4(h.user(h.providerModels)))
	mux.HandleFunc("GET /v4/aigateway/audit/download", h.v4(h.admin(h.downloadAudit)))

	mux.HandleFunc("GET /api/users/v1/self", h.user(h.self))
	mux.HandleFunc("GET /api/users/v1/users", h.user(h.listUsers))
	mux.HandleFunc("POST /api/users/v1/users", h.admin(h.createUser))
	mux.HandleFunc("PATCH /api/users/v1/users/{id}", h.admin(h.updateUser))

	const orgs = "/api/organizations/v1/organizations"
	mux.HandleFunc("GET "+orgs, h.user(h.myOrgs))
	mux.HandleFunc("GET "+orgs+"/all", h.admin(h.allOrgs))
	mux.HandleFunc("GET "+orgs+"/{id}", h.user(h.getOrg))
	mux.HandleFunc("POST "+orgs, h.admin(h.createOrg))
	mux.HandleFunc("PATCH "+orgs+"/{id}", h.admin(h.renameOrg))
	mux.HandleFunc("DELETE "+orgs+"/{id}", h.admin(h.deleteOrg))
	mux.HandleFunc("PUT "+orgs+"/{id}/user", h.admin(h.addOrgMember))
	mux.HandleFunc("DELETE "+orgs+"/{id}/user", h.admin(h.removeOrgMember))

	mux.HandleFunc("GET /api/pat/v1/tokens", h.user(h.listOwnTokens))
	mux.HandleFunc("GET /api/pat/v1/tokens/all", h.admin(h.listAllTokens))
	mux.HandleFunc("POST /api/pat/v1/tokens", h.user(h.createOwnToken))
	mux.HandleFunc("DELETE /api/pat/v1/tokens/{id}", h.user(h.revokeToken))
	mux.HandleFunc("GET /api/pat/v1/users/{userId}/tokens", h.admin(h.listUserTokens))
	mux.HandleFunc("POST /api/pat/v1/users/{userId}/tokens", h.admin(h.createUserToken))

	// Anything else under these prefixes is unknown, but only to someone who may ask: the
	// credential is checked first so unauthenticated probes learn nothing (docs/contract/domino-aigateway.md §5.3).
	for _, prefix := range []string{gw + "/", "/api/users/v1/", "/api/organizations/v1/", "/api/pat/v1/"} {
		mux.HandleFunc(prefix, h.user(notFound))
	}
	mux.HandleFunc("/v4/aigateway/", h.v4(h.user(notFound)))
}

// handlerFunc is a route handler running for an authenticated principal.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p *gateway.Principal)

// user authenticates the request (401 first, before any lookup).
func (h *api) user(next handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := httpkit.Authenticate(h.app, r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		httpkit.Note(r.Context()).User = p.User.UserName
		next(w, r, p)
	}
}

// admin authenticates and then refuses non-admins before anything about the target is
// looked up, so a 403 never reveals whether it exists.
func (h *api) admin(next handlerFunc) http.HandlerFunc {
	return h.user(func(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
		if !p.IsAdmin() {
			h.app.AuditDenied(h.actor(r, p), r.Pattern, r.URL.Path, http.StatusForbidden)
			h.fail(w, r, gateway.Errorf(gateway.CodeForbidden, "this operation requires an administrator"))
			return
		}
		next(w, r, p)
	})
}

func notFound(w http.ResponseWriter, r *http.Request, _ *gateway.Principal) {
	writeError(w, r, gateway.Errorf(gateway.CodeNotFound, "no route %s %s", r.Method, r.URL.Path), nil)
}

func (h *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, err, h.log)
}

func (h *api) actor(r *http.Request, p *gateway.Principal) app.Actor {
	return httpkit.Actor(r, p, "domino")
}
