package ratelimit

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

func TestRules(t *testing.T) {
	alice := &gateway.Principal{User: &gateway.User{ID: "u-alice"}, OrgIDs: []string{"o-ml", "o-data", "o-ml"}}
	tests := []struct {
		name       string
		limits     gateway.RateLimits
		principal  *gateway.Principal
		wantCalls  []string
		wantTokens []string
	}{
		{name: "no limits", principal: alice},
		{
			name:      "endpoint-wide calls only",
			limits:    gateway.RateLimits{CallsPerMinute: gateway.LimitScopes{Endpoint: 100}},
			principal: alice,
			wantCalls: []string{"calls:ep:ep-1=100"},
		},
		{
			name: "every scope, repeated org counted once",
			limits: gateway.RateLimits{
				CallsPerMinute:  gateway.LimitScopes{Endpoint: 100, PerUser: 10, PerOrganization: 50},
				TokensPerMinute: gateway.LimitScopes{Endpoint: 100000, PerUser: 5000, PerOrganization: 20000},
			},
			principal:  alice,
			wantCalls:  []string{"calls:ep:ep-1=100", "calls:user:ep-1:u-alice=10", "calls:org:ep-1:o-data=50", "calls:org:ep-1:o-ml=50"},
			wantTokens: []string{"tokens:ep:ep-1=100000", "tokens:user:ep-1:u-alice=5000", "tokens:org:ep-1:o-data=20000", "tokens:org:ep-1:o-ml=20000"},
		},
		{
			name:       "user without organizations",
			limits:     gateway.RateLimits{TokensPerMinute: gateway.LimitScopes{PerUser: 5000, PerOrganization: 20000}},
			principal:  &gateway.Principal{User: &gateway.User{ID: "u-bob"}},
			wantTokens: []string{"tokens:user:ep-1:u-bob=5000"},
		},
		{
			name:      "no principal: only the endpoint-wide limit applies",
			limits:    gateway.RateLimits{CallsPerMinute: gateway.LimitScopes{Endpoint: 3, PerUser: 1}},
			wantCalls: []string{"calls:ep:ep-1=3"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ep := &gateway.Endpoint{ID: "ep-1", Name: "chat", RateLimits: tc.limits}
			calls, tokens := Rules(ep, tc.principal)
			if got := describe(t, calls, 1); !slices.Equal(got, tc.wantCalls) {
				t.Errorf("calls = %v, want %v", got, tc.wantCalls)
			}
			if got := describe(t, tokens, 0); !slices.Equal(got, tc.wantTokens) {
				t.Errorf("tokens = %v, want %v", got, tc.wantTokens)
			}
			if err := Validate(append(calls, tokens...)); err != nil {
				t.Errorf("built rules are invalid: %v", err)
			}
		})
	}
}

// describe renders rules as key=limit after checking the fields every rule of a kind shares.
func describe(t *testing.T, rules []gateway.LimitRule, add int64) []string {
	t.Helper()
	var out []string
	for _, r := range rules {
		if r.Window != time.Minute || r.Need != 1 || r.Add != add {
			t.Errorf("rule %q: window %v need %d add %d, want 1m, 1, %d", r.Key, r.Window, r.Need, r.Add, add)
		}
		out = append(out, r.Key+"="+strconv.FormatInt(r.Limit, 10))
	}
	return out
}

func TestRulesNilEndpoint(t *testing.T) {
	if calls, tokens := Rules(nil, nil); calls != nil || tokens != nil {
		t.Fatalf("Rules(nil) = %v, %v", calls, tokens)
	}
}

func TestRoundRetryAfter(t *testing.T) {
	tests := []struct{ in, want time.Duration }{
		{-time.Second, time.Second},
		{0, time.Second},
		{time.Millisecond, time.Second},
		{time.Second, time.Second},
		{time.Second + time.Nanosecond, 2 * time.Second},
		{59*time.Second + 400*time.Millisecond, time.Minute},
		{time.Minute, time.Minute},
	}
	for _, tc := range tests {
		if got := RoundRetryAfter(tc.in); got != tc.want {
			t.Errorf("RoundRetryAfter(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
