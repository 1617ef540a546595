package app

import (
	"context"
	"strconv"

	"github.com/llmgate/llmgate/gateway"
)

// TargetInput is one further target of an endpoint (gateway.Target) as an admin gives it.
type TargetInput struct {
	Provider string
	Model    string
	Config   map[string]ConfigValue
	Weight   int
}

// buildTargets checks each target against the endpoint's type and its provider's keys and
// stores its credentials like the endpoint's own. On error nothing stays stored.
func (a *App) buildTargets(ctx context.Context, e *gateway.Endpoint, in []TargetInput) ([]gateway.Target, error) {
	if len(in) > gateway.MaxTargets {
		return nil, &gateway.Error{Code: gateway.CodeInvalid, Field: "targets", Message: "targets: at most " + strconv.Itoa(gateway.MaxTargets) + " targets"}
	}
	var out []gateway.Target
	fail := func(err error) ([]gateway.Target, error) {
		a.deleteSecrets(ctx, targetRefs(out))
		return nil, err
	}
	for i, t := range in {
		field := "targets[" + strconv.Itoa(i) + "]."
		spec, err := a.checkProviderAndType(t.Provider, e.Type)
		if err != nil {
			return fail(prefixed(err, field))
		}
		if err := checkModel(t.Model); err != nil {
			return fail(prefixed(err, field))
		}
		if t.Weight < 0 || t.Weight > 1000 {
			return fail(&gateway.Error{Code: gateway.CodeInvalid, Field: field + "weight", Message: field + "weight must be from 0 to 1000"})
		}
		plan, err := planConfig(spec, t.Config, nil)
		if err != nil {
			return fail(prefixed(err, field))
		}
		shim := &gateway.Endpoint{ID: e.ID}
		if err := a.applyConfigPlan(ctx, shim, plan); err != nil {
			return fail(err)
		}
		out = append(out, gateway.Target{Provider: spec.Name, Model: t.Model, Config: shim.Config, Secrets: shim.Secrets, Weight: t.Weight})
	}
	return out, nil
}

// targetRefs are the credentials llmgate stored for targets.
func targetRefs(ts []gateway.Target) []string {
	var refs []string
	for _, t := range ts {
		refs = append(refs, ownedRefs(t.Secrets)...)
	}
	return refs
}

func prefixed(err error, prefix string) error {
	e := gateway.AsError(err)
	c := *e
	c.Message = prefix + e.Message
	if c.Field != "" {
		c.Field = prefix + c.Field
	}
	return &c
}
