package pipeline

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// Admission bounds what callers can make the gateway hold at once, so that one caller's burst
// of large requests cannot take the process's memory or slow everyone else down:
//
//   - each user may have at most MaxConcurrentPerUser queries in flight on this replica; one
//     more is a 429 with Retry-After, before its body is read;
//   - the bodies of all queries being served may take at most MaxInflightRequestBytes between
//     them (a body's decoded and re-encoded copies live as long as the query). A body larger
//     than smallBody takes its share before it is read (its Content-Length, or the body limit
//     when the length is not declared) and holds it until the query ends; one that cannot get
//     its share within RequestBudgetWait is a 503. Smaller bodies never wait, so small queries stay
//     fast while large ones queue.

// Defaults for Options.
const (
	DefaultMaxConcurrentPerUser    = 64
	DefaultMaxInflightRequestBytes = 64 << 20
	DefaultRequestBudgetWait       = 10 * time.Second
)

// smallBody is the size up to which a request body needs no share of the budget.
const smallBody = 64 << 10

// admission counts each user's queries in flight.
type admission struct {
	perUser int
	mu      sync.Mutex
	active  map[string]int
}

func newAdmission(perUser int) *admission {
	return &admission{perUser: perUser, active: map[string]int{}}
}

// enter counts a query of user in; false when the user is at the cap.
func (a *admission) enter(user string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.active[user] >= a.perUser {
		return false
	}
	a.active[user]++
	return true
}

func (a *admission) leave(user string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.active[user] <= 1 {
		delete(a.active, user)
		return
	}
	a.active[user]--
}

// admit counts the caller's query against the per-user cap; leave undoes it.
func (x *exchange) admit() *gateway.Error {
	user := x.principal.User
	if !x.p.admission.enter(user.ID) {
		return &gateway.Error{Code: gateway.CodeRateLimited, RetryAfter: time.Second,
			Message: fmt.Sprintf("Too many concurrent requests: at most %d at a time per user", x.p.opts.MaxConcurrentPerUser)}
	}
	x.admitted = user
	return nil
}

// reserveBody takes the body's share of the request budget (see above).
func (x *exchange) reserveBody() *gateway.Error {
	need := x.q.Body.Size()
	if need < 0 {
		need = x.p.opts.MaxBodyBytes // not declared: the worst case
	}
	if need <= smallBody || need > x.p.opts.MaxBodyBytes {
		return nil // small, or refused with 413 without being read
	}
	ctx, cancel := context.WithTimeout(x.ctx, x.p.opts.RequestBudgetWait)
	defer cancel()
	if err := x.p.bodies.Acquire(ctx, need); err != nil {
		if x.ctx.Err() != nil {
			return &gateway.Error{Code: codeClientGone, Message: "client closed the request", Err: err}
		}
		return &gateway.Error{Code: gateway.CodeUnavailable, RetryAfter: time.Second, Err: err,
			Message: "the gateway is busy reading other large requests; retry shortly"}
	}
	x.bodyShare = need
	return nil
}

// release gives back everything the query held.
func (x *exchange) release() {
	x.auditArrived()
	if x.admitted != nil {
		x.p.admission.leave(x.admitted.ID)
	}
	if x.bodyShare > 0 {
		x.p.bodies.Release(x.bodyShare)
	}
}
