package pricing

import (
	"math"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
)

func ptr[T any](v T) *T { return &v }

func usage(p, c int64) llm.Usage { return llm.NewUsage(p, c) }

func TestCostFromTheShippedTableAndOverrides(t *testing.T) {
	tb := Default()
	if tb.AsOf == "" || tb.Currency != "USD" || len(tb.Prices) < 30 {
		t.Fatalf("table %s %s with %d prices", tb.AsOf, tb.Currency, len(tb.Prices))
	}
	cases := []struct {
		provider, model string
		u               llm.Usage
		want            *float64
	}{
		{"openai", "gpt-4o-mini", usage(1_000_000, 1_000_000), ptr(0.75)},
		{"openai", "gpt-4o-2024-08-06", usage(1000, 500), ptr(0.0075)}, // a dated version takes gpt-4o's price
		{"openai", "gpt-4o-mini-2024-07-18", usage(1_000_000, 0), ptr(0.15)},
		{"anthropic", "claude-3-5-haiku-20241022", usage(2_000_000, 1_000_000), ptr(5.6)},
		{"vertex_ai", "gemini-2.0-flash-001", usage(1_000_000, 1_000_000), ptr(0.5)},
		{"bedrock", "anthropic.claude-3-haiku-20240307-v1:0", usage(1_000_000, 0), ptr(0.25)},
		{"openai", "text-embedding-3-small", llm.Usage{PromptTokens: ptr(int64(1_000_000))}, ptr(0.02)},
		{"azure-openai", "gpt-4o-mini", usage(1_000_000, 1_000_000), ptr(0.75)},
		{"Azure", "gpt-4o-mini", usage(1_000_000, 0), ptr(0.15)}, // an alias, any case
		{"together", "meta-llama/Llama-3.3-70B-Instruct-Turbo", usage(1_000_000, 1_000_000), ptr(1.76)},
		{"ai21labs", "jamba-large-1.7", usage(1_000_000, 1_000_000), ptr(10.0)},
		{"ai21", "jamba-mini", usage(1_000_000, 1_000_000), ptr(0.6)},
		{"tgi", "jamba-mini", usage(10, 10), nil},                // self-hosted: no list price
		{"openai", "my-finetune", usage(10, 10), nil},            // no price: unknown, not 0
		{"openai", "gpt-4o", llm.Usage{}, nil},                   // no usage: unknown
		{"openai", "text-embedding-3-small", usage(10, 10), nil}, // output tokens without an output price
		{"openai", "gpt-4ox", usage(10, 10), nil},                // not a version of gpt-4o
	}
	for _, c := range cases {
		got := tb.Cost(&gateway.Endpoint{Provider: c.provider, Model: c.model}, c.u)
		if (got == nil) != (c.want == nil) || got != nil && math.Abs(*got-*c.want) > 1e-12 {
			t.Errorf("%s %s %v: cost %v, want %v", c.provider, c.model, c.u, deref(got), deref(c.want))
		}
	}
	ep := &gateway.Endpoint{Provider: "openai", Model: "my-finetune",
		Pricing: &gateway.Pricing{Currency: "USD", InputPerMillion: ptr(3.0), OutputPerMillion: ptr(6.0), PerRequest: ptr(0.001)}}
	if got := tb.Cost(ep, usage(1_000_000, 500_000)); got == nil || math.Abs(*got-6.001) > 1e-12 {
		t.Fatalf("override: %v", deref(got))
	}
}

func deref(p *float64) any {
	if p == nil {
		return "unknown"
	}
	return *p
}
