// Package mlflowimport creates llmgate endpoints from an MLflow AI Gateway YAML config
// (docs/contract/mlflow-deployments.md §5), so a team moving off `mlflow gateway start` or Domino's
// gateway keeps its endpoint names, types, models, credentials and rate limits.
//
// The whole file is validated before anything is created: a config either imports
// completely or not at all. Imported endpoints start closed (isEveryoneAllowed false); MLflow
// has no notion of who may call, so an admin grants access afterwards.
package mlflowimport

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
)

// file is the top level of an MLflow gateway config. `routes` means endpoints in 2.x files
// without `endpoints:`, and traffic-split routes in 3.x files that have both: each becomes an
// endpoint with weighted targets (routeInput).
type file struct {
	Endpoints []entry   `yaml:"endpoints"`
	Routes    yaml.Node `yaml:"routes"`
}

// entry is one endpoint (2.x route) of the config.
type entry struct {
	Name         string `yaml:"name"`
	EndpointType string `yaml:"endpoint_type"`
	RouteType    string `yaml:"route_type"`
	Model        struct {
		Provider string         `yaml:"provider"`
		Name     string         `yaml:"name"`
		Config   map[string]any `yaml:"config"`
	} `yaml:"model"`
	Limit *struct {
		Calls         *int64 `yaml:"calls"`
		RenewalPeriod string `yaml:"renewal_period"`
	} `yaml:"limit"`
}

// Import validates the YAML config and creates one endpoint per entry, returning the created
// names in file order. env looks up `$NAME` credential references (os.LookupEnv in the CLI).
// Warnings (deprecated spellings, skipped traffic routes) go to a.Log.
// The endpoints are admin-only (MLflow's config has no notion of users); ImportGranting opens
// them to others.
func Import(ctx context.Context, a *app.App, act app.Actor, yamlBytes []byte, env func(string) (string, bool)) (created []string, err error) {
	return ImportGranting(ctx, a, act, yamlBytes, env, gateway.Permissions{})
}

// ImportGranting is Import with every created endpoint given perms (who besides admins may
// use it).
func ImportGranting(ctx context.Context, a *app.App, act app.Actor, yamlBytes []byte, env func(string) (string, bool), perms gateway.Permissions) (created []string, err error) {
	inputs, err := plan(ctx, a, yamlBytes, env)
	if err != nil {
		return nil, err
	}
	for _, in := range inputs {
		in.Permissions = perms
		if _, err := a.CreateEndpoint(ctx, act, in); err != nil {
			rollback(ctx, a, act, created)
			return nil, fmt.Errorf("creating endpoint %q (nothing was imported): %w", in.Name, err)
		}
		created = append(created, in.Name)
	}
	return created, nil
}

// trafficRoute is an MLflow 3.x traffic route: an endpoint name splitting its traffic over
// other endpoints of the file.
type trafficRoute struct {
	Name            string `yaml:"name"`
	TaskType        string `yaml:"task_type"`
	RoutingStrategy string `yaml:"routing_strategy"`
	Destinations    []struct {
		Name              string `yaml:"name"`
		TrafficPercentage int    `yaml:"traffic_percentage"`
	} `yaml:"destinations"`
}

// plan parses and validates the whole file into endpoint inputs; nothing is created.
func plan(ctx context.Context, a *app.App, yamlBytes []byte, env func(string) (string, bool)) ([]app.EndpointInput, error) {
	entries, routes, err := parse(a, yamlBytes)
	if err != nil {
		return nil, err
	}
	inputs := make([]app.EndpointInput, 0, len(entries))
	seen := map[string]bool{}
	for i, en := range entries {
		in, err := toInput(a, en, env)
		if err != nil {
			return nil, gateway.Errorf(gateway.CodeInvalid, "endpoint %d (%q): %s", i+1, en.Name, gateway.ErrorMessage(err))
		}
		if seen[in.Name] {
			return nil, gateway.Errorf(gateway.CodeInvalid, "endpoint name %q appears more than once", in.Name)
		}
		seen[in.Name] = true
		if err := a.ValidateEndpoint(ctx, in); err != nil {
			return nil, gateway.Errorf(gateway.CodeInvalid, "endpoint %q: %s", in.Name, gateway.ErrorMessage(err))
		}
		inputs = append(inputs, in)
	}
	for i, r := range routes {
		in, err := routeInput(r, inputs)
		if err != nil {
			return nil, gateway.Errorf(gateway.CodeInvalid, "route %d (%q): %s", i+1, r.Name, gateway.ErrorMessage(err))
		}
		if seen[in.Name] {
			return nil, gateway.Errorf(gateway.CodeInvalid, "route name %q is also an endpoint's name", in.Name)
		}
		seen[in.Name] = true
		inputs = append(inputs, in)
	}
	return inputs, nil
}

// routeInput maps a traffic route onto an endpoint with targets: its first destination's
// provider, model and config are the endpoint's own, the others its targets, the traffic
// percentages the weights of a weighted split.
func routeInput(r trafficRoute, endpoints []app.EndpointInput) (app.EndpointInput, error) {
	if r.Name == "" || len(r.Destinations) == 0 {
		return app.EndpointInput{}, gateway.Errorf(gateway.CodeInvalid, "a route needs a name and destinations")
	}
	if r.RoutingStrategy != "" && r.RoutingStrategy != "TRAFFIC_SPLIT" {
		return app.EndpointInput{}, gateway.Errorf(gateway.CodeInvalid, "routing_strategy %q is not supported (TRAFFIC_SPLIT is)", r.RoutingStrategy)
	}
	byName := map[string]app.EndpointInput{}
	for _, e := range endpoints {
		byName[e.Name] = e
	}
	total := 0
	var in app.EndpointInput
	for i, d := range r.Destinations {
		dest, ok := byName[d.Name]
		switch {
		case !ok:
			return in, gateway.Errorf(gateway.CodeInvalid, "destination %q is not an endpoint of the file", d.Name)
		case d.TrafficPercentage < 0 || d.TrafficPercentage > 100:
			return in, gateway.Errorf(gateway.CodeInvalid, "destination %q: traffic_percentage must be from 0 to 100", d.Name)
		case r.TaskType != "" && string(dest.Type) != r.TaskType:
			return in, gateway.Errorf(gateway.CodeInvalid, "destination %q serves %s, the route %s", d.Name, dest.Type, r.TaskType)
		}
		total += d.TrafficPercentage
		if i == 0 {
			in = app.EndpointInput{Name: r.Name, Type: dest.Type, Provider: dest.Provider, Model: dest.Model, Config: dest.Config,
				Routing: &gateway.Routing{Strategy: "weighted", PrimaryWeight: d.TrafficPercentage}}
			continue
		}
		in.Targets = append(in.Targets, app.TargetInput{Provider: dest.Provider, Model: dest.Model, Config: dest.Config, Weight: d.TrafficPercentage})
	}
	if total != 100 {
		return in, gateway.Errorf(gateway.CodeInvalid, "traffic percentages add up to %d, not 100", total)
	}
	return in, nil
}

// rollback deletes what a failed import created, keeping the all-or-nothing promise when a
// store or secret-store error strikes after validation passed.
func rollback(ctx context.Context, a *app.App, act app.Actor, created []string) {
	for _, name := range created {
		if err := a.DeleteEndpoint(ctx, act, name); err != nil {
			a.Log.Error("could not roll back an imported endpoint", "endpoint", name, "err", err)
		}
	}
}

func parse(a *app.App, yamlBytes []byte) ([]entry, []trafficRoute, error) {
	var f file
	if err := yaml.Unmarshal(yamlBytes, &f); err != nil {
		return nil, nil, gateway.Wrap(gateway.CodeInvalid, err, "the file is not a valid MLflow gateway YAML config")
	}
	hasRoutes := f.Routes.Kind != 0 && f.Routes.Tag != "!!null"
	switch {
	case len(f.Endpoints) > 0 && hasRoutes:
		var routes []trafficRoute
		if err := f.Routes.Decode(&routes); err != nil {
			return nil, nil, gateway.Wrap(gateway.CodeInvalid, err, "routes: must be a list of traffic routes")
		}
		return f.Endpoints, routes, nil
	case len(f.Endpoints) > 0:
		return f.Endpoints, nil, nil
	case hasRoutes:
		a.Log.Warn("top-level 'routes:' is MLflow 2.x's deprecated spelling of 'endpoints:'; importing them as endpoints")
		var routes []entry
		if err := f.Routes.Decode(&routes); err != nil {
			return nil, nil, gateway.Wrap(gateway.CodeInvalid, err, "routes: must be a list of endpoints")
		}
		if len(routes) > 0 {
			return routes, nil, nil
		}
	}
	return nil, nil, gateway.Errorf(gateway.CodeInvalid, "the config defines no endpoints")
}

func toInput(a *app.App, en entry, env func(string) (string, bool)) (app.EndpointInput, error) {
	in := app.EndpointInput{Name: en.Name, Provider: en.Model.Provider, Model: en.Model.Name,
		Permissions: gateway.Permissions{IsEveryoneAllowed: false, UserIDs: []string{}}}
	typ, err := endpointType(a, en)
	if err != nil {
		return in, err
	}
	in.Type = typ
	if strings.TrimSpace(en.Model.Name) == "" {
		return in, gateway.Errorf(gateway.CodeInvalid, "model.name is required")
	}
	if en.Model.Config == nil {
		return in, gateway.Errorf(gateway.CodeInvalid, "model.config is required")
	}
	var nested []string
	if spec := a.Providers.Lookup(en.Model.Provider); spec != nil {
		nested = spec.NestedConfig
	}
	if in.Config, err = flattenConfig(en.Model.Config, nested, env); err != nil {
		return in, err
	}
	if en.Limit != nil {
		perMinute, err := callsPerMinute(en.Limit.Calls, en.Limit.RenewalPeriod)
		if err != nil {
			return in, err
		}
		in.RateLimits.CallsPerMinute.Endpoint = perMinute
	}
	return in, nil
}

func endpointType(a *app.App, en entry) (gateway.EndpointType, error) {
	t := en.EndpointType
	if en.RouteType != "" {
		if t != "" && t != en.RouteType {
			return "", gateway.Errorf(gateway.CodeInvalid, "endpoint_type and route_type disagree")
		}
		a.Log.Warn("route_type is MLflow 2.x's deprecated spelling of endpoint_type", "endpoint", en.Name)
		t = en.RouteType
	}
	if !gateway.ValidEndpointType(gateway.EndpointType(t)) {
		return "", gateway.Errorf(gateway.CodeInvalid, "the route_type %q is not supported", t)
	}
	return gateway.EndpointType(t), nil
}

// flattenConfig turns model.config into modelConfig values. The objects the provider names as
// nested (provider.Spec.NestedConfig, e.g. Bedrock's aws_config) are flattened into top-level
// keys, as Domino's flat string map carries them.
func flattenConfig(config map[string]any, nestedKeys []string, env func(string) (string, bool)) (map[string]app.ConfigValue, error) {
	out := map[string]app.ConfigValue{}
	for key, raw := range config {
		if nested, ok := raw.(map[string]any); ok && slices.Contains(nestedKeys, key) {
			for k, v := range nested {
				if _, dup := config[k]; dup {
					return nil, gateway.Errorf(gateway.CodeInvalid, "model.config.%s is given both inside and outside %s", k, key)
				}
				s, err := configScalar(key+"."+k, k, v)
				if err != nil {
					return nil, err
				}
				out[k] = app.ConfigValue{Value: s}
			}
			continue
		}
		s, err := configScalar(key, key, raw)
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(key, "_api_key") {
			if s, err = resolveEnv(s, env); err != nil {
				return nil, err
			}
		}
		out[key] = app.ConfigValue{Value: s}
	}
	return out, nil
}

// configScalar is scalar for a config value, except that a credential must be a string: a
// YAML number under a credential key is a mistake, not a key.
func configScalar(path, key string, v any) (string, error) {
	if _, isString := v.(string); !isString && gateway.IsSecretKey(key) {
		return "", gateway.Errorf(gateway.CodeInvalid, "model.config.%s must be a string", path)
	}
	return scalar(path, v)
}

func scalar(key string, v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int:
		return strconv.Itoa(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return "", gateway.Errorf(gateway.CodeInvalid, "model.config.%s must be a string", key)
}

// resolveEnv applies MLflow's rule for api keys: a whole value "$NAME" names an environment
// variable, which must be set and non-empty. The variable's value never enters an error.
func resolveEnv(v string, env func(string) (string, bool)) (string, error) {
	name, ok := strings.CutPrefix(v, "$")
	if !ok {
		return v, nil
	}
	val, set := env(name)
	if !set || val == "" {
		return "", gateway.Errorf(gateway.CodeInvalid, "Environment variable '%s' is not set", name)
	}
	return val, nil
}

var periodPattern = regexp.MustCompile(`^(\d+)?\s*(second|minute|hour|day|month|year)s?$`)

var periodSeconds = map[string]int64{"second": 1, "minute": 60, "hour": 3600, "day": 86400}

// callsPerMinute converts MLflow's "<calls>/<renewal_period>" to llmgate's per-minute limit.
// Only exact conversions are accepted: 120/hour is 2 per minute, 100/hour is refused rather
// than silently loosened or tightened. Months and years have no fixed length.
func callsPerMinute(calls *int64, period string) (int64, error) {
	if calls == nil || *calls <= 0 {
		return 0, gateway.Errorf(gateway.CodeInvalid, "limit.calls must be a positive integer")
	}
	m := periodPattern.FindStringSubmatch(strings.ToLower(strings.TrimSpace(period)))
	if m == nil {
		return 0, gateway.Errorf(gateway.CodeInvalid, "limit.renewal_period %q is not second, minute, hour, day, month or year", period)
	}
	unit, ok := periodSeconds[m[2]]
	if !ok {
		return 0, gateway.Errorf(gateway.CodeInvalid, "limit.renewal_period %q cannot be converted to a per-minute limit", period)
	}
	mult := int64(1)
	if m[1] != "" {
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || n <= 0 || n > 1<<20 {
			return 0, gateway.Errorf(gateway.CodeInvalid, "limit.renewal_period %q has a bad multiplier", period)
		}
		mult = n
	}
	window := unit * mult // seconds
	if *calls > math.MaxInt64/60 || (*calls*60)%window != 0 {
		return 0, gateway.Errorf(gateway.CodeInvalid,
			"limit %d/%s is not a whole number of calls per minute; llmgate limits are per minute", *calls, period)
	}
	return *calls * 60 / window, nil
}
