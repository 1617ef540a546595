// Package pricing knows what a call costs: a price table per provider and model shipped with
// the binary (prices.json, its date and sources stated in it), overridden per endpoint by the
// endpoint's pricing field. A call whose model has no price, or whose token counts are
// unknown, has an unknown cost — never zero. No I/O: the table is embedded.
package pricing

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
)

//go:embed prices.json
var pricesJSON []byte

type entry struct {
	Providers   []string `json:"providers"`
	Model       string   `json:"model"`
	Input       *float64 `json:"input"`
	CachedInput *float64 `json:"cachedInput"`
	Output      *float64 `json:"output"`
	PerRequest  *float64 `json:"perRequest"`
	Source      string   `json:"source"`
}

// Table is the shipped price table.
type Table struct {
	Currency string            `json:"currency"`
	AsOf     string            `json:"asOf"`
	Sources  map[string]string `json:"sources"`
	Prices   []entry           `json:"prices"`
	// byProvider holds each provider's entries, longest model name first (prefix matching).
	byProvider map[string][]entry
}

var shipped = mustLoad(pricesJSON)

// Default is the table shipped with the binary.
func Default() *Table { return shipped }

func mustLoad(raw []byte) *Table {
	var t Table
	if err := json.Unmarshal(raw, &t); err != nil {
		panic(fmt.Sprintf("pricing: the embedded prices.json is invalid: %v", err))
	}
	t.byProvider = map[string][]entry{}
	for _, e := range t.Prices {
		if _, ok := t.Sources[e.Source]; !ok || t.Currency != gateway.Currency {
			panic(fmt.Sprintf("pricing: %s has no stated source or the table is not in %s", e.Model, gateway.Currency))
		}
		for _, p := range e.Providers {
			t.byProvider[p] = append(t.byProvider[p], e)
		}
	}
	for _, list := range t.byProvider {
		sort.SliceStable(list, func(i, j int) bool { return len(list[i].Model) > len(list[j].Model) })
	}
	return &t
}

// Price is the price of ep's calls: its own override, else the table's entry for its provider
// and model (the longest model name that ep's model equals or starts with, followed by a
// version suffix). Provider names match without regard to case, aliases listed in the table
// (e.g. azure, together, ai21). ok is false when neither exists.
func (t *Table) Price(ep *gateway.Endpoint) (gateway.Pricing, bool) {
	if ep.Pricing != nil {
		return *ep.Pricing, true
	}
	model := strings.ToLower(ep.Model)
	for _, e := range t.byProvider[strings.ToLower(strings.TrimSpace(ep.Provider))] {
		if model == e.Model || strings.HasPrefix(model, e.Model) && strings.ContainsRune("-@:.", rune(model[len(e.Model)])) {
			return gateway.Pricing{Currency: t.Currency, InputPerMillion: e.Input, OutputPerMillion: e.Output,
				CachedInputPerMillion: e.CachedInput, PerRequest: e.PerRequest}, true
		}
	}
	return gateway.Pricing{}, false
}

// Cost is what a call of ep with usage u cost in gateway.Currency, or nil when unknown: no
// price for the model, token counts the provider did not report, or a count the price does
// not cover (e.g. output tokens without an output price).
func (t *Table) Cost(ep *gateway.Endpoint, u llm.Usage) *float64 {
	p, ok := t.Price(ep)
	if !ok || u.PromptTokens == nil {
		return nil
	}
	cost := 0.0
	if p.PerRequest != nil {
		cost += *p.PerRequest
	}
	for _, part := range []struct {
		tokens *int64
		price  *float64
	}{{u.PromptTokens, p.InputPerMillion}, {u.CompletionTokens, p.OutputPerMillion}} {
		if part.tokens == nil || *part.tokens == 0 {
			continue
		}
		if part.price == nil {
			return nil
		}
		cost += float64(*part.tokens) * *part.price / 1e6
	}
	return &cost
}
