package domino

import (
	"github.com/llmgate/llmgate/breaker"
	"net/http"
	"strings"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
)

// endpointEnvelope is EndpointEnvelopeV1 plus llmgate's extension fields.
type endpointEnvelope struct {
	EndpointID       string               `json:"endpointId"`
	EndpointName     string               `json:"endpointName"`
	EndpointType     string               `json:"endpointType"`
	ModelProvider    string               `json:"modelProvider"`
	ModelName        string               `json:"modelName"`
	ModelConfig      map[string]string    `json:"modelConfig"`
	CreationDate     string               `json:"creationDate"`
	IsActive         bool                 `json:"isActive"`
	LastModifiedDate string               `json:"lastModifiedDate"`
	RateLimits       *gateway.RateLimits  `json:"rateLimits,omitempty"`
	LogPayloads      bool                 `json:"logPayloads"`
	TimeoutSeconds   int                  `json:"timeoutSeconds"`
	Pricing          *gateway.Pricing     `json:"pricing,omitempty"`
	Routing          *gateway.Routing     `json:"routing,omitempty"`
	Cache            *gateway.CachePolicy `json:"cache,omitempty"`
	Targets          []targetEnvelope     `json:"targets,omitempty"`
}

// targetEnvelope is one further target [EXT], its credentials masked.
type targetEnvelope struct {
	ModelProvider string            `json:"modelProvider"`
	ModelName     string            `json:"modelName"`
	ModelConfig   map[string]string `json:"modelConfig"`
	Weight        int               `json:"weight,omitempty"`
}

// toEnvelope renders an endpoint. Every credential, owned or referenced, shows as the mask.
// A plain value under a credential-like key, under a key the provider does not declare, or
// holding a URL with a password is masked too: it can only exist if it was stored before
// those values were refused, and the rule is "never shown", not "shown if stored".
func (h *api) toEnvelope(e *gateway.Endpoint) endpointEnvelope {
	config := h.maskedConfig(e.Provider, e.Config, e.Secrets)
	env := endpointEnvelope{EndpointID: e.ID, EndpointName: e.Name, EndpointType: string(e.Type),
		ModelProvider: e.Provider, ModelName: e.Model, ModelConfig: config, CreationDate: gateway.FormatTime(e.CreatedAt),
		IsActive: true, LastModifiedDate: gateway.FormatTime(e.UpdatedAt), LogPayloads: e.LogPayloads,
		TimeoutSeconds: e.EffectiveTimeoutSeconds(), Pricing: e.Pricing, Routing: e.Routing, Cache: e.Cache}
	if e.RateLimits.CallsPerMinute.Any() || e.RateLimits.TokensPerMinute.Any() {
		rl := e.RateLimits
		env.RateLimits = &rl
	}
	for _, t := range e.Targets {
		env.Targets = append(env.Targets, targetEnvelope{ModelProvider: t.Provider, ModelName: t.Model,
			ModelConfig: h.maskedConfig(t.Provider, t.Config, t.Secrets), Weight: t.Weight})
	}
	return env
}

// maskedConfig is a modelConfig as shown: every credential, owned or referenced, as the mask;
// so is a plain value under a credential-like key, under a key the provider does not declare,
// or holding a URL with a password (it can only exist if stored before such values were
// refused: the rule is "never shown", not "shown if stored").
func (h *api) maskedConfig(provider string, plain map[string]string, secrets map[string]gateway.SecretRef) map[string]string {
	spec := h.app.Providers.Lookup(provider)
	config := make(map[string]string, len(plain)+len(secrets))
	for k, v := range plain {
		if gateway.IsSecretKey(k) || spec == nil || spec.IsSecret(k) || !spec.Declares(k) || app.HasURLPassword(v) {
			v = gateway.SecretMask
		}
		config[k] = v
	}
	for k := range secrets {
		config[k] = gateway.SecretMask
	}
	return config
}

type endpointList struct {
	Endpoints []endpointEnvelope `json:"endpoints"`
	Metadata  pagedMetadata      `json:"metadata"`
}

// listQuery is the validated query of getAllGatewayEndpoints.
type listQuery struct {
	page      page
	sortBy    string
	ascending bool
	search    string
}

func parseListQuery(r *http.Request) (listQuery, error) {
	q := r.URL.Query()
	lq := listQuery{sortBy: "creationDate"}
	var err error
	if lq.page, err = parsePage(q); err != nil {
		return lq, err
	}
	if q.Has("sortByField") {
		lq.sortBy = q.Get("sortByField")
		if _, ok := app.EndpointSortKeys[lq.sortBy]; !ok && lq.sortBy != "creationDate" {
			return lq, gateway.Errorf(gateway.CodeInvalid,
				"sortByField must be one of creationDate, endpointName, endpointType, modelName, modelProvider")
		}
	}
	if lq.ascending, err = parseBool(q, "shouldSortAscending", true); err != nil {
		return lq, err
	}
	lq.search = strings.ToLower(q.Get("searchFilter"))
	return lq, nil
}

// listEndpoints returns the active endpoints the caller may use, filtered, sorted and paged.
func (h *api) listEndpoints(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	lq, err := parseListQuery(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list, total := h.app.ListEndpoints(p, app.EndpointQuery{Search: lq.search, SortBy: lq.sortBy, Ascending: lq.ascending,
		Offset: lq.page.offset, Limit: lq.page.limit})
	out := endpointList{Endpoints: make([]endpointEnvelope, 0, len(list)),
		Metadata: newPagedMetadata(w, r, lq.page, total)}
	for _, e := range list {
		out.Endpoints = append(out.Endpoints, h.toEnvelope(e))
	}
	httpkit.WriteJSON(w, http.StatusOK, out)
}

// endpointRef is the endpoint named by the path: a name, or the endpointId create returned
// (a name that happens to look like an id wins, as it always has).
func (h *api) endpointRef(r *http.Request) string {
	ref := r.PathValue("name")
	if !gateway.ValidID(ref) {
		return ref
	}
	if name, ok := nameOf(h.app.Snapshot(), ref); ok {
		return name
	}
	if h.app.RefreshOnMiss(r.Context()) { // created on another replica just now?
		if name, ok := nameOf(h.app.Snapshot(), ref); ok {
			return name
		}
	}
	return ref
}

func nameOf(s *gateway.Snapshot, ref string) (string, bool) {
	if s.Endpoint(ref) != nil {
		return ref, true
	}
	if e := s.EndpointByID(ref); e != nil {
		return e.Name, true
	}
	return "", false
}

// visibleEndpoint finds an endpoint by the path's name for reading: 404 when absent, 403
// when it exists but the caller may not use it (docs/contract/domino-aigateway.md §8 U13).
func (h *api) visibleEndpoint(r *http.Request, p *gateway.Principal) (*gateway.Endpoint, error) {
	name := h.endpointRef(r)
	e := h.app.EndpointFresh(r.Context(), name)
	if e == nil {
		return nil, gateway.Errorf(gateway.CodeNotFound, "endpoint %q not found", truncate(name, 256))
	}
	if !gateway.Permit(p, e) {
		return nil, gateway.Errorf(gateway.CodeForbidden, "you are not permitted to use endpoint %q", e.Name)
	}
	return e, nil
}

// getEndpoint ignores numInputTokens, a declared parameter with no documented meaning.
func (h *api) getEndpoint(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	e, err := h.visibleEndpoint(r, p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, h.toEnvelope(e))
}

func (h *api) createEndpoint(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	f, err := h.readFields(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in, err := decodeCreate(f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	e, err := h.app.CreateEndpoint(r.Context(), h.actor(r, p), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, h.toEnvelope(e))
}

func (h *api) updateEndpoint(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	f, err := h.readFields(r)
	if err != nil {
		h.failBody(w, r, err)
		return
	}
	patch, err := decodePatch(f)
	if err != nil {
		h.failBody(w, r, err)
		return
	}
	e, err := h.app.UpdateEndpoint(r.Context(), h.actor(r, p), h.endpointRef(r), patch)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, h.toEnvelope(e))
}

// deleteEndpoint answers 200 with an empty body: Domino declares no schema for it.
func (h *api) deleteEndpoint(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	if err := h.app.DeleteEndpoint(r.Context(), h.actor(r, p), h.endpointRef(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// permissionsDto is EndpointPermissionsDtoV1 with the [EXT] organizationIds, always present.
type permissionsDto struct {
	IsEveryoneAllowed bool     `json:"isEveryoneAllowed"`
	UserIDs           []string `json:"userIds"`
	OrganizationIDs   []string `json:"organizationIds"`
}

func toPermissionsDto(p gateway.Permissions) permissionsDto {
	dto := permissionsDto{IsEveryoneAllowed: p.IsEveryoneAllowed, UserIDs: p.UserIDs, OrganizationIDs: p.OrganizationIDs}
	if dto.UserIDs == nil {
		dto.UserIDs = []string{}
	}
	if dto.OrganizationIDs == nil {
		dto.OrganizationIDs = []string{}
	}
	return dto
}

func (h *api) getPermissions(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	e, err := h.visibleEndpoint(r, p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, toPermissionsDto(e.Permissions))
}

func (h *api) updatePermissions(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	f, err := h.readFields(r)
	if err != nil {
		h.failBody(w, r, err)
		return
	}
	patch, err := decodePermissionsPatch(f)
	if err != nil {
		h.failBody(w, r, err)
		return
	}
	perms, err := h.app.UpdatePermissions(r.Context(), h.actor(r, p), h.endpointRef(r), patch)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, toPermissionsDto(*perms))
}

// failBody reports a bad body on a route naming an endpoint, unless the endpoint is unknown:
// 404 outranks 400 (docs/contract/domino-aigateway.md §5.3).
func (h *api) failBody(w http.ResponseWriter, r *http.Request, err error) {
	if name := h.endpointRef(r); h.app.Snapshot().Endpoint(name) == nil {
		err = gateway.Errorf(gateway.CodeNotFound, "endpoint %q not found", truncate(name, 256))
	}
	h.fail(w, r, err)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// endpointHealth serves GET …/endpoints/{name}/health [EXT]: each route (0: the endpoint's own
// provider and model, then its targets) and whether the circuit breaker has it out.
func (h *api) endpointHealth(w http.ResponseWriter, r *http.Request, _ *gateway.Principal) {
	ep := h.app.Snapshot().Endpoint(h.endpointRef(r))
	if ep == nil {
		h.fail(w, r, gateway.Errorf(gateway.CodeNotFound, "endpoint %q not found", truncate(h.endpointRef(r), 256)))
		return
	}
	var routes []breaker.RouteHealth
	if h.breaker != nil {
		routes = breaker.Health(r.Context(), h.breaker, ep)
	} else {
		routes = make([]breaker.RouteHealth, len(ep.Targets)+1)
		for i := range routes {
			rt := ep.Route(i)
			routes[i] = breaker.RouteHealth{Route: i, Provider: rt.Provider, Model: rt.Model}
		}
	}
	cooldown := 0
	if ep.Routing != nil {
		cooldown = ep.Routing.CooldownSeconds
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"endpointId": ep.ID, "endpointName": ep.Name, "cooldownSeconds": cooldown, "routes": routes})
}
