// Package budget enforces budgets (gateway.Budget) exactly across replicas: before a query
// calls its provider the pipeline reserves an estimate of its tokens and cost in every bucket
// it counts against (one per budget and period), refused when any bucket would pass its limit;
// after the call it settles the reservation with the real usage — streams cut short
// included. Committed usage is kept apart from reservations, so a settle that carries a bucket
// across 50, 80 or 100 % of a limit is seen by exactly one replica, which raises the alert.
//
// The Ledger is shared state: Redis when replicas share one (budget/redis), an in-process twin
// otherwise (budget/memory), both held to one conformance suite (budget/ledgertest).
package budget

import (
	"context"
	"strconv"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// Amount is tokens and cost in micro-units of gateway.Currency (integers add exactly).
type Amount struct {
	Tokens     int64
	CostMicros int64
}

// Bucket is one budget's current period: its key and limits (0: no limit of that kind).
type Bucket struct {
	Key             string
	LimitTokens     int64
	LimitCostMicros int64
	// Expires is when the period ends; the ledger may forget the bucket after it.
	Expires time.Time
}

// Settled is a bucket's committed usage before and after a settle.
type Settled struct{ Before, After Amount }

// Ledger keeps every bucket's committed and reserved amounts.
type Ledger interface {
	// Reserve adds est to the reserved amount of every bucket if, for each, committed plus
	// reserved plus est stays within its limits; otherwise it changes nothing and returns the
	// index of the first bucket that would pass (-1 when admitted).
	Reserve(ctx context.Context, buckets []Bucket, est Amount) (refused int, err error)
	// Settle removes est from the reserved amounts and adds actual to the committed ones,
	// returning each bucket's committed amount before and after.
	Settle(ctx context.Context, buckets []Bucket, est, actual Amount) ([]Settled, error)
	// Used is a bucket's committed and reserved amounts.
	Used(ctx context.Context, key string) (committed, reserved Amount, err error)
	// MarkAlert records that threshold was alerted for the bucket and reports whether this
	// call was the first to do so, so each alert is raised once across replicas.
	MarkAlert(ctx context.Context, b Bucket, threshold int) (first bool, err error)
}

// Buckets are the buckets of budgets at time now.
func Buckets(budgets []*gateway.Budget, now time.Time) []Bucket {
	out := make([]Bucket, len(budgets))
	for i, b := range budgets {
		start := gateway.PeriodStart(b.Period, now)
		out[i] = Bucket{Key: b.ID + ":" + strconv.FormatInt(start.Unix(), 10), Expires: gateway.PeriodEnd(b.Period, now)}
		if b.LimitTokens != nil {
			out[i].LimitTokens = *b.LimitTokens
		}
		if b.LimitCost != nil {
			out[i].LimitCostMicros = Micros(*b.LimitCost)
		}
	}
	return out
}

// Micros converts an amount of currency to micro-units.
func Micros(v float64) int64 { return int64(v*1e6 + 0.5) }

// Thresholds are the alert levels, in percent of a limit.
var Thresholds = []int{50, 80, 100}

// Crossed returns the thresholds s carried b past: a settle that moves committed usage of
// either limit from below a threshold to at or above it.
func Crossed(b Bucket, s Settled) []int {
	var out []int
	for _, th := range Thresholds {
		for _, lim := range []struct{ before, after, limit int64 }{
			{s.Before.Tokens, s.After.Tokens, b.LimitTokens}, {s.Before.CostMicros, s.After.CostMicros, b.LimitCostMicros}} {
			if lim.limit > 0 && lim.before*100 < int64(th)*lim.limit && lim.after*100 >= int64(th)*lim.limit {
				out = append(out, th)
				break
			}
		}
	}
	return out
}

// Fits reports whether committed+reserved+est stays within b's limits.
func Fits(b Bucket, committed, reserved, est Amount) bool {
	if b.LimitTokens > 0 && committed.Tokens+reserved.Tokens+est.Tokens > b.LimitTokens {
		return false
	}
	if b.LimitCostMicros > 0 && committed.CostMicros+reserved.CostMicros+est.CostMicros > b.LimitCostMicros {
		return false
	}
	return true
}
