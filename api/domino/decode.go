package domino

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/internal/jsonobj"
)

// fields is a JSON object body split into its members, so each field can be type-checked
// with a message naming it: a generated client's users see "modelName must be a string",
// not a decoder's Go type names.
type fields map[string]json.RawMessage

// readFields reads a JSON object body.
func (h *api) readFields(r *http.Request) (fields, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.Contains(strings.ToLower(ct), "json") {
		return nil, gateway.Errorf(gateway.CodeInvalid, "Content-Type must be application/json")
	}
	body, err := httpkit.ReadBody(r, h.maxBody)
	if err != nil {
		return nil, err
	}
	return parseFields(body)
}

func parseFields(body []byte) (fields, error) {
	f := fields{}
	if err := httpkit.UnmarshalObject(body, &f); err != nil {
		return nil, err
	}
	return f, nil
}

// has reports whether name is present and not null (null means "absent" in a patch).
func (f fields) has(name string) bool { return jsonobj.Present(f, name) }

func isNull(raw json.RawMessage) bool { return jsonobj.Null(raw) }

func missing(name string) error {
	return &gateway.Error{Code: gateway.CodeInvalid, Field: name, Message: name + " is required"}
}

func wrongType(name, want string) error {
	return &gateway.Error{Code: gateway.CodeInvalid, Field: name, Message: name + " must be " + want}
}

// get decodes field name as a T; ok is false when the field is absent or null.
func get[T any](f fields, name string) (v T, ok bool, err error) {
	v, ok, err = jsonobj.Value[T](f, name)
	if err != nil {
		return v, false, wrongType(name, jsonobj.Kind(v))
	}
	return v, ok, nil
}

func (f fields) str(name string) (string, bool, error) { return get[string](f, name) }

func (f fields) requiredStr(name string) (string, error) {
	v, ok, err := f.str(name)
	if err == nil && !ok {
		err = missing(name)
	}
	return v, err
}

func (f fields) boolean(name string) (bool, bool, error) { return get[bool](f, name) }

// strings decodes an array of strings; a present empty array gives a non-nil empty slice.
func (f fields) strings(name string) ([]string, bool, error) { return get[[]string](f, name) }

func (f fields) object(name string) (fields, bool, error) {
	if !f.has(name) {
		return nil, false, nil
	}
	sub, err := parseFields(f[name])
	if err != nil {
		return nil, false, wrongType(name, "an object")
	}
	return sub, true, nil
}

// timeoutSeconds decodes the [EXT] integer field.
func (f fields) timeoutSeconds() (*int, error) {
	if !f.has("timeoutSeconds") {
		return nil, nil
	}
	var n json.Number
	if json.Unmarshal(f["timeoutSeconds"], &n) != nil {
		return nil, wrongType("timeoutSeconds", "an integer")
	}
	v, err := strconv.Atoi(n.String())
	if err != nil || v < 0 || v > app.MaxTimeoutSeconds {
		return nil, wrongType("timeoutSeconds", "an integer between 0 and "+strconv.Itoa(app.MaxTimeoutSeconds))
	}
	return &v, nil
}

// rateLimits decodes the [EXT] rateLimits object strictly: a misspelt scope would otherwise
// silently mean "no limit".
func (f fields) rateLimits() (*gateway.RateLimits, error) {
	if !f.has("rateLimits") {
		return nil, nil
	}
	var rl gateway.RateLimits
	if err := jsonobj.Strict(f["rateLimits"], &rl); err != nil {
		return nil, wrongType("rateLimits",
			"an object {callsPerMinute, tokensPerMinute} of {endpoint, perUser, perOrganization} integers")
	}
	return &rl, nil
}

// modelConfig decodes ModelConfigV1: string values and the [EXT] {"secretRef": "…"} object.
// Numbers and booleans are refused rather than converted, so a credential typed as a number
// (openai_api_key: 5) is a clear 400 naming the field. patch reports a PATCH body, where null
// removes a key; on create null is a wrong type like any other.
func (f fields) modelConfig(patch bool) (map[string]app.ConfigValue, bool, error) {
	obj, ok, err := f.object("modelConfig")
	if !ok || err != nil {
		return nil, ok, err
	}
	out := make(map[string]app.ConfigValue, len(obj))
	for key, raw := range obj {
		v, err := configValue(key, raw, patch)
		if err != nil {
			return nil, false, err
		}
		out[key] = v
	}
	return out, true, nil
}

func configValue(key string, raw json.RawMessage, patch bool) (app.ConfigValue, error) {
	raw = bytes.TrimSpace(raw)
	bad := wrongType("modelConfig."+truncate(key, 64), `a string (or {"secretRef": "env:NAME"|"vault:PATH#FIELD"})`)
	if len(raw) == 0 {
		return app.ConfigValue{}, bad
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return app.ConfigValue{}, bad
		}
		return app.ConfigValue{Value: s}, nil
	case 'n':
		if patch && isNull(raw) {
			return app.ConfigValue{Remove: true}, nil
		}
	case '{':
		var ref struct {
			SecretRef string `json:"secretRef"`
		}
		if jsonobj.Strict(raw, &ref) != nil || ref.SecretRef == "" {
			return app.ConfigValue{}, bad
		}
		return app.ConfigValue{SecretRef: ref.SecretRef}, nil
	}
	return app.ConfigValue{}, bad
}

// decodeCreate turns a NewEndpointV1 body (plus extension fields) into app input. Every
// Domino field is required.
func decodeCreate(f fields) (app.EndpointInput, error) {
	var in app.EndpointInput
	var err error
	if in.Name, err = f.requiredStr("endpointName"); err != nil {
		return in, err
	}
	typ, err := f.requiredStr("endpointType")
	if err != nil {
		return in, err
	}
	in.Type = gateway.EndpointType(typ)
	if in.Provider, err = f.requiredStr("modelProvider"); err != nil {
		return in, err
	}
	if in.Model, err = f.requiredStr("modelName"); err != nil {
		return in, err
	}
	config, ok, err := f.modelConfig(false)
	if err == nil && !ok {
		err = missing("modelConfig")
	}
	if err != nil {
		return in, err
	}
	in.Config = config
	if in.Permissions, err = decodeInitialPermissions(f); err != nil {
		return in, err
	}
	return in, decodeCreateExtensions(f, &in)
}

func decodeInitialPermissions(f fields) (gateway.Permissions, error) {
	var p gateway.Permissions
	obj, ok, err := f.object("endpointPermissions")
	if err == nil && !ok {
		err = missing("endpointPermissions")
	}
	if err != nil {
		return p, err
	}
	everyone, ok, err := obj.boolean("isEveryoneAllowed")
	if err == nil && !ok {
		err = missing("endpointPermissions.isEveryoneAllowed")
	}
	if err != nil {
		return p, prefixed(err, "endpointPermissions.")
	}
	users, ok, err := obj.strings("userIds")
	if err == nil && !ok {
		err = missing("endpointPermissions.userIds")
	}
	if err != nil {
		return p, prefixed(err, "endpointPermissions.")
	}
	orgs, _, err := obj.strings("organizationIds")
	if err != nil {
		return p, prefixed(err, "endpointPermissions.")
	}
	return gateway.Permissions{IsEveryoneAllowed: everyone, UserIDs: users, OrganizationIDs: orgs}, nil
}

// prefixed qualifies a nested field's error with its parent, once.
func prefixed(err error, prefix string) error {
	e := gateway.AsError(err)
	if e.Field == "" || strings.HasPrefix(e.Field, prefix) {
		return err
	}
	return &gateway.Error{Code: e.Code, Field: prefix + e.Field, Message: prefix + e.Message}
}

func decodeCreateExtensions(f fields, in *app.EndpointInput) error {
	rl, err := f.rateLimits()
	if err != nil {
		return err
	}
	if rl != nil {
		in.RateLimits = *rl
	}
	if in.LogPayloads, _, err = f.boolean("logPayloads"); err != nil {
		return err
	}
	t, err := f.timeoutSeconds()
	if t != nil {
		in.TimeoutSeconds = *t
	}
	if err != nil {
		return err
	}
	if in.Pricing, _, err = f.pricing(); err != nil {
		return err
	}
	if in.Routing, _, err = f.routing(); err != nil {
		return err
	}
	if in.Cache, _, err = f.cachePolicy(); err != nil {
		return err
	}
	targets, _, err := f.targets()
	in.Targets = targets
	return err
}

// decodePatch turns an UpdatedEndpointV1 body into a patch; absent or null fields are kept.
func decodePatch(f fields) (app.EndpointPatch, error) {
	var p app.EndpointPatch
	for name, dst := range map[string]**string{"endpointName": &p.Name, "modelProvider": &p.Provider, "modelName": &p.Model} {
		v, ok, err := f.str(name)
		if err != nil {
			return p, err
		}
		if ok {
			*dst = &v
		}
	}
	typ, ok, err := f.str("endpointType")
	if err != nil {
		return p, err
	}
	if ok {
		t := gateway.EndpointType(typ)
		p.Type = &t
	}
	if p.Config, _, err = f.modelConfig(true); err != nil {
		return p, err
	}
	if p.RateLimits, err = f.rateLimits(); err != nil {
		return p, err
	}
	logPayloads, ok, err := f.boolean("logPayloads")
	if err != nil {
		return p, err
	}
	if ok {
		p.LogPayloads = &logPayloads
	}
	if p.TimeoutSeconds, err = f.timeoutSeconds(); err != nil {
		return p, err
	}
	var present bool
	if p.Pricing, present, err = f.pricing(); err != nil {
		return p, err
	}
	p.ClearPricing = present && p.Pricing == nil
	if p.Routing, present, err = f.routing(); err != nil {
		return p, err
	}
	p.ClearRouting = present && p.Routing == nil
	if p.Cache, present, err = f.cachePolicy(); err != nil {
		return p, err
	}
	p.ClearCache = present && p.Cache == nil
	targets, present, err := f.targets()
	if present && err == nil {
		p.Targets = &targets
	}
	return p, err
}

// decodePermissionsPatch turns an UpdatedEndpointPermissionsV1 body into a patch.
func decodePermissionsPatch(f fields) (app.PermissionsPatch, error) {
	var p app.PermissionsPatch
	everyone, ok, err := f.boolean("isEveryoneAllowed")
	if err != nil {
		return p, err
	}
	if ok {
		p.IsEveryoneAllowed = &everyone
	}
	if p.UserIDs, _, err = f.strings("userIds"); err != nil {
		return p, err
	}
	p.OrganizationIDs, _, err = f.strings("organizationIds")
	return p, err
}

// pricing reads the "pricing" extension [EXT]: absent (nil, false), null (nil, true: back to
// the price table), or an object of prices, each field checked and named when wrong.
func (f fields) pricing() (*gateway.Pricing, bool, error) {
	var v gateway.Pricing
	ok, present, err := f.extension("pricing", &v, "currency, inputPerMillionTokens, outputPerMillionTokens, cachedInputPerMillionTokens, perRequest")
	if !ok || err != nil {
		return nil, present, err
	}
	return &v, true, v.Validate("pricing.")
}

// extension decodes the extension object name into dst, refusing unknown fields and naming a
// wrongly typed one. ok is false when the field is absent or null (present tells which).
func (f fields) extension(name string, dst any, known string) (ok, present bool, err error) {
	raw, present := f[name]
	if !present || isNull(raw) {
		return false, present, nil
	}
	err = jsonobj.Strict(raw, dst)
	var fe *jsonobj.FieldError
	switch {
	case err == nil:
		return true, true, nil
	case !errors.As(err, &fe) || fe.Field == "":
		return false, true, wrongType(name, "an object")
	case fe.Unknown:
		return false, true, &gateway.Error{Code: gateway.CodeInvalid, Field: name + "." + fe.Field,
			Message: name + "." + fe.Field + " is not a " + name + " field (" + known + ")"}
	}
	return false, true, wrongType(name+"."+fe.Field, fe.Want)
}

func present(f fields, name string) bool {
	_, ok := f[name]
	return ok
}

// only refuses a field not in allowed, naming it and the allowed ones.
func (f fields) only(allowed []string) error {
	for name := range f {
		if !contains(allowed, name) {
			return &gateway.Error{Code: gateway.CodeInvalid, Field: name,
				Message: name + " is not a field here; the fields are " + strings.Join(allowed, ", ")}
		}
	}
	return nil
}

// int64Field decodes an integer field; nil when absent or null.
func (f fields) int64Field(name string) (*int64, error) {
	v, ok, err := get[int64](f, name)
	if !ok {
		return nil, err
	}
	return &v, nil
}

// float decodes a number field; nil when absent or null.
func (f fields) float(name string) (*float64, error) {
	v, ok, err := get[float64](f, name)
	if !ok {
		return nil, err
	}
	return &v, nil
}

// routing reads the "routing" extension [EXT] like pricing: absent, null (back to one
// attempt), or {"strategy", "retryOn", "maxAttempts", "cooldownSeconds", "primaryWeight"}.
func (f fields) routing() (*gateway.Routing, bool, error) {
	var v gateway.Routing
	ok, present, err := f.extension("routing", &v, "strategy, retryOn, maxAttempts, cooldownSeconds, primaryWeight")
	if !ok || err != nil {
		return nil, present, err
	}
	return &v, true, v.Validate("routing.")
}

// cachePolicy reads the "cache" extension [EXT]: absent, null (off), or {"ttlSeconds": n}.
func (f fields) cachePolicy() (*gateway.CachePolicy, bool, error) {
	var v gateway.CachePolicy
	ok, present, err := f.extension("cache", &v, "ttlSeconds")
	if !ok || err != nil {
		return nil, present, err
	}
	return &v, true, v.Validate("cache.")
}

// targets reads the "targets" extension [EXT]: further targets, each {"modelProvider",
// "modelName", "modelConfig", "weight"}; null or [] means none.
func (f fields) targets() ([]app.TargetInput, bool, error) {
	raw, ok := f["targets"]
	if !ok {
		return nil, false, nil
	}
	if isNull(raw) {
		return []app.TargetInput{}, true, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, true, wrongType("targets", "a list of targets")
	}
	out := make([]app.TargetInput, 0, len(items))
	for i, item := range items {
		prefix := fmt.Sprintf("targets[%d].", i)
		sub, err := parseFields(item)
		if err != nil {
			return nil, true, wrongType(strings.TrimSuffix(prefix, "."), "an object")
		}
		if err := sub.only([]string{"modelProvider", "modelName", "modelConfig", "weight"}); err != nil {
			return nil, true, prefixed(err, prefix)
		}
		var t app.TargetInput
		if t.Provider, err = sub.requiredStr("modelProvider"); err != nil {
			return nil, true, prefixed(err, prefix)
		}
		if t.Model, err = sub.requiredStr("modelName"); err != nil {
			return nil, true, prefixed(err, prefix)
		}
		if t.Config, _, err = sub.modelConfig(false); err != nil {
			return nil, true, prefixed(err, prefix)
		}
		w, err := sub.int64Field("weight")
		if err != nil {
			return nil, true, prefixed(err, prefix)
		}
		if w != nil {
			t.Weight = int(*w)
		}
		out = append(out, t)
	}
	return out, true, nil
}
