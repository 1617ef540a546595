package console

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
)

type endpointsData struct {
	List listPage
	Rows []*gateway.Endpoint
}

// adminEndpoints lists every endpoint with search, sort and paging; it reads the snapshot
// only, so 10,000 endpoints cost one in-memory sort.
func (c *Console) adminEndpoints(w http.ResponseWriter, r *http.Request, v *view) error {
	lp := readListPage(r, "endpointName")
	eps, total := c.app.ListEndpoints(v.Principal, app.EndpointQuery{Search: lp.Search, SortBy: lp.Sort,
		Ascending: !lp.Descending, Offset: lp.Offset, Limit: pageSize})
	lp.paged(total, len(eps))
	if name := r.URL.Query().Get("deleted"); name != "" {
		v.Flash = "Endpoint " + truncate(name, 256) + " deleted."
	}
	v.Title, v.Nav, v.Data = "Endpoints", "endpoints", endpointsData{List: lp, Rows: eps}
	c.render(w, http.StatusOK, "endpoints", v)
	return nil
}

// configField is one modelConfig key of the provider catalogue on the form. A secret's value
// is never put on the page: the field is empty and leaving it so keeps the stored credential.
type configField struct {
	Key      string
	Required bool
	Secret   bool
	Value    string
	Stored   bool // a secret is stored for this key (edit form)
}

type endpointForm struct {
	Editing   string // the endpoint's current name when editing
	Providers []*provider.Spec
	Spec      *provider.Spec
	Name      string
	Type      string
	Model     string
	Timeout   string
	Config    []configField
	Limits    map[string]string
	Models    []string
}

func (c *Console) newEndpointForm(w http.ResponseWriter, r *http.Request, v *view) error {
	f := endpointForm{Providers: c.app.Providers.Specs(), Limits: map[string]string{}}
	if name := r.URL.Query().Get("provider"); name != "" {
		if f.Spec = c.app.Providers.Lookup(name); f.Spec == nil {
			v.Errors["provider"] = "Unknown provider " + truncate(name, 64) + "."
		}
	}
	if f.Spec != nil {
		f.Type = string(f.Spec.Types[0])
		f.Config = catalogueFields(f.Spec, nil)
		f.Models = f.Spec.Models[gateway.EndpointType(f.Type)]
	}
	return c.renderEndpointForm(w, v, http.StatusOK, f)
}

func (c *Console) renderEndpointForm(w http.ResponseWriter, v *view, status int, f endpointForm) error {
	v.Title, v.Nav, v.Data = "New endpoint", "endpoints", f
	if f.Editing != "" {
		v.Title = "Endpoint " + f.Editing
	}
	c.render(w, status, "endpoint", v)
	return nil
}

// catalogueFields are the provider's required and optional keys (the provider-configs
// catalogue), with e's current values for plain keys.
func catalogueFields(spec *provider.Spec, e *gateway.Endpoint) []configField {
	var out []configField
	add := func(key string, required bool) {
		f := configField{Key: key, Required: required, Secret: spec.IsSecret(key)}
		if e != nil {
			f.Value = e.Config[key]
			_, f.Stored = e.Secrets[key]
			if f.Secret {
				f.Value = ""
			}
		}
		out = append(out, f)
	}
	for _, k := range spec.RequiredKeys {
		add(k, true)
	}
	for _, k := range spec.OptionalKeys {
		add(k, false)
	}
	if e != nil { // keys set beyond the catalogue stay editable
		for _, k := range e.ConfigKeys() {
			if !slices.Contains(spec.RequiredKeys, k) && !slices.Contains(spec.OptionalKeys, k) {
				add(k, false)
			}
		}
	}
	return out
}

// readEndpointForm reads the posted form back into the form's shape.
func (c *Console) readEndpointForm(r *http.Request, spec *provider.Spec, e *gateway.Endpoint) endpointForm {
	f := endpointForm{Providers: c.app.Providers.Specs(), Spec: spec, Name: strings.TrimSpace(r.PostFormValue("name")),
		Type: r.PostFormValue("type"), Model: strings.TrimSpace(r.PostFormValue("model")),
		Timeout: strings.TrimSpace(r.PostFormValue("timeout")), Limits: map[string]string{}}
	f.Config = catalogueFields(spec, e)
	for i := range f.Config {
		if !f.Config[i].Secret {
			f.Config[i].Value = strings.TrimSpace(r.PostFormValue("cfg." + f.Config[i].Key))
		}
	}
	for _, k := range limitFields {
		f.Limits[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	f.Models = spec.Models[gateway.EndpointType(f.Type)]
	return f
}

var limitFields = []string{"calls_endpoint", "calls_user", "calls_org", "tokens_endpoint", "tokens_user", "tokens_org"}

// parseNumbers checks the form's numbers, putting a message next to each bad one.
func parseNumbers(f endpointForm, errs map[string]string) (timeout int, limits gateway.RateLimits) {
	num := func(field, s string) int64 {
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			errs[field] = "Enter a whole number of 0 or more (0 or empty: none)."
		}
		return n
	}
	timeout = int(num("timeout", f.Timeout))
	l := func(kind string) gateway.LimitScopes {
		return gateway.LimitScopes{Endpoint: num(kind+"_endpoint", f.Limits[kind+"_endpoint"]),
			PerUser: num(kind+"_user", f.Limits[kind+"_user"]), PerOrganization: num(kind+"_org", f.Limits[kind+"_org"])}
	}
	return timeout, gateway.RateLimits{CallsPerMinute: l("calls"), TokensPerMinute: l("tokens")}
}

// createEndpoint creates through app.CreateEndpoint with nobody granted yet, then opens the
// permission editor.
func (c *Console) createEndpoint(w http.ResponseWriter, r *http.Request, v *view) error {
	spec := c.app.Providers.Lookup(r.PostFormValue("provider"))
	if spec == nil {
		return gateway.Errorf(gateway.CodeInvalid, "choose a provider from the list")
	}
	f := c.readEndpointForm(r, spec, nil)
	timeout, limits := parseNumbers(f, v.Errors)
	config := map[string]app.ConfigValue{}
	for _, cf := range f.Config {
		if val := formValue(r, cf); val != "" {
			config[cf.Key] = app.ConfigValue{Value: val}
		}
	}
	if len(v.Errors) > 0 {
		return c.renderEndpointForm(w, v, http.StatusBadRequest, f)
	}
	e, err := c.app.CreateEndpoint(r.Context(), v.actor(), app.EndpointInput{Name: f.Name, Type: gateway.EndpointType(f.Type),
		Provider: spec.Name, Model: f.Model, Config: config, RateLimits: limits, TimeoutSeconds: timeout})
	if err != nil {
		return c.formError(w, v, err, func() error { return c.renderEndpointForm(w, v, statusOf(asErr(err)), f) })
	}
	return redirect(w, r, Prefix+"/admin/endpoints/"+url.PathEscape(e.Name)+"/permissions?created=1")
}

// formValue is the posted value of a config field, secrets included (they go to the secret
// store and never come back to a page).
func formValue(r *http.Request, cf configField) string {
	return strings.TrimSpace(r.PostFormValue("cfg." + cf.Key))
}

// formError shows a client's mistake next to its field (or above the form) by re-rendering;
// anything else is an error page.
func (c *Console) formError(w http.ResponseWriter, v *view, err error, rerender func() error) error {
	ge := asErr(err)
	if statusOf(ge) >= 500 || ge.Code == gateway.CodeNotFound || ge.Code == gateway.CodeForbidden {
		return err
	}
	if field := fieldOf(ge); field != "" {
		v.Errors[field] = ge.Message
	} else {
		v.Flash = ge.Message
	}
	return rerender()
}

// fieldOf maps an app error to the form field it is about.
func fieldOf(ge *gateway.Error) string {
	if k, ok := strings.CutPrefix(ge.Field, "modelConfig."); ok {
		return "cfg." + k
	}
	for prefix, field := range map[string]string{"endpointName": "name", "modelName": "model", "timeoutSeconds": "timeout",
		"rateLimits": "limits", "endpoint name": "name", "provider ": "type"} {
		if strings.HasPrefix(ge.Message, prefix) {
			return field
		}
	}
	if strings.HasPrefix(ge.Message, "modelConfig key ") {
		if q := strings.SplitN(ge.Message, `"`, 3); len(q) == 3 {
			return "cfg." + q[1]
		}
	}
	return ""
}

func (c *Console) endpointOf(r *http.Request) (*gateway.Endpoint, error) {
	name := r.PathValue("name")
	if e := c.app.EndpointFresh(r.Context(), name); e != nil {
		return e, nil
	}
	return nil, gateway.Errorf(gateway.CodeNotFound, "endpoint %q not found", truncate(name, 64))
}

func (c *Console) editEndpointForm(w http.ResponseWriter, r *http.Request, v *view) error {
	e, err := c.endpointOf(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("saved") != "" {
		v.Flash = "Saved."
	}
	return c.renderEndpointForm(w, v, http.StatusOK, c.formOf(e))
}

func (c *Console) formOf(e *gateway.Endpoint) endpointForm {
	spec := c.app.Providers.Lookup(e.Provider)
	f := endpointForm{Editing: e.Name, Providers: c.app.Providers.Specs(), Spec: spec, Name: e.Name, Type: string(e.Type),
		Model: e.Model, Limits: map[string]string{}}
	if e.TimeoutSeconds > 0 {
		f.Timeout = strconv.Itoa(e.TimeoutSeconds)
	}
	set := func(k string, n int64) {
		if n > 0 {
			f.Limits[k] = strconv.FormatInt(n, 10)
		}
	}
	set("calls_endpoint", e.RateLimits.CallsPerMinute.Endpoint)
	set("calls_user", e.RateLimits.CallsPerMinute.PerUser)
	set("calls_org", e.RateLimits.CallsPerMinute.PerOrganization)
	set("tokens_endpoint", e.RateLimits.TokensPerMinute.Endpoint)
	set("tokens_user", e.RateLimits.TokensPerMinute.PerUser)
	set("tokens_org", e.RateLimits.TokensPerMinute.PerOrganization)
	if spec != nil {
		f.Config = catalogueFields(spec, e)
		f.Models = spec.Models[e.Type]
	}
	return f
}

// updateEndpoint patches through app.UpdateEndpoint: plain keys are set (emptied: removed), a
// secret left empty keeps the stored credential.
func (c *Console) updateEndpoint(w http.ResponseWriter, r *http.Request, v *view) error {
	e, err := c.endpointOf(r)
	if err != nil {
		return err
	}
	spec := c.app.Providers.Lookup(e.Provider)
	if spec == nil {
		return gateway.Errorf(gateway.CodeInvalid, "endpoint %q has a provider this gateway no longer knows", e.Name)
	}
	f := c.readEndpointForm(r, spec, e)
	f.Editing = e.Name
	timeout, limits := parseNumbers(f, v.Errors)
	if len(v.Errors) > 0 {
		return c.renderEndpointForm(w, v, http.StatusBadRequest, f)
	}
	config := map[string]app.ConfigValue{}
	for _, cf := range f.Config {
		val := formValue(r, cf)
		switch {
		case val != "":
			config[cf.Key] = app.ConfigValue{Value: val}
		case !cf.Secret && e.HasConfigKey(cf.Key):
			config[cf.Key] = app.ConfigValue{Remove: true}
		}
	}
	typ, logPayloads := gateway.EndpointType(f.Type), e.LogPayloads
	updated, err := c.app.UpdateEndpoint(r.Context(), v.actor(), e.Name, app.EndpointPatch{Name: &f.Name, Type: &typ,
		Model: &f.Model, Config: config, RateLimits: &limits, TimeoutSeconds: &timeout, LogPayloads: &logPayloads})
	if err != nil {
		return c.formError(w, v, err, func() error { return c.renderEndpointForm(w, v, statusOf(asErr(err)), f) })
	}
	return redirect(w, r, Prefix+"/admin/endpoints/"+url.PathEscape(updated.Name)+"?saved=1")
}

// deleteEndpoint needs the endpoint's name typed again, so a stray click deletes nothing.
func (c *Console) deleteEndpoint(w http.ResponseWriter, r *http.Request, v *view) error {
	e, err := c.endpointOf(r)
	if err != nil {
		return err
	}
	if r.PostFormValue("confirm") != e.Name {
		v.Errors["confirm"] = "Type the endpoint's name exactly to delete it."
		return c.renderEndpointForm(w, v, http.StatusBadRequest, c.formOf(e))
	}
	if err := c.app.DeleteEndpoint(r.Context(), v.actor(), e.Name); err != nil {
		return err
	}
	return redirect(w, r, Prefix+"/admin/endpoints?deleted="+url.QueryEscape(e.Name))
}
