// Package scim is the SCIM 2.0 HTTP surface (RFC 7644) at /scim/v2, through which an
// identity provider (Okta, Microsoft Entra ID, ...) provisions users and organizations
// (SCIM groups). It takes only a SCIM token (`llmgate scim token create`), answers
// application/scim+json with SCIM's error envelope, and leaves the mapping to identity/scim
// and the operations (each audited as performed by "llmgate-scim") to app.
package scim

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/identity/scim"
)

// Prefix is where the surface is mounted.
const Prefix = "/scim/v2"

// ContentType is SCIM's media type (RFC 7644 §3.1).
const ContentType = "application/scim+json"

const (
	defaultCount = 100
	maxCount     = 1000
	// defaultMaxBody bounds request bodies when Options.MaxBodyBytes is 0: a group PUT with
	// tens of thousands of members fits.
	defaultMaxBody = 4 << 20
)

// Options configure the surface.
type Options struct {
	// PublicURL is the gateway's external base URL (meta.location); when empty it is built
	// from the request's Host.
	PublicURL    string
	MaxBodyBytes int64
}

type surface struct {
	a    *app.App
	opts Options
}

type handler func(w http.ResponseWriter, r *http.Request, act app.Actor) error

// Register mounts every /scim/v2 route.
func Register(mux httpkit.Mux, a *app.App, o Options) {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = defaultMaxBody
	}
	s := &surface{a: a, opts: o}
	routes := map[string]handler{
		"GET /Users":                 s.listUsers,
		"POST /Users":                s.createUser,
		"GET /Users/{id}":            s.getUser,
		"PUT /Users/{id}":            s.replaceUser,
		"PATCH /Users/{id}":          s.patchUser,
		"DELETE /Users/{id}":         s.deleteUser,
		"GET /Groups":                s.listGroups,
		"POST /Groups":               s.createGroup,
		"GET /Groups/{id}":           s.getGroup,
		"PUT /Groups/{id}":           s.replaceGroup,
		"PATCH /Groups/{id}":         s.patchGroup,
		"DELETE /Groups/{id}":        s.deleteGroup,
		"GET /ServiceProviderConfig": s.serviceProviderConfig,
		"GET /ResourceTypes":         s.resourceTypes,
		"GET /Schemas":               s.schemas,
	}
	for pattern, h := range routes {
		method, path, _ := strings.Cut(pattern, " ")
		mux.HandleFunc(method+" "+Prefix+path, s.guard(h))
	}
	// Anything else under /scim/v2 (Bulk, /Me, a method a resource does not take) is a 404 in
	// SCIM's envelope, after the token check like every other route.
	mux.HandleFunc(Prefix+"/", s.guard(func(_ http.ResponseWriter, r *http.Request, _ app.Actor) error {
		return gateway.Errorf(gateway.CodeNotFound, "no SCIM endpoint for %s %s", r.Method, clip(r.URL.Path))
	}))
}

func clip(s string) string {
	if len(s) > 128 {
		return s[:128] + "…"
	}
	return s
}

// guard authenticates the SCIM token and renders the handler's error.
func (s *surface) guard(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		act, err := s.a.AuthenticateSCIM(r.Context(), httpkit.CallerOf(r), bearer(r))
		if err == nil {
			err = h(w, r, act)
		}
		if err != nil {
			writeError(w, err)
		}
	}
}

// bearer is the token of "Authorization: Bearer <token>", the one form SCIM clients use.
func bearer(r *http.Request) string {
	scheme, token, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// base is the URL of /scim/v2 as the client reaches it.
func (s *surface) base(r *http.Request) string {
	if s.opts.PublicURL != "" {
		return strings.TrimRight(s.opts.PublicURL, "/") + Prefix
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + Prefix
}

// writeJSON answers v as application/scim+json.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", ContentType)
	rec := &typed{ResponseWriter: w}
	httpkit.WriteJSON(rec, status, v)
}

// typed keeps the SCIM content type when httpkit.WriteJSON sets application/json.
type typed struct{ http.ResponseWriter }

func (t *typed) WriteHeader(code int) {
	t.Header().Set("Content-Type", ContentType)
	t.ResponseWriter.WriteHeader(code)
}

// writeError renders err in SCIM's envelope; scimType follows the error's Field.
func writeError(w http.ResponseWriter, err error) {
	ge := gateway.AsError(err)
	status := httpkit.Status(ge, map[gateway.Code]int{gateway.CodeConflict: http.StatusConflict})
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="llmgate-scim"`)
	}
	httpkit.SetRetryAfter(w, status, ge.RetryAfter)
	writeJSON(w, status, scim.ErrorResponse{Schemas: []string{scim.SchemaError}, Status: strconv.Itoa(status),
		ScimType: scimType(ge), Detail: ge.Message})
}

func scimType(e *gateway.Error) string {
	switch e.Code {
	case gateway.CodeConflict:
		return "uniqueness"
	case gateway.CodeInvalid:
		switch e.Field {
		case scim.FieldFilter:
			return "invalidFilter"
		case scim.FieldPath:
			return "invalidPath"
		case "syntax":
			return "invalidSyntax"
		}
		return "invalidValue"
	}
	return ""
}

// body reads the bounded request body; a syntax error in it is invalidSyntax.
func (s *surface) body(r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.Contains(strings.ToLower(ct), "json") {
		return nil, syntaxError(gateway.Errorf(gateway.CodeInvalid, "Content-Type must be %s or application/json", ContentType))
	}
	return httpkit.ReadBody(r, s.opts.MaxBodyBytes)
}

// syntaxError marks a decoding error without a more precise type as invalidSyntax.
func syntaxError(err error) error {
	var ge *gateway.Error
	if errors.As(err, &ge) && ge.Code == gateway.CodeInvalid && ge.Field == "" {
		c := *ge
		c.Field = "syntax"
		return &c
	}
	return err
}

// page reads startIndex (1-based) and count: startIndex below 1 is 1, count is 0..maxCount
// (default defaultCount), as RFC 7644 §3.4.2.4 says to interpret them.
func page(r *http.Request) (app.Page, int, error) {
	q := r.URL.Query()
	start, count := 1, defaultCount
	for name, dst := range map[string]*int{"startIndex": &start, "count": &count} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				e := gateway.Errorf(gateway.CodeInvalid, "%s must be an integer", name)
				return app.Page{}, 0, e
			}
			*dst = n
		}
	}
	start = max(start, 1)
	count = min(max(count, 0), maxCount)
	return app.Page{Offset: start - 1, Limit: count}, start, nil
}

func list(total, start int, items []any) scim.ListResponse {
	if items == nil {
		items = []any{}
	}
	return scim.ListResponse{Schemas: []string{scim.SchemaListResponse}, TotalResults: total, StartIndex: start,
		ItemsPerPage: len(items), Resources: items}
}
