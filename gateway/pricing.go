package gateway

import (
	"fmt"
	"math"
)

// Pricing is what an endpoint's calls cost, per million tokens (or per request, for
// embeddings priced that way), overriding the price table shipped with the binary (package
// pricing). Nil fields are unpriced: a call whose cost needs one is of unknown cost.
type Pricing struct {
	Currency              string   `json:"currency"`
	InputPerMillion       *float64 `json:"inputPerMillionTokens,omitempty"`
	OutputPerMillion      *float64 `json:"outputPerMillionTokens,omitempty"`
	CachedInputPerMillion *float64 `json:"cachedInputPerMillionTokens,omitempty"`
	PerRequest            *float64 `json:"perRequest,omitempty"`
}

// Currency is the one currency llmgate reports cost in: the shipped prices are providers'
// list prices in US dollars, and sums across endpoints need one unit.
const Currency = "USD"

// maxPrice bounds a price so sums of millions of calls stay exact in a float64.
const maxPrice = 1e6

// Validate checks every field, naming the first bad one under prefix (e.g. "pricing.").
func (p *Pricing) Validate(prefix string) error {
	if p.Currency == "" {
		p.Currency = Currency
	}
	if p.Currency != Currency {
		return &Error{Code: CodeInvalid, Field: prefix + "currency",
			Message: fmt.Sprintf("%scurrency: %q is not supported; prices are in %s", prefix, p.Currency, Currency)}
	}
	for name, v := range map[string]*float64{"inputPerMillionTokens": p.InputPerMillion, "outputPerMillionTokens": p.OutputPerMillion,
		"cachedInputPerMillionTokens": p.CachedInputPerMillion, "perRequest": p.PerRequest} {
		if v != nil && (math.IsNaN(*v) || *v < 0 || *v > maxPrice) {
			return &Error{Code: CodeInvalid, Field: prefix + name,
				Message: fmt.Sprintf("%s%s must be a number from 0 to %g", prefix, name, float64(maxPrice))}
		}
	}
	if p.InputPerMillion == nil && p.OutputPerMillion == nil && p.PerRequest == nil {
		return &Error{Code: CodeInvalid, Field: prefix + "inputPerMillionTokens",
			Message: prefix + "pricing needs inputPerMillionTokens and outputPerMillionTokens, or perRequest"}
	}
	return nil
}
