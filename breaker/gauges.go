package breaker

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/llmgate/llmgate/gateway"
)

// RouteKey names route i of an endpoint in the breaker.
func RouteKey(ep *gateway.Endpoint, i int) string { return ep.ID + "#" + strconv.Itoa(i) }

// Health is each route of an endpoint with a cooldown: whether the breaker has it out.
func Health(ctx context.Context, b Breaker, ep *gateway.Endpoint) []RouteHealth {
	out := make([]RouteHealth, len(ep.Targets)+1)
	for i := range out {
		r := ep.Route(i)
		open, err := b.Open(ctx, RouteKey(ep, i))
		out[i] = RouteHealth{Route: i, Provider: r.Provider, Model: r.Model, Open: open, Unknown: err != nil}
	}
	return out
}

// RouteHealth is one route's state.
type RouteHealth struct {
	Route    int    `json:"route"`
	Provider string `json:"modelProvider"`
	Model    string `json:"modelName"`
	Open     bool   `json:"open"`    // taken out after failures, probed once per cooldown
	Unknown  bool   `json:"unknown"` // the breaker could not be read
}

// Gauges is a Prometheus collector of llmgate_target_open{endpoint_id, route}: 1 while the
// breaker has a route out. Endpoint ids, not names, label it.
type Gauges struct {
	endpoints func() []*gateway.Endpoint
	breaker   Breaker
	desc      *prometheus.Desc
}

// NewGauges reads the endpoints with a cooldown and the breaker at each scrape.
func NewGauges(endpoints func() []*gateway.Endpoint, b Breaker) *Gauges {
	return &Gauges{endpoints: endpoints, breaker: b, desc: prometheus.NewDesc("llmgate_target_open",
		"1 while the circuit breaker has an endpoint's route (0: its own provider, then its targets) out.", []string{"endpoint_id", "route"}, nil)}
}

// Describe implements prometheus.Collector.
func (g *Gauges) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

// Collect implements prometheus.Collector.
func (g *Gauges) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, ep := range g.endpoints() {
		if ep.Routing == nil || ep.Routing.CooldownSeconds == 0 {
			continue
		}
		for _, h := range Health(ctx, g.breaker, ep) {
			v := 0.0
			if h.Open {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, v, ep.ID, strconv.Itoa(h.Route))
		}
	}
}
