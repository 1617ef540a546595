// Package mlflow serves the MLflow Deployments surface exactly as MLflow's client, LangChain's
// MLflow classes and MLflow's standalone gateway users expect it (docs/contract/mlflow-deployments.md):
// endpoint discovery under /api/2.0/endpoints/ (paged with base64 {"index":N} tokens), the
// legacy /api/2.0/gateway/routes/ and 3.x /api/3.0/gateway/endpoint/ lookups, invocations
// under /endpoints/{name}/invocations and /gateway/{name}/invocations, limits routes that
// answer 501, FastAPI-shaped errors and MLflow's SSE framing (data-only frames, no [DONE]).
//
// Every route can also be served under a path prefix (Options.BasePath), so a client whose
// target URI carries a prefix keeps working behind a reverse proxy that does not strip it.
package mlflow

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline"
)

// DefaultPageSize is MLflow's MLFLOW_DEPLOYMENTS_LIST_ENDPOINTS_PAGE_SIZE.
const DefaultPageSize = 3000

// Options configure the surface.
type Options struct {
	// BasePath, e.g. "/mlflow-deployments", additionally serves every route under that prefix.
	BasePath string
	// PageSize of endpoint listings (default DefaultPageSize).
	PageSize int
}

type handler struct {
	app      *app.App
	pipe     *pipeline.Pipeline
	surface  Surface
	pageSize int
}

// Register mounts the MLflow routes on mux.
func Register(mux httpkit.Mux, a *app.App, p *pipeline.Pipeline, opts Options) {
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	h := &handler{app: a, pipe: p, pageSize: opts.PageSize}
	routes := map[string]http.HandlerFunc{
		"GET /api/2.0/endpoints/{$}":           h.listEndpoints,
		"GET /api/2.0/endpoints":               h.listEndpoints,
		"GET /api/2.0/endpoints/{name}":        h.getEndpoint,
		"GET /api/3.0/gateway/endpoint/{name}": h.getEndpoint,
		"GET /api/2.0/gateway/routes/{$}":      h.listRoutes,
		"GET /api/2.0/gateway/routes":          h.listRoutes,
		"GET /api/2.0/gateway/routes/{name}":   h.getRoute,
		"POST /endpoints/{name}/invocations":   h.invoke,
		"POST /gateway/{name}/invocations":     h.invoke,
		"GET /api/2.0/endpoints/limits/{name}": notImplemented("get_limits"),
		"GET /api/2.0/gateway/limits/{name}":   notImplemented("get_limits"),
		"POST /api/2.0/endpoints/limits/{$}":   notImplemented("set_limits"),
		"POST /api/2.0/gateway/limits/{$}":     notImplemented("set_limits"),
		"POST /api/2.0/endpoints/limits":       notImplemented("set_limits"),
		"POST /api/2.0/gateway/limits":         notImplemented("set_limits"),
	}
	base := strings.TrimRight(opts.BasePath, "/")
	for pattern, fn := range routes {
		mux.HandleFunc(pattern, fn)
		if base != "" {
			method, path, _ := strings.Cut(pattern, " ")
			mux.HandleFunc(method+" "+base+path, fn)
		}
	}
	if base != "" {
		mux.HandleFunc("GET "+base+"/health", func(w http.ResponseWriter, r *http.Request) {
			httpkit.WriteJSON(w, http.StatusOK, map[string]string{"status": "OK"})
		})
	}
}

func notImplemented(op string) http.HandlerFunc {
	msg := "The " + op + " API is not available yet."
	return func(w http.ResponseWriter, r *http.Request) {
		httpkit.WriteJSON(w, http.StatusNotImplemented, map[string]string{"detail": msg})
	}
}

func (h *handler) invoke(w http.ResponseWriter, r *http.Request) {
	httpkit.ServeQuery(w, r, h.pipe, h.surface, pipeline.Query{Endpoint: r.PathValue("name"), Caller: httpkit.CallerOf(r)})
}

// model is MLflow's endpoint model object.
type model struct {
	Name     string `json:"name"`
	Provider string `json:"provider"`
}

// limit is MLflow's limit object; always emitted (null when unlimited) because the 3.x
// client's pydantic model requires the key.
type limit struct {
	Calls         int64   `json:"calls"`
	Key           *string `json:"key"`
	RenewalPeriod string  `json:"renewal_period"`
}

type endpointObject struct {
	Name         string `json:"name"`
	EndpointType string `json:"endpoint_type"`
	Model        model  `json:"model"`
	EndpointURL  string `json:"endpoint_url"`
	Limit        *limit `json:"limit"`
}

type routeObject struct {
	Name      string `json:"name"`
	RouteType string `json:"route_type"`
	Model     model  `json:"model"`
	RouteURL  string `json:"route_url"`
	Limit     *limit `json:"limit"`
}

// invocationPath is relative: the client appends it to its target URI, which already holds
// any proxy prefix.
func invocationPath(name string) string { return "/gateway/" + name + "/invocations" }

func toEndpoint(e *gateway.Endpoint) endpointObject {
	return endpointObject{Name: e.Name, EndpointType: string(e.Type), Model: model{Name: e.Model, Provider: e.Provider},
		EndpointURL: invocationPath(e.Name), Limit: callLimit(e)}
}

func toRoute(e *gateway.Endpoint) routeObject {
	return routeObject{Name: e.Name, RouteType: string(e.Type), Model: model{Name: e.Model, Provider: e.Provider},
		RouteURL: invocationPath(e.Name), Limit: callLimit(e)}
}

// callLimit reports the strictest calls-per-minute limit of any scope, the closest thing to
// MLflow's single per-endpoint limit.
func callLimit(e *gateway.Endpoint) *limit {
	var calls int64
	for _, v := range []int64{e.RateLimits.CallsPerMinute.Endpoint, e.RateLimits.CallsPerMinute.PerUser, e.RateLimits.CallsPerMinute.PerOrganization} {
		if v > 0 && (calls == 0 || v < calls) {
			calls = v
		}
	}
	if calls == 0 {
		return nil
	}
	return &limit{Calls: calls, RenewalPeriod: "minute"}
}

// authenticate answers 401 itself and returns nil when the caller has no valid key.
func (h *handler) authenticate(w http.ResponseWriter, r *http.Request) *gateway.Principal {
	p, err := httpkit.Authenticate(h.app, r)
	if err != nil {
		writeError(w, gateway.AsError(err))
		return nil
	}
	return p
}

// visibleEndpoints are the endpoints the caller may query, in creation order.
func (h *handler) visibleEndpoints(p *gateway.Principal) []*gateway.Endpoint {
	all := h.app.Snapshot().Endpoints()
	out := make([]*gateway.Endpoint, 0, len(all))
	for _, e := range all {
		if gateway.Permit(p, e) {
			out = append(out, e)
		}
	}
	return out
}

// page cuts one page out of the caller's endpoints; next is "" on the last page, because the
// late-2.x/3.x client loops until the token is absent.
func (h *handler) page(w http.ResponseWriter, r *http.Request) (items []*gateway.Endpoint, next string, ok bool) {
	p := h.authenticate(w, r)
	if p == nil {
		return nil, "", false
	}
	start, err := parsePageToken(r.URL.Query().Get("page_token"))
	if err != nil {
		writeError(w, err)
		return nil, "", false
	}
	all := h.visibleEndpoints(p)
	if start >= len(all) {
		return nil, "", true
	}
	end := min(start+h.pageSize, len(all))
	if end < len(all) {
		next = pageToken(end)
	}
	return all[start:end], next, true
}

// pageToken is MLflow's SearchRoutesToken: base64 of {"index": N}.
func pageToken(index int) string {
	b, _ := json.Marshal(map[string]int{"index": index})
	return base64.StdEncoding.EncodeToString(b)
}

func parsePageToken(tok string) (int, *gateway.Error) {
	if tok == "" {
		return 0, nil
	}
	bad := &gateway.Error{Code: gateway.CodeInvalid, Field: "page_token", Message: "Invalid page token: " + strings.ToValidUTF8(truncated(tok), "")}
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		if raw, err = base64.URLEncoding.DecodeString(tok); err != nil {
			return 0, bad
		}
	}
	var t struct {
		Index *int `json:"index"`
	}
	if json.Unmarshal(raw, &t) != nil || t.Index == nil || *t.Index < 0 {
		return 0, bad
	}
	return *t.Index, nil
}

func truncated(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func (h *handler) listEndpoints(w http.ResponseWriter, r *http.Request) {
	items, next, ok := h.page(w, r)
	if !ok {
		return
	}
	out := struct {
		Endpoints     []endpointObject `json:"endpoints"`
		NextPageToken string           `json:"next_page_token,omitempty"`
	}{Endpoints: make([]endpointObject, len(items)), NextPageToken: next}
	for i, e := range items {
		out.Endpoints[i] = toEndpoint(e)
	}
	httpkit.WriteJSON(w, http.StatusOK, out)
}

func (h *handler) listRoutes(w http.ResponseWriter, r *http.Request) {
	items, next, ok := h.page(w, r)
	if !ok {
		return
	}
	out := struct {
		Routes        []routeObject `json:"routes"`
		NextPageToken string        `json:"next_page_token,omitempty"`
	}{Routes: make([]routeObject, len(items)), NextPageToken: next}
	for i, e := range items {
		out.Routes[i] = toRoute(e)
	}
	httpkit.WriteJSON(w, http.StatusOK, out)
}

// lookup resolves a named endpoint for discovery: unknown is 404 with MLflow's text, known
// but not permitted is 403 as on the invocation path.
func (h *handler) lookup(w http.ResponseWriter, r *http.Request) *gateway.Endpoint {
	p := h.authenticate(w, r)
	if p == nil {
		return nil
	}
	name := r.PathValue("name")
	e := h.app.EndpointFresh(r.Context(), name)
	switch {
	case e == nil:
		writeError(w, gateway.Errorf(gateway.CodeNotFound, "The endpoint '%s' is not present or active on the server. Please verify the endpoint name.", name))
		return nil
	case !gateway.Permit(p, e):
		writeError(w, gateway.Errorf(gateway.CodeForbidden, "You do not have permission to use endpoint '%s'.", name))
		return nil
	}
	return e
}

func (h *handler) getEndpoint(w http.ResponseWriter, r *http.Request) {
	if e := h.lookup(w, r); e != nil {
		httpkit.WriteJSON(w, http.StatusOK, toEndpoint(e))
	}
}

func (h *handler) getRoute(w http.ResponseWriter, r *http.Request) {
	if e := h.lookup(w, r); e != nil {
		httpkit.WriteJSON(w, http.StatusOK, toRoute(e))
	}
}
