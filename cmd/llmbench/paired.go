package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Streaming time to first byte added by the gateway (target 3) is a difference of about a
// tenth of a millisecond, smaller than how much a shared machine's load moves between two
// phases run one after the other. So it is also measured paired: one caller alternates
// streamed calls to the bare proxy and to the gateway, and both see the machine at the same
// moments. The verdict on target 3 is taken from these paired rows.

const (
	pairedProxy   = "proxy-paired"
	pairedGateway = "gateway-paired"
)

// pairedTTFB alternates streamed calls to proxy and gw from one caller for d and returns a
// row for each (time to first byte and latency; no CPU, both processes served at once).
func pairedTTFB(ctx context.Context, client *http.Client, proxy, gw target, d time.Duration) (result, result) {
	body, _ := json.Marshal(map[string]any{"model": gw.model, "stream": true,
		"messages": []map[string]string{{"role": "user", "content": "How far is the moon from the earth in kilometres?"}}})
	proxyBody, _ := json.Marshal(map[string]any{"model": proxy.model, "stream": true,
		"messages": []map[string]string{{"role": "user", "content": "How far is the moon from the earth in kilometres?"}}})
	p := phase{client: client, target: proxy, stream: true, concurrency: 1}
	g := phase{client: client, target: gw, stream: true, concurrency: 1}
	var ps, gs []sample
	start := time.Now()
	for deadline := start.Add(d); time.Now().Before(deadline) && ctx.Err() == nil; {
		ps = append(ps, p.call(ctx, proxyBody))
		gs = append(gs, g.call(ctx, body))
	}
	elapsed := time.Since(start)
	p.target.name, g.target.name = pairedProxy, pairedGateway
	return p.summarise([][]sample{ps}, elapsed), g.summarise([][]sample{gs}, elapsed)
}

// pairedChecks judges target 3 on the paired rows, when measured.
func pairedChecks(rows []result) []check {
	var p, g *result
	for i := range rows {
		switch rows[i].target {
		case pairedProxy:
			p = &rows[i]
		case pairedGateway:
			g = &rows[i]
		}
	}
	if p == nil || g == nil {
		return nil
	}
	var out []check
	for _, q := range []float64{0.50, 0.99} {
		added := percentile(g.ttfb, q) - percentile(p.ttfb, q)
		out = append(out, newCheck(added <= targetAddedTTFB, float64(added), ms(added),
			"gateway added streaming TTFB p%.0f at 1 caller, calls alternating with the proxy's: %s (target ≤ %s)",
			q*100, ms(added), ms(targetAddedTTFB)))
	}
	return out
}

// hasPaired reports whether rows hold the paired TTFB measurement.
func hasPaired(rows []result) bool {
	for _, r := range rows {
		if r.target == pairedGateway {
			return true
		}
	}
	return false
}

// measurePaired runs the paired phase after its warm-up when the run includes one caller.
func measurePaired(cfg *config, client *http.Client, targets []target) ([]result, error) {
	var proxy, gw *target
	for i := range targets {
		switch targets[i].name {
		case "proxy":
			proxy = &targets[i]
		case "gateway":
			gw = &targets[i]
		}
	}
	if proxy == nil || gw == nil {
		return nil, fmt.Errorf("paired TTFB needs the proxy and gateway targets")
	}
	pairedTTFB(context.Background(), client, *proxy, *gw, cfg.warmup)
	p, g := pairedTTFB(context.Background(), client, *proxy, *gw, cfg.duration)
	return []result{p, g}, nil
}
