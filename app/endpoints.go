package app

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
)

// ConfigValue is one modelConfig value as an admin gave it: a literal, or a reference to a
// credential held outside llmgate ({"secretRef": "env:NAME"} or "vault:PATH#FIELD"), which is
// kept as given and never copied into the secret store.
type ConfigValue struct {
	Value     string
	SecretRef string
	// Remove (null in a PATCH) deletes the key from the stored config.
	Remove bool
}

// EndpointInput is the input of CreateEndpoint (Domino's NewEndpointV1 plus llmgate's
// extension fields).
type EndpointInput struct {
	Name           string
	Type           gateway.EndpointType
	Provider       string
	Model          string
	Config         map[string]ConfigValue
	Permissions    gateway.Permissions
	RateLimits     gateway.RateLimits
	LogPayloads    bool
	TimeoutSeconds int
	Pricing        *gateway.Pricing     // nil: the shipped price table
	Routing        *gateway.Routing     // nil: one attempt
	Cache          *gateway.CachePolicy // nil: no response cache
	Targets        []TargetInput        // further targets (Routing)
}

// EndpointPatch is the input of UpdateEndpoint: nil fields are left unchanged. Config is
// merged into the stored modelConfig: a given key is set, a key with Remove is deleted, others
// stay; a value equal to gateway.SecretMask keeps the credential stored under that key. When
// the provider changes, Config replaces the stored map whole.
type EndpointPatch struct {
	Name           *string
	Type           *gateway.EndpointType
	Provider       *string
	Model          *string
	Config         map[string]ConfigValue
	RateLimits     *gateway.RateLimits
	LogPayloads    *bool
	TimeoutSeconds *int
	// Pricing replaces the endpoint's prices; ClearPricing returns it to the price table.
	Pricing      *gateway.Pricing
	ClearPricing bool
	// Routing replaces the retry policy; ClearRouting returns to one attempt.
	Routing      *gateway.Routing
	ClearRouting bool
	// Cache replaces the response cache policy; ClearCache turns the cache off.
	Cache      *gateway.CachePolicy
	ClearCache bool
	// Targets, when non-nil, replaces the further targets (credentials must be given again).
	Targets *[]TargetInput
}

// PermissionsPatch is the input of UpdatePermissions: nil fields are left unchanged, a
// non-nil list (even empty) replaces the stored one.
type PermissionsPatch struct {
	IsEveryoneAllowed *bool
	UserIDs           []string
	OrganizationIDs   []string
}

// MaxTimeoutSeconds bounds an endpoint's upstream timeout; longer waits are a config mistake.
const MaxTimeoutSeconds = 3600

// endpointMu serialises endpoint changes in this process, so two concurrent PATCHes of one
// endpoint cannot both start from the same snapshot and lose one of the changes.
var endpointMu sync.Mutex

// CreateEndpoint validates in, stores its credentials in the secret store and creates the
// endpoint together with its audit event.
func (a *App) CreateEndpoint(ctx context.Context, act Actor, in EndpointInput) (*gateway.Endpoint, error) {
	if err := requireAdmin(act); err != nil {
		return nil, err
	}
	endpointMu.Lock()
	defer endpointMu.Unlock()
	e, plan, err := a.prepareCreate(ctx, in)
	if err != nil {
		return nil, err
	}
	if e.Targets, err = a.buildTargets(ctx, e, in.Targets); err != nil {
		return nil, err
	}
	if err := a.applyConfigPlan(ctx, e, plan); err != nil {
		a.deleteSecrets(ctx, targetRefs(e.Targets))
		return nil, err
	}
	ev := act.event(gateway.KindCreateEndpoint)
	describeCreate(ev, e)
	err = a.commit(ctx, func(ctx context.Context) error { return a.Store.CreateEndpoint(ctx, e, ev) }, withEndpoint(e))
	if err != nil {
		a.deleteSecrets(ctx, append(plan.newRefs(e), targetRefs(e.Targets)...))
		return nil, endpointStoreError(err, e.Name)
	}
	return e, nil
}

// ValidateEndpoint makes every check CreateEndpoint makes and changes nothing, so a batch
// (the MLflow importer) can reject a bad file before it creates any endpoint.
func (a *App) ValidateEndpoint(ctx context.Context, in EndpointInput) error {
	_, _, err := a.prepareCreate(ctx, in)
	return err
}

// prepareCreate validates in and builds the endpoint and its config plan; nothing is stored.
func (a *App) prepareCreate(ctx context.Context, in EndpointInput) (*gateway.Endpoint, *configPlan, error) {
	if err := checkEndpointName(a.Snapshot(), in.Name); err != nil {
		return nil, nil, err
	}
	spec, err := a.checkProviderAndType(in.Provider, in.Type)
	if err != nil {
		return nil, nil, err
	}
	if err := checkModel(in.Model); err != nil {
		return nil, nil, err
	}
	if err := checkExtensions(in.RateLimits, in.TimeoutSeconds); err != nil {
		return nil, nil, err
	}
	if in.Pricing != nil {
		if err := in.Pricing.Validate("pricing."); err != nil {
			return nil, nil, err
		}
	}
	if in.Routing != nil {
		if err := in.Routing.Validate("routing."); err != nil {
			return nil, nil, err
		}
	}
	if in.Cache != nil {
		if err := in.Cache.Validate("cache."); err != nil {
			return nil, nil, err
		}
	}
	perms, err := a.normalizePermissions(ctx, in.Permissions)
	if err != nil {
		return nil, nil, err
	}
	plan, err := planConfig(spec, in.Config, nil)
	if err != nil {
		return nil, nil, err
	}
	now := gateway.Now()
	e := &gateway.Endpoint{ID: gateway.NewID(), Name: in.Name, Type: in.Type, Provider: strings.TrimSpace(in.Provider),
		Model: in.Model, Permissions: perms, RateLimits: in.RateLimits, LogPayloads: in.LogPayloads,
		TimeoutSeconds: in.TimeoutSeconds, Pricing: in.Pricing, Routing: in.Routing, Cache: in.Cache, CreatedAt: now, UpdatedAt: now}
	return e, plan, nil
}

// UpdateEndpoint applies patch to the active endpoint called name. An empty patch changes
// nothing and records no event.
func (a *App) UpdateEndpoint(ctx context.Context, act Actor, name string, patch EndpointPatch) (*gateway.Endpoint, error) {
	if err := requireAdmin(act); err != nil {
		return nil, err
	}
	endpointMu.Lock()
	defer endpointMu.Unlock()
	old, err := a.endpointForChange(ctx, name)
	if err != nil {
		return nil, err
	}
	e := cloneEndpoint(old)
	if err := a.applyScalarPatch(e, patch); err != nil {
		return nil, err
	}
	spec, err := a.checkProviderAndType(e.Provider, e.Type)
	if err != nil {
		return nil, err
	}
	plan, err := planConfig(spec, mergeConfig(spec, old, patch.Config), old)
	if err != nil {
		return nil, err
	}
	if err := credentialsFollowLocation(old, patch.Config, plan); err != nil {
		return nil, err
	}
	var oldTargetRefs, newTargetRefs []string
	if patch.Targets != nil {
		targets, err := a.buildTargets(ctx, e, *patch.Targets)
		if err != nil {
			return nil, err
		}
		oldTargetRefs, newTargetRefs, e.Targets = targetRefs(old.Targets), targetRefs(targets), targets
	}
	if err := a.applyConfigPlan(ctx, e, plan); err != nil {
		a.deleteSecrets(ctx, newTargetRefs)
		return nil, err
	}
	ev := act.event(gateway.KindUpdateEndpoint)
	changed := describeUpdate(ev, old, e, plan.keysChanged)
	if !changed && patch.Targets == nil {
		return old, nil
	}
	if patch.Targets != nil {
		ev.EndpointID, ev.EndpointType = e.ID, string(e.Type)
		ev.Metadata["endpointName"] = e.Name
		ev.Metadata["changedFields"] = strings.TrimPrefix(ev.Metadata["changedFields"]+",targets", ",")
		ev.Metadata["after.targets"] = targetsText(e.Targets)
	}
	e.UpdatedAt = gateway.Now()
	err = a.commit(ctx, func(ctx context.Context) error { return a.Store.UpdateEndpoint(ctx, e, ev) }, withEndpoint(e))
	if err != nil {
		a.deleteSecrets(ctx, append(plan.newRefs(e), newTargetRefs...))
		return nil, endpointStoreError(err, e.Name)
	}
	a.deleteSecrets(ctx, append(plan.dropped, oldTargetRefs...))
	return e, nil
}

// DeleteEndpoint deactivates the endpoint called name and purges the credentials llmgate
// stored for it; its audit history stays.
func (a *App) DeleteEndpoint(ctx context.Context, act Actor, name string) error {
	if err := requireAdmin(act); err != nil {
		return err
	}
	endpointMu.Lock()
	defer endpointMu.Unlock()
	e, err := a.endpointForChange(ctx, name)
	if err != nil {
		return err
	}
	ev := act.event(gateway.KindDeleteEndpoint)
	ev.EndpointID, ev.EndpointType = e.ID, string(e.Type)
	ev.Metadata["endpointName"] = e.Name
	for field, v := range scalarFields(e) {
		ev.Metadata["before."+field] = v
	}
	err = a.commit(ctx, func(ctx context.Context) error { return a.Store.DeleteEndpoint(ctx, e.ID, gateway.Now(), ev) },
		withoutEndpoint(e.ID))
	if err != nil {
		return err
	}
	a.deleteSecrets(ctx, append(ownedRefs(e.Secrets), targetRefs(e.Targets)...))
	return nil
}

// UpdatePermissions changes who may use the endpoint called name and returns the full new
// permissions. Invalid ids reject the whole patch.
func (a *App) UpdatePermissions(ctx context.Context, act Actor, name string, patch PermissionsPatch) (*gateway.Permissions, error) {
	if err := requireAdmin(act); err != nil {
		return nil, err
	}
	endpointMu.Lock()
	defer endpointMu.Unlock()
	old, err := a.endpointForChange(ctx, name)
	if err != nil {
		return nil, err
	}
	want := old.Permissions
	if patch.IsEveryoneAllowed != nil {
		want.IsEveryoneAllowed = *patch.IsEveryoneAllowed
	}
	if patch.UserIDs != nil {
		want.UserIDs = patch.UserIDs
	}
	if patch.OrganizationIDs != nil {
		want.OrganizationIDs = patch.OrganizationIDs
	}
	perms, err := a.normalizePermissions(ctx, want)
	if err != nil {
		return nil, err
	}
	oldPerms := normalizeLists(old.Permissions)
	ev := act.event(gateway.KindUpdateEndpointPerms)
	if !describePermissions(ev, old, oldPerms, perms) {
		return &oldPerms, nil
	}
	e := cloneEndpoint(old)
	e.Permissions = perms
	e.UpdatedAt = gateway.Now()
	if err := a.commit(ctx, func(ctx context.Context) error { return a.Store.UpdateEndpoint(ctx, e, ev) }, withEndpoint(e)); err != nil {
		return nil, err
	}
	return &perms, nil
}

func requireAdmin(act Actor) error { return requireAdminTo(act, "manage endpoints") }

// requireAdminTo refuses a non-admin actor (the CLI, with no principal, is the operator).
func requireAdminTo(act Actor, what string) error {
	if act.Principal != nil && !act.Principal.IsAdmin() {
		return gateway.Errorf(gateway.CodeForbidden, "only administrators may %s", what)
	}
	return nil
}

// endpointForChange finds the active endpoint to change. A miss reloads once, because the
// endpoint may have been created through another replica a moment ago.
func (a *App) endpointForChange(ctx context.Context, name string) (*gateway.Endpoint, error) {
	if e := a.Snapshot().Endpoint(name); e != nil {
		return e, nil
	}
	if err := a.Reload(ctx); err != nil {
		return nil, err
	}
	if e := a.Snapshot().Endpoint(name); e != nil {
		return e, nil
	}
	return nil, gateway.Errorf(gateway.CodeNotFound, "endpoint %q not found", name)
}

func checkEndpointName(snap *gateway.Snapshot, name string) error {
	if !gateway.ValidEndpointName(name) {
		return gateway.Errorf(gateway.CodeInvalid,
			"endpointName must be 1-256 characters of ASCII letters, digits, '_', '.' or '-', and not only dots")
	}
	if snap.Endpoint(name) != nil {
		return duplicateName(name)
	}
	return nil
}

func duplicateName(name string) error {
	return gateway.Errorf(gateway.CodeConflict, "an endpoint named %q already exists", name)
}

// endpointStoreError turns the store's uniqueness violation (a concurrent create on another
// replica) into the same message the snapshot check gives.
func endpointStoreError(err error, name string) error {
	if gateway.ErrorCode(err) == gateway.CodeConflict {
		return duplicateName(name)
	}
	return err
}

func (a *App) checkProviderAndType(name string, t gateway.EndpointType) (*provider.Spec, error) {
	if !gateway.ValidEndpointType(t) {
		return nil, gateway.Errorf(gateway.CodeInvalid,
			"endpointType must be one of llm/v1/chat, llm/v1/completions, llm/v1/embeddings")
	}
	spec := a.Providers.Lookup(name)
	if spec == nil {
		return nil, gateway.Errorf(gateway.CodeInvalid, "modelProvider %q is not a supported provider", truncate(name, 64))
	}
	if len(spec.Types) > 0 && !spec.Supports(t) {
		return nil, gateway.Errorf(gateway.CodeInvalid, "provider %q does not serve endpoint type %s", spec.Name, t)
	}
	return spec, nil
}

// checkModel only bounds the model name: which models exist is the provider's business.
func checkModel(model string) error {
	if strings.TrimSpace(model) == "" || len(model) > 512 {
		return gateway.Errorf(gateway.CodeInvalid, "modelName must be 1-512 characters")
	}
	return nil
}

func checkExtensions(rl gateway.RateLimits, timeoutSeconds int) error {
	for _, v := range []int64{rl.CallsPerMinute.Endpoint, rl.CallsPerMinute.PerUser, rl.CallsPerMinute.PerOrganization,
		rl.TokensPerMinute.Endpoint, rl.TokensPerMinute.PerUser, rl.TokensPerMinute.PerOrganization} {
		if v < 0 {
			return gateway.Errorf(gateway.CodeInvalid, "rateLimits values must be 0 (no limit) or positive")
		}
	}
	if timeoutSeconds < 0 || timeoutSeconds > MaxTimeoutSeconds {
		return gateway.Errorf(gateway.CodeInvalid, "timeoutSeconds must be between 0 and %d", MaxTimeoutSeconds)
	}
	return nil
}

func (a *App) applyScalarPatch(e *gateway.Endpoint, p EndpointPatch) error {
	if p.Name != nil && *p.Name != e.Name {
		if err := checkEndpointName(a.Snapshot(), *p.Name); err != nil {
			return err
		}
		e.Name = *p.Name
	}
	if p.Type != nil {
		e.Type = *p.Type
	}
	if p.Provider != nil {
		e.Provider = strings.TrimSpace(*p.Provider)
	}
	if p.Model != nil {
		if err := checkModel(*p.Model); err != nil {
			return err
		}
		e.Model = *p.Model
	}
	if p.RateLimits != nil {
		e.RateLimits = *p.RateLimits
	}
	if p.LogPayloads != nil {
		e.LogPayloads = *p.LogPayloads
	}
	if p.TimeoutSeconds != nil {
		e.TimeoutSeconds = *p.TimeoutSeconds
	}
	switch {
	case p.ClearPricing:
		e.Pricing = nil
	case p.Pricing != nil:
		if err := p.Pricing.Validate("pricing."); err != nil {
			return err
		}
		e.Pricing = p.Pricing
	}
	switch {
	case p.ClearRouting:
		e.Routing = nil
	case p.Routing != nil:
		if err := p.Routing.Validate("routing."); err != nil {
			return err
		}
		e.Routing = p.Routing
	}
	switch {
	case p.ClearCache:
		e.Cache = nil
	case p.Cache != nil:
		if err := p.Cache.Validate("cache."); err != nil {
			return err
		}
		e.Cache = p.Cache
	}
	return checkExtensions(e.RateLimits, e.TimeoutSeconds)
}

// normalizePermissions checks every id and collapses duplicates, keeping first-seen order.
// An id unknown to the snapshot triggers one reload: the user may have just been created by
// the CLI or another replica.
func (a *App) normalizePermissions(ctx context.Context, p gateway.Permissions) (gateway.Permissions, error) {
	p = normalizeLists(p)
	known := func(id string, orgOnly bool) bool {
		snap := a.Snapshot()
		return snap.Org(id) != nil || (!orgOnly && snap.User(id) != nil)
	}
	check := func(field string, ids []string, orgOnly bool) error {
		for _, id := range ids {
			if !gateway.ValidID(id) {
				return gateway.Errorf(gateway.CodeInvalid, "%s entry %q is not a 24-hex id", field, truncate(id, 64))
			}
			if known(id, orgOnly) {
				continue
			}
			if err := a.Reload(ctx); err != nil {
				return err
			}
			if !known(id, orgOnly) {
				what := "user or organization"
				if orgOnly {
					what = "organization"
				}
				return gateway.Errorf(gateway.CodeInvalid, "%s entry %s is not an existing %s", field, id, what)
			}
		}
		return nil
	}
	if err := check("userIds", p.UserIDs, false); err != nil {
		return p, err
	}
	if err := check("organizationIds", p.OrganizationIDs, true); err != nil {
		return p, err
	}
	return p, nil
}

// normalizeLists dedupes both id lists and makes them non-nil, so they render as [].
func normalizeLists(p gateway.Permissions) gateway.Permissions {
	p.UserIDs = dedupe(p.UserIDs)
	p.OrganizationIDs = dedupe(p.OrganizationIDs)
	return p
}

func dedupe(ids []string) []string {
	out := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

var (
	envRefPattern   = regexp.MustCompile(`^env:[A-Za-z_][A-Za-z0-9_]*$`)
	vaultRefPattern = regexp.MustCompile(`^vault:[^#\s]+#[^#\s]+$`)
)

// ValidSecretRef reports whether ref is a reference llmgate can resolve without storing it.
func ValidSecretRef(ref string) bool {
	return envRefPattern.MatchString(ref) || vaultRefPattern.MatchString(ref)
}

// configPlan is what a new modelConfig does to an endpoint: the plain values, the secret
// references to keep, the values to put into the secret store, and the owned references that
// become garbage once the change commits.
type configPlan struct {
	plain       map[string]string
	refs        map[string]gateway.SecretRef
	toStore     map[string]string
	dropped     []string
	keysChanged []string
}

// planConfig works out the new modelConfig from the given values and the endpoint's current
// one (nil on create) and checks it against the provider. Nothing is stored yet.
func planConfig(spec *provider.Spec, given map[string]ConfigValue, old *gateway.Endpoint) (*configPlan, error) {
	p := &configPlan{plain: map[string]string{}, refs: map[string]gateway.SecretRef{}, toStore: map[string]string{}}
	presence := map[string]string{}
	for key, v := range given {
		if v.Remove {
			continue
		}
		if err := p.add(spec, key, v, old); err != nil {
			return nil, err
		}
		presence[key] = v.Value
		if v.SecretRef != "" || spec.IsSecret(key) {
			presence[key] = gateway.SecretMask // only presence matters for credentials
		}
	}
	if err := spec.CheckConfig(presence); err != nil {
		return nil, err
	}
	p.diff(old)
	return p, nil
}

func (p *configPlan) add(spec *provider.Spec, key string, v ConfigValue, old *gateway.Endpoint) error {
	if key == "" || len(key) > 256 || strings.ContainsAny(key, "\x00\r\n") {
		return gateway.Errorf(gateway.CodeInvalid, "modelConfig keys must be 1-256 characters")
	}
	if !spec.Declares(key) && !(old != nil && spec.Named(old.Provider) && old.HasConfigKey(key)) {
		return unknownKey(spec, key)
	}
	switch {
	case v.SecretRef != "":
		if !ValidSecretRef(v.SecretRef) {
			return gateway.Errorf(gateway.CodeInvalid,
				"modelConfig key %q: secretRef must be \"env:NAME\" or \"vault:PATH#FIELD\"", key)
		}
		p.refs[key] = gateway.SecretRef{Ref: v.SecretRef}
	case v.Value == gateway.SecretMask:
		ref, ok := gateway.SecretRef{}, false
		if old != nil {
			ref, ok = old.Secrets[key]
		}
		if plain, masked := oldPlain(old, key); !ok && masked {
			// A plain value shown masked (stored before it would be refused): sending the
			// mask back keeps it, as for a credential, so a read-then-write round trip works.
			return p.add(spec, key, ConfigValue{Value: plain}, old)
		}
		if !ok {
			return gateway.Errorf(gateway.CodeInvalid,
				"modelConfig key %q is %q but no credential is stored under it; send the real value", key, gateway.SecretMask)
		}
		p.refs[key] = ref
	case spec.IsSecret(key):
		if strings.TrimSpace(v.Value) == "" {
			return gateway.Errorf(gateway.CodeInvalid, "modelConfig key %q must not be empty", key)
		}
		p.toStore[key] = v.Value
	default:
		if HasURLPassword(v.Value) {
			return gateway.Errorf(gateway.CodeInvalid, "modelConfig key %q holds a URL with user:password@; "+
				"llmgate does not store credentials inside URLs, give the provider's credential key instead", key)
		}
		p.plain[key] = v.Value
	}
	return nil
}

// oldPlain returns the stored plain value under key, if there is one.
func oldPlain(old *gateway.Endpoint, key string) (string, bool) {
	if old == nil {
		return "", false
	}
	v, ok := old.Config[key]
	return v, ok && v != gateway.SecretMask
}

// unknownKey refuses a key the provider does not declare. Storing it would keep a misspelt
// credential (api-key, openai_key) as a plain value that every reader of the endpoint sees.
func unknownKey(spec *provider.Spec, key string) error {
	return &gateway.Error{Code: gateway.CodeInvalid, Field: "modelConfig." + truncate(key, 64),
		Message: fmt.Sprintf("modelConfig key %q is not a setting of provider %q; its keys are %s",
			truncate(key, 64), spec.Name, strings.Join(spec.Keys(), ", "))}
}

// HasURLPassword reports whether v is a URL carrying userinfo (http://user:secret@host).
// Such a value is refused rather than stored: the password would be a credential outside the
// secret store, shown to everyone who may read the endpoint.
func HasURLPassword(v string) bool {
	v = strings.TrimSpace(v)
	i := strings.Index(v, "://")
	if i < 0 {
		return false
	}
	authority := v[i+3:]
	if j := strings.IndexAny(authority, "/?#"); j >= 0 {
		authority = authority[:j]
	}
	return strings.Contains(authority, "@")
}

// diff lists the keys whose value changed and the owned references no longer used.
func (p *configPlan) diff(old *gateway.Endpoint) {
	changed := map[string]bool{}
	for k := range p.toStore {
		changed[k] = true
	}
	var oldPlain map[string]string
	var oldRefs map[string]gateway.SecretRef
	if old != nil {
		oldPlain, oldRefs = old.Config, old.Secrets
	}
	for k, v := range p.plain {
		if ov, ok := oldPlain[k]; !ok || ov != v {
			changed[k] = true
		}
	}
	for k, r := range p.refs {
		if or, ok := oldRefs[k]; !ok || or != r {
			changed[k] = true
		}
	}
	for k := range oldPlain {
		if _, ok := p.plain[k]; !ok {
			changed[k] = true
		}
	}
	for k, r := range oldRefs {
		if kept, ok := p.refs[k]; !ok || kept != r {
			changed[k] = true
			if r.Owned {
				p.dropped = append(p.dropped, r.Ref)
			}
		}
	}
	for k := range changed {
		p.keysChanged = append(p.keysChanged, k)
	}
	sort.Strings(p.keysChanged)
	sort.Strings(p.dropped)
}

// applyConfigPlan stores the plan's new credentials and sets e's config maps. If a Put
// fails, the values already stored are deleted again.
func (a *App) applyConfigPlan(ctx context.Context, e *gateway.Endpoint, p *configPlan) error {
	e.Config = p.plain
	e.Secrets = map[string]gateway.SecretRef{}
	for k, r := range p.refs {
		e.Secrets[k] = r
	}
	keys := make([]string, 0, len(p.toStore))
	for k := range p.toStore {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var stored []string
	for _, k := range keys {
		ref, err := a.Secrets.Put(ctx, e.ID, k, p.toStore[k])
		if err != nil {
			a.deleteSecrets(ctx, stored)
			return gateway.Wrap(gateway.CodeUnavailable, err, "could not store the endpoint's credentials")
		}
		stored = append(stored, ref)
		e.Secrets[k] = gateway.SecretRef{Ref: ref, Owned: true}
	}
	return nil
}

// newRefs are the references this plan created in e, to undo when the store write fails.
func (p *configPlan) newRefs(e *gateway.Endpoint) []string {
	var refs []string
	for k := range p.toStore {
		refs = append(refs, e.Secrets[k].Ref)
	}
	return refs
}

// deleteSecrets removes owned credentials. Failure leaves an orphaned ciphertext, which is
// harmless to correctness, so it is logged rather than failing a change that has committed.
func (a *App) deleteSecrets(ctx context.Context, refs []string) {
	for _, ref := range refs {
		if err := a.Secrets.Delete(ctx, ref); err != nil {
			a.Log.Warn("could not delete a stored credential", "err", err)
		}
	}
}

func ownedRefs(secrets map[string]gateway.SecretRef) []string {
	var refs []string
	for _, r := range secrets {
		if r.Owned {
			refs = append(refs, r.Ref)
		}
	}
	sort.Strings(refs)
	return refs
}

// mergeConfig is the modelConfig a PATCH asks for: the stored config with the given keys
// set and the keys given as null removed. When the provider changes, the stored keys belong
// to another provider, so the given config replaces them whole.
func mergeConfig(spec *provider.Spec, old *gateway.Endpoint, given map[string]ConfigValue) map[string]ConfigValue {
	if !spec.Named(old.Provider) && given != nil {
		return given
	}
	merged := currentConfig(old)
	for k, v := range given {
		if v.Remove {
			delete(merged, k)
		} else {
			merged[k] = v
		}
	}
	return merged
}

// credentialsFollowLocation refuses a change of where requests go (a base URL, host or
// endpoint key) that keeps a stored credential the PATCH did not give again: the credential
// was entrusted for one host and must never be sent to another on the strength of a change
// that did not even name it.
func credentialsFollowLocation(old *gateway.Endpoint, given map[string]ConfigValue, p *configPlan) error {
	var moved []string
	for k := range locationKeys(old.Config, p.plain) {
		if old.Config[k] != p.plain[k] {
			moved = append(moved, k)
		}
	}
	if len(moved) == 0 {
		return nil
	}
	var carried []string
	for k := range p.refs {
		if v, ok := given[k]; !ok || v.Value == gateway.SecretMask {
			carried = append(carried, k)
		}
	}
	if len(carried) == 0 {
		return nil
	}
	sort.Strings(moved)
	sort.Strings(carried)
	return gateway.Errorf(gateway.CodeInvalid, "modelConfig changes %s but keeps the stored %s: give %s again in the same "+
		"PATCH, so a stored credential is never sent to a host it was not configured for",
		strings.Join(moved, ", "), strings.Join(carried, ", "), strings.Join(carried, ", "))
}

func locationKeys(configs ...map[string]string) map[string]bool {
	keys := map[string]bool{}
	for _, c := range configs {
		for k := range c {
			if provider.IsLocationKey(k) {
				keys[k] = true
			}
		}
	}
	return keys
}

// currentConfig re-expresses an endpoint's stored config as input, with credentials masked,
// so a patch without modelConfig is checked against the (possibly new) provider unchanged.
func currentConfig(e *gateway.Endpoint) map[string]ConfigValue {
	out := make(map[string]ConfigValue, len(e.Config)+len(e.Secrets))
	for k, v := range e.Config {
		out[k] = ConfigValue{Value: v}
	}
	for k := range e.Secrets {
		out[k] = ConfigValue{Value: gateway.SecretMask}
	}
	return out
}

func cloneEndpoint(e *gateway.Endpoint) *gateway.Endpoint {
	c := *e
	c.Config = make(map[string]string, len(e.Config))
	for k, v := range e.Config {
		c.Config[k] = v
	}
	c.Secrets = make(map[string]gateway.SecretRef, len(e.Secrets))
	for k, v := range e.Secrets {
		c.Secrets[k] = v
	}
	c.Permissions.UserIDs = append([]string{}, e.Permissions.UserIDs...)
	c.Permissions.OrganizationIDs = append([]string{}, e.Permissions.OrganizationIDs...)
	return &c
}

// scalarFields are the audited before/after values of an endpoint (docs/contract/domino-aigateway.md §6.2).
func scalarFields(e *gateway.Endpoint) map[string]string {
	return map[string]string{
		"endpointName":      e.Name,
		"endpointType":      string(e.Type),
		"modelProvider":     e.Provider,
		"modelName":         e.Model,
		"isEveryoneAllowed": strconv.FormatBool(e.Permissions.IsEveryoneAllowed),
		"logPayloads":       strconv.FormatBool(e.LogPayloads),
		"timeoutSeconds":    strconv.Itoa(e.TimeoutSeconds),
		"pricing":           pricingText(e.Pricing),
		"routing":           routingText(e.Routing),
		"cache":             cacheText(e.Cache),
	}
}

// cacheText is an endpoint's cache policy as audited, or "" when off.
func cacheText(c *gateway.CachePolicy) string {
	if c == nil {
		return ""
	}
	return strconv.Itoa(c.TTLSeconds) + "s"
}

// routingText is an endpoint's retry policy as audited: its JSON, or "" for one attempt.
func routingText(r *gateway.Routing) string {
	if r == nil {
		return ""
	}
	b, _ := json.Marshal(r)
	return string(b)
}

// pricingText is an endpoint's price override as audited: its JSON, or "" for the table's.
func pricingText(p *gateway.Pricing) string {
	if p == nil {
		return ""
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// fieldOrder is the wire name order used in changedFields.
var fieldOrder = []string{"endpointName", "endpointType", "modelProvider", "modelName", "modelConfig",
	"rateLimits", "logPayloads", "timeoutSeconds", "pricing", "routing", "cache"}

func describeCreate(ev *gateway.AuditEvent, e *gateway.Endpoint) {
	ev.EndpointID, ev.EndpointType = e.ID, string(e.Type)
	ev.Metadata["endpointName"] = e.Name
	ev.Metadata["changedFields"] = strings.Join(append(append([]string{}, fieldOrder...), "endpointPermissions"), ",")
	for field, v := range scalarFields(e) {
		ev.Metadata["after."+field] = v
	}
	keys := e.ConfigKeys()
	sort.Strings(keys)
	ev.Metadata["modelConfigKeysChanged"] = strings.Join(keys, ",")
	setList(ev, "userIdsAdded", e.Permissions.UserIDs)
	setList(ev, "organizationIdsAdded", e.Permissions.OrganizationIDs)
}

// describeUpdate fills ev with what changed from old to e and reports whether anything did.
func describeUpdate(ev *gateway.AuditEvent, old, e *gateway.Endpoint, configKeysChanged []string) bool {
	changed := map[string]bool{"modelConfig": len(configKeysChanged) > 0, "rateLimits": old.RateLimits != e.RateLimits}
	before, after := scalarFields(old), scalarFields(e)
	for field := range after {
		if before[field] != after[field] {
			changed[field] = true
			ev.Metadata["before."+field] = before[field]
			ev.Metadata["after."+field] = after[field]
		}
	}
	var names []string
	for _, f := range fieldOrder {
		if changed[f] {
			names = append(names, f)
		}
	}
	if len(names) == 0 {
		return false
	}
	ev.EndpointID, ev.EndpointType = e.ID, string(e.Type)
	ev.Metadata["endpointName"] = e.Name
	ev.Metadata["changedFields"] = strings.Join(names, ",")
	if old.Name != e.Name {
		ev.Metadata["previousEndpointName"] = old.Name
	}
	setList(ev, "modelConfigKeysChanged", configKeysChanged)
	return true
}

// describePermissions fills ev with the permission change and reports whether there was one.
func describePermissions(ev *gateway.AuditEvent, e *gateway.Endpoint, old, now gateway.Permissions) bool {
	usersAdded, usersRemoved := listDiff(old.UserIDs, now.UserIDs)
	orgsAdded, orgsRemoved := listDiff(old.OrganizationIDs, now.OrganizationIDs)
	everyoneChanged := old.IsEveryoneAllowed != now.IsEveryoneAllowed
	reordered := strings.Join(old.UserIDs, ",") != strings.Join(now.UserIDs, ",") ||
		strings.Join(old.OrganizationIDs, ",") != strings.Join(now.OrganizationIDs, ",")
	if !everyoneChanged && !reordered {
		return false
	}
	ev.EndpointID, ev.EndpointType = e.ID, string(e.Type)
	ev.Metadata["endpointName"] = e.Name
	var fields []string
	if everyoneChanged {
		fields = append(fields, "isEveryoneAllowed")
		ev.Metadata["before.isEveryoneAllowed"] = strconv.FormatBool(old.IsEveryoneAllowed)
		ev.Metadata["after.isEveryoneAllowed"] = strconv.FormatBool(now.IsEveryoneAllowed)
	}
	if strings.Join(old.UserIDs, ",") != strings.Join(now.UserIDs, ",") {
		fields = append(fields, "userIds")
	}
	if strings.Join(old.OrganizationIDs, ",") != strings.Join(now.OrganizationIDs, ",") {
		fields = append(fields, "organizationIds")
	}
	ev.Metadata["changedFields"] = strings.Join(fields, ",")
	setList(ev, "userIdsAdded", usersAdded)
	setList(ev, "userIdsRemoved", usersRemoved)
	setList(ev, "organizationIdsAdded", orgsAdded)
	setList(ev, "organizationIdsRemoved", orgsRemoved)
	return true
}

func listDiff(before, after []string) (added, removed []string) {
	in := func(list []string, s string) bool {
		for _, v := range list {
			if v == s {
				return true
			}
		}
		return false
	}
	for _, id := range after {
		if !in(before, id) {
			added = append(added, id)
		}
	}
	for _, id := range before {
		if !in(after, id) {
			removed = append(removed, id)
		}
	}
	return added, removed
}

func setList(ev *gateway.AuditEvent, key string, list []string) {
	if len(list) > 0 {
		ev.Metadata[key] = strings.Join(list, ",")
	}
}

// targetsText lists targets as audited: provider/model*weight, credentials left out.
func targetsText(ts []gateway.Target) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.Provider + "/" + t.Model + "*" + strconv.Itoa(t.Weight)
	}
	return strings.Join(parts, ",")
}
