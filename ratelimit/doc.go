// Package ratelimit turns an endpoint's configured limits into gateway.LimitRule values and
// wraps any gateway.Limiter in a failure policy, so the request path never waits on, or is
// silently opened by, a limiter backend that is down.
//
// The limiters themselves live in ratelimit/memory (one process) and ratelimit/redis (shared
// by replicas); ratelimit/limittest is the conformance suite both pass. The helpers here
// (Validate, RoundRetryAfter, SliceOf) hold the semantics both implementations must share.
package ratelimit
