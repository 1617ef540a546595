package gateway

import (
	"fmt"
	"slices"
	"strings"
)

// Routing is how an endpoint's upstream calls are retried: which failures (RetryClasses) are
// tried again and how many attempts a query makes in all, within the endpoint's timeout.
type Routing struct {
	// Strategy orders an endpoint's targets for each query: "fallback" (as listed, the
	// endpoint's own provider and model first), "weighted" (the first picked at random by
	// weight, the others after it by weight) or "least-busy" (fewest queries in flight on this
	// replica first). Empty means fallback.
	Strategy    string   `json:"strategy,omitempty"`
	RetryOn     []string `json:"retryOn,omitempty"`
	MaxAttempts int      `json:"maxAttempts,omitempty"`
	// PrimaryWeight is the weight of the endpoint's own provider and model (default 1).
	PrimaryWeight int `json:"primaryWeight,omitempty"`
	// CooldownSeconds, when set, takes a target that failed 3 times in a row out for that
	// long, then lets one probe through (package breaker).
	CooldownSeconds int `json:"cooldownSeconds,omitempty"`
}

// Routing strategies.
var RoutingStrategies = []string{"fallback", "weighted", "least-busy"}

// Target is another provider and model an endpoint may answer with (Endpoint.Targets), its
// credentials stored like the endpoint's own and never shown back.
type Target struct {
	Provider string               `json:"provider"`
	Model    string               `json:"model"`
	Config   map[string]string    `json:"config"`
	Secrets  map[string]SecretRef `json:"secrets"`
	Weight   int                  `json:"weight,omitempty"`
}

// MaxTargets bounds Endpoint.Targets.
const MaxTargets = 8

// RetryClasses are the failures a query may retry: the provider's 429, its 5xx, our
// deadline for one attempt, and a connection that could not be made or broke.
var RetryClasses = []string{"429", "5xx", "timeout", "connect"}

// MaxAttempts bounds Routing.MaxAttempts.
const MaxAttempts = 10

// Validate names the first bad field under prefix.
func (r *Routing) Validate(prefix string) error {
	if r.Strategy != "" && !slices.Contains(RoutingStrategies, r.Strategy) {
		return &Error{Code: CodeInvalid, Field: prefix + "strategy",
			Message: fmt.Sprintf("%sstrategy: %q is not one of %s", prefix, r.Strategy, strings.Join(RoutingStrategies, ", "))}
	}
	if r.CooldownSeconds < 0 || r.CooldownSeconds > 3600 {
		return &Error{Code: CodeInvalid, Field: prefix + "cooldownSeconds", Message: prefix + "cooldownSeconds must be from 1 to 3600"}
	}
	if r.PrimaryWeight < 0 || r.PrimaryWeight > 1000 {
		return &Error{Code: CodeInvalid, Field: prefix + "primaryWeight", Message: prefix + "primaryWeight must be from 0 to 1000"}
	}
	for _, c := range r.RetryOn {
		if !slices.Contains(RetryClasses, c) {
			return &Error{Code: CodeInvalid, Field: prefix + "retryOn",
				Message: fmt.Sprintf("%sretryOn: %q is not one of %s", prefix, c, strings.Join(RetryClasses, ", "))}
		}
	}
	if r.MaxAttempts < 0 || r.MaxAttempts > MaxAttempts {
		return &Error{Code: CodeInvalid, Field: prefix + "maxAttempts",
			Message: fmt.Sprintf("%smaxAttempts must be from 1 to %d", prefix, MaxAttempts)}
	}
	return nil
}

// Retries reports whether a failure of class may be tried again.
func (r *Routing) Retries(class string) bool {
	return r != nil && slices.Contains(r.RetryOn, class)
}

// Attempts is how many attempts a query makes at most (1 without retries).
func (r *Routing) Attempts() int {
	if r == nil || r.MaxAttempts < 1 || len(r.RetryOn) == 0 {
		return 1
	}
	return r.MaxAttempts
}

// CachePolicy turns on the response cache for an endpoint (package respcache): exact-match
// answers to non-streamed queries kept for TTLSeconds.
type CachePolicy struct {
	TTLSeconds int `json:"ttlSeconds"`
}

// MaxCacheTTL bounds CachePolicy.TTLSeconds (a day).
const MaxCacheTTL = 86400

// Validate names the first bad field under prefix.
func (c *CachePolicy) Validate(prefix string) error {
	if c.TTLSeconds < 1 || c.TTLSeconds > MaxCacheTTL {
		return &Error{Code: CodeInvalid, Field: prefix + "ttlSeconds",
			Message: fmt.Sprintf("%sttlSeconds must be from 1 to %d", prefix, MaxCacheTTL)}
	}
	return nil
}

// Route is one way to answer an endpoint's query: the endpoint itself (index 0) or one of its
// targets, as an Endpoint that differs only in provider, model and config.
func (e *Endpoint) Route(i int) *Endpoint {
	if i == 0 {
		return e
	}
	t := e.Targets[i-1]
	r := *e
	r.Provider, r.Model, r.Config, r.Secrets = t.Provider, t.Model, t.Config, t.Secrets
	return &r
}

// RouteOrder is the order a query tries the endpoint's routes, given a random number in [0,1).
func (e *Endpoint) RouteOrder(random float64) []int {
	order := make([]int, len(e.Targets)+1)
	for i := range order {
		order[i] = i
	}
	if e.Routing == nil || e.Routing.Strategy != "weighted" || len(order) == 1 {
		return order
	}
	weights := make([]int, len(order))
	total := 0
	for i := range order {
		weights[i] = e.routeWeight(i)
		total += weights[i]
	}
	if total == 0 {
		return order
	}
	pick, acc := int(random*float64(total)), 0
	first := 0
	for i, w := range weights {
		acc += w
		if pick < acc {
			first = i
			break
		}
	}
	rest := slices.DeleteFunc(slices.Clone(order), func(i int) bool { return i == first })
	slices.SortStableFunc(rest, func(a, b int) int { return weights[b] - weights[a] })
	return append([]int{first}, rest...)
}

func (e *Endpoint) routeWeight(i int) int {
	if i == 0 {
		if e.Routing.PrimaryWeight == 0 {
			return 1
		}
		return e.Routing.PrimaryWeight
	}
	return e.Targets[i-1].Weight
}
