package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/llmgate/llmgate/budget"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/pricing"
)

// Budgets (package budget): after the rate limits, a query reserves an estimate of its tokens
// and cost in every budget it counts against — its user's, its organizations', its
// endpoint's and the global ones — and is refused with 429 (outcome over_budget, Retry-After
// until the period resets) when one would run over. When the query is audited the reservation
// is settled with the real usage. Cost per request: nothing when no budget applies (one scan of
// the snapshot's budgets); otherwise one ledger round trip before the call and one after.

// errOverBudget marks a refusal by a budget, audited as over_budget.
var errOverBudget = errors.New("over budget")

// DefaultBudgetCompletionTokens is the completion a budget reservation assumes when the
// request sets no max_tokens. A request with max_tokens reserves exactly its maximum, so a
// budget is never passed; one without can pass it by what its answer runs over this default.
const DefaultBudgetCompletionTokens = 256

// BudgetAlert is a budget crossing 50, 80 or 100 % of a limit, raised once, by the replica
// whose settle carried it across.
type BudgetAlert struct {
	Budget      gateway.Budget
	PeriodStart time.Time
	Threshold   int
	Used        budget.Amount
}

// reserveBudgets reserves the query's estimate, or refuses it.
func (x *exchange) reserveBudgets() *gateway.Error {
	budgets := x.p.app.Snapshot().BudgetsFor(x.principal, x.ep)
	if len(budgets) == 0 {
		return nil
	}
	now := time.Now()
	buckets := budget.Buckets(budgets, now)
	est := x.budgetEstimate()
	ctx, cancel := context.WithTimeout(x.ctx, 2*time.Second)
	defer cancel()
	i, err := x.p.app.Budgets.Reserve(ctx, buckets, est)
	if err != nil {
		return gateway.Wrap(gateway.CodeUnavailable, err, "budgets could not be checked; the request was not served")
	}
	if i >= 0 {
		b := budgets[i]
		x.p.alertOnce(ctx, b, buckets[i], 100, now) // exhausted: it cannot take this request
		reset := gateway.PeriodEnd(b.Period, now)
		return &gateway.Error{Code: gateway.CodeRateLimited, RetryAfter: time.Until(reset), Err: errOverBudget,
			Message: fmt.Sprintf("over budget: this request would exceed the %s budget %s (%s per %s); it resets at %s",
				budgetScope(b), b.ID, budgetLimits(b), b.Period, gateway.FormatTime(reset))}
	}
	x.budgets, x.buckets, x.reservation = budgets, buckets, est
	return nil
}

// budgetEstimate is the prompt (about three bytes a token, on the high side) plus the
// completion the request allows, priced like the call.
func (x *exchange) budgetEstimate() budget.Amount {
	prompt := int64(len(promptText(x.req))/3 + 1)
	completion := int64(0)
	if p := x.req.Params(); p != nil {
		completion = DefaultBudgetCompletionTokens
		if p.MaxTokens != nil {
			completion = int64(*p.MaxTokens)
		}
	}
	est := budget.Amount{Tokens: prompt + completion}
	u := llm.NewUsage(prompt, completion)
	if c := pricing.Default().Cost(x.ep, u); c != nil {
		est.CostMicros = budget.Micros(*c)
	}
	return est
}

// settleBudgets replaces the reservation with what the query used and raises the alerts it
// crossed. It runs once, when the query is audited.
func (x *exchange) settleBudgets(cost *float64) {
	if x.buckets == nil {
		return
	}
	buckets := x.buckets
	x.buckets = nil
	actual := budget.Amount{}
	if x.calledUpstream {
		actual.Tokens = tokenCount(x.usage)
		if cost != nil {
			actual.CostMicros = budget.Micros(*cost)
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(x.ctx), 2*time.Second)
	defer cancel()
	settled, err := x.p.app.Budgets.Settle(ctx, buckets, x.reservation, actual)
	if err != nil {
		x.p.log.Error("settling budgets", "err", err, "endpoint", x.ep.Name)
		return
	}
	for i, s := range settled {
		for _, th := range budget.Crossed(buckets[i], s) {
			x.p.alertOnce(ctx, x.budgets[i], buckets[i], th, time.Now())
		}
	}
}

// alertOnce raises the threshold's alert for the bucket unless some replica already did.
func (p *Pipeline) alertOnce(ctx context.Context, b *gateway.Budget, bucket budget.Bucket, threshold int, now time.Time) {
	first, err := p.app.Budgets.MarkAlert(ctx, bucket, threshold)
	if err != nil {
		p.log.Error("recording a budget alert", "err", err, "budgetId", b.ID)
		return
	}
	if !first {
		return
	}
	committed, _, _ := p.app.Budgets.Used(ctx, bucket.Key)
	p.raiseBudgetAlert(BudgetAlert{Budget: *b, Threshold: threshold, Used: committed, PeriodStart: gateway.PeriodStart(b.Period, now)})
}

// raiseBudgetAlert records the alert in the audit trail and hands it to the webhook sender.
func (p *Pipeline) raiseBudgetAlert(a BudgetAlert) {
	ev := &gateway.AuditEvent{ID: gateway.NewID(), Kind: gateway.KindBudgetAlert, Timestamp: gateway.Now(),
		Metadata: BudgetAlertFields(a)}
	if err := p.app.Audit.Write(ev); err != nil {
		p.log.Error("writing budget alert", "err", err, "budgetId", a.Budget.ID)
	}
	if p.opts.OnBudgetAlert != nil {
		p.opts.OnBudgetAlert(a)
	}
}

// BudgetAlertFields are an alert's audit metadata and webhook body fields.
func BudgetAlertFields(a BudgetAlert) map[string]string {
	b := a.Budget
	md := map[string]string{"budgetId": b.ID, "scope": b.Scope, "scopeId": b.ScopeID, "period": b.Period,
		"periodStart": gateway.FormatTime(a.PeriodStart), "threshold": strconv.Itoa(a.Threshold),
		"usedTokens": strconv.FormatInt(a.Used.Tokens, 10), "usedCost": strconv.FormatFloat(float64(a.Used.CostMicros)/1e6, 'f', -1, 64),
		"currency": gateway.Currency}
	if b.LimitTokens != nil {
		md["limitTokens"] = strconv.FormatInt(*b.LimitTokens, 10)
	}
	if b.LimitCost != nil {
		md["limitCost"] = strconv.FormatFloat(*b.LimitCost, 'f', -1, 64)
	}
	return md
}

func budgetScope(b *gateway.Budget) string {
	if b.Scope == "global" {
		return "global"
	}
	return b.Scope + " " + b.ScopeID
}

func budgetLimits(b *gateway.Budget) string {
	var parts []string
	if b.LimitTokens != nil {
		parts = append(parts, strconv.FormatInt(*b.LimitTokens, 10)+" tokens")
	}
	if b.LimitCost != nil {
		parts = append(parts, strconv.FormatFloat(*b.LimitCost, 'f', -1, 64)+" "+gateway.Currency)
	}
	return strings.Join(parts, ", ")
}
