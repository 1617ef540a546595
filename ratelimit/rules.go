package ratelimit

import (
	"slices"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// Window is the span of every configured limit: the product only offers per-minute limits.
const Window = time.Minute

// Rules builds the rules an endpoint's RateLimits impose on a principal. Every configured
// scope becomes its own rule (the endpoint as a whole, the user, each organization the user
// belongs to) and a request must pass all of them, so the stricter limit wins without any
// comparison here.
//
// Calls rules take one unit per request. Token rules only check that some budget is left
// (Need 1, Add 0): the tokens a request used are known after the response and are added with
// gateway.Limiter.Record on the same rules.
func Rules(ep *gateway.Endpoint, p *gateway.Principal) (calls, tokens []gateway.LimitRule) {
	if ep == nil {
		return nil, nil
	}
	calls = scopeRules("calls", ep.ID, ep.RateLimits.CallsPerMinute, p, 1)
	tokens = scopeRules("tokens", ep.ID, ep.RateLimits.TokensPerMinute, p, 0)
	return calls, tokens
}

// scopeRules builds one kind of rule (calls or tokens) for every limited scope. Keys name the
// endpoint by ID, not name, so renaming an endpoint neither resets nor shares its counters.
func scopeRules(kind, endpointID string, l gateway.LimitScopes, p *gateway.Principal, add int64) []gateway.LimitRule {
	var rules []gateway.LimitRule
	rule := func(key string, limit int64) {
		rules = append(rules, gateway.LimitRule{Key: key, Limit: limit, Window: Window, Need: 1, Add: add})
	}
	if l.Endpoint > 0 {
		rule(kind+":ep:"+endpointID, l.Endpoint)
	}
	if p == nil || p.User == nil {
		return rules
	}
	if l.PerUser > 0 {
		rule(kind+":user:"+endpointID+":"+p.User.ID, l.PerUser)
	}
	if l.PerOrganization > 0 {
		for _, orgID := range uniqueSorted(p.OrgIDs) {
			rule(kind+":org:"+endpointID+":"+orgID, l.PerOrganization)
		}
	}
	return rules
}

// uniqueSorted drops repeated organization IDs: a repeated rule would count one request twice.
func uniqueSorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
