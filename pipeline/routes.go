package pipeline

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/llmgate/llmgate/breaker"
	"github.com/llmgate/llmgate/gateway"
)

// Targets (gateway.Target, Routing.Strategy): an endpoint with further targets tries them in
// the order its strategy gives — fallback as listed, or weighted — moving on when a target
// fails with a retryable class (429, 5xx, timeout, connection) after its own retries, but never
// once the answer's first byte has reached the client. The access event names the target that
// answered (modelProvider, modelName) and the routes tried. Each target gets the endpoint's
// full timeout. Cost per query without targets: one length check.

// callRoutes tries the endpoint's routes in order, skipping those the breaker has out.
func (x *exchange) callRoutes() *gateway.Error {
	base := x.ep
	order := base.RouteOrder(rand.Float64())
	if base.Routing != nil && base.Routing.Strategy == "least-busy" {
		order = x.p.busy.order(base)
	}
	var err *gateway.Error
	for n, i := range order {
		x.ep = base.Route(i)
		if !x.breakerAllows(base, i) {
			x.routesTried = append(x.routesTried, x.ep.Provider+"/"+x.ep.Model+":open")
			if err == nil {
				err = &gateway.Error{Code: gateway.CodeUnavailable, RetryAfter: cooldown(base),
					Message: "every target of this endpoint is cooling down after failures; retry shortly"}
			}
			continue
		}
		spec := x.p.app.Providers.Lookup(x.ep.Provider)
		if spec == nil || spec.Translator == nil || !spec.Supports(x.ep.Type) || x.req.Stream() && !spec.CanStream(x.ep.Type) {
			err = gateway.Errorf(gateway.CodeUpstream, "target %s/%s cannot serve this request", x.ep.Provider, x.ep.Model)
			x.routesTried = append(x.routesTried, x.ep.Provider+"/"+x.ep.Model+":unusable")
			continue
		}
		x.spec = spec
		name := x.ep.Provider + "/" + x.ep.Model
		x.routesTried = append(x.routesTried, name+":answered") // as audited if this one answers
		leave := x.p.busy.enter(breaker.RouteKey(base, i))
		err = x.callRoute()
		leave()
		class := lastClass(x.attempts)
		x.breakerReport(base, i, err == nil || class == "")
		if err == nil {
			break
		}
		x.routesTried[len(x.routesTried)-1] = name + ":" + map[bool]string{true: class, false: "failed"}[class != ""]
		if x.firstByte > 0 || n == len(order)-1 || class == "" || x.ctx.Err() != nil {
			break
		}
	}
	return err
}

// lastClass is the retry class of the last attempt ("" when it was not retryable).
func lastClass(attempts []attempt) string {
	if len(attempts) == 0 {
		return ""
	}
	return attempts[len(attempts)-1].class
}

// routesText is the routes a query tried, for the access event.
func (x *exchange) routesText() string {
	return strconv.Itoa(len(x.routesTried)) + ":" + strings.Join(x.routesTried, ",")
}

// Circuit breaking (package breaker), for endpoints with routing.cooldownSeconds: a route the
// breaker has out is skipped; every call's result is reported (a caller's own error counts as
// healthy). Cost per query without a cooldown: none.

func cooldown(ep *gateway.Endpoint) time.Duration {
	if ep.Routing == nil {
		return 0
	}
	return time.Duration(ep.Routing.CooldownSeconds) * time.Second
}

func (x *exchange) breakerAllows(ep *gateway.Endpoint, i int) bool {
	cd := cooldown(ep)
	if cd == 0 || x.p.opts.Breaker == nil {
		return true
	}
	ok, err := x.p.opts.Breaker.Allow(x.ctx, breaker.RouteKey(ep, i), cd)
	return ok || err != nil // an unreachable breaker lets calls through
}

func (x *exchange) breakerReport(ep *gateway.Endpoint, i int, healthy bool) {
	if cd := cooldown(ep); cd > 0 && x.p.opts.Breaker != nil {
		if err := x.p.opts.Breaker.Report(context.WithoutCancel(x.ctx), breaker.RouteKey(ep, i), healthy, cd); err != nil {
			x.p.log.Warn("recording a target's health", "endpoint", ep.Name, "err", err)
		}
	}
}

// busy counts each route's queries in flight on this replica, for the least-busy strategy.
type busy struct {
	mu sync.Mutex
	n  map[string]int
}

func (b *busy) enter(key string) func() {
	b.mu.Lock()
	if b.n == nil {
		b.n = map[string]int{}
	}
	b.n[key]++
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		if b.n[key]--; b.n[key] <= 0 {
			delete(b.n, key)
		}
		b.mu.Unlock()
	}
}

// order is ep's routes, fewest in flight first (ties in listed order).
func (b *busy) order(ep *gateway.Endpoint) []int {
	order := ep.RouteOrder(0)
	b.mu.Lock()
	load := make([]int, len(order))
	for _, i := range order {
		load[i] = b.n[breaker.RouteKey(ep, i)]
	}
	b.mu.Unlock()
	slices.SortStableFunc(order, func(a, c int) int { return load[a] - load[c] })
	return order
}
