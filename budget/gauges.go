package budget

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/llmgate/llmgate/gateway"
)

// Gauges is a Prometheus collector of each budget's utilisation in its current period: the
// committed fraction of its token and cost limits, read from the ledger at scrape time
// (labels: budget id, scope, period, kind — ids, never user names).
type Gauges struct {
	budgets func() []*gateway.Budget
	ledger  Ledger
	desc    *prometheus.Desc
}

// NewGauges reads budgets (the current snapshot's) and ledger at every scrape.
func NewGauges(budgets func() []*gateway.Budget, ledger Ledger) *Gauges {
	return &Gauges{budgets: budgets, ledger: ledger, desc: prometheus.NewDesc("llmgate_budget_utilization_ratio",
		"Committed usage of a budget's limit in its current period (1 = the limit).", []string{"budget", "scope", "period", "kind"}, nil)}
}

// Describe implements prometheus.Collector.
func (g *Gauges) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

// Collect implements prometheus.Collector.
func (g *Gauges) Collect(ch chan<- prometheus.Metric) {
	budgets := g.budgets()
	if len(budgets) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for i, b := range Buckets(budgets, time.Now()) {
		committed, _, err := g.ledger.Used(ctx, b.Key)
		if err != nil {
			return
		}
		for _, lim := range []struct {
			kind        string
			used, limit int64
		}{{"tokens", committed.Tokens, b.LimitTokens}, {"cost", committed.CostMicros, b.LimitCostMicros}} {
			if lim.limit > 0 {
				ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(lim.used)/float64(lim.limit),
					budgets[i].ID, budgets[i].Scope, budgets[i].Period, lim.kind)
			}
		}
	}
}
