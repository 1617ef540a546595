package app

import (
	"context"
	"encoding/json"

	"github.com/llmgate/llmgate/gateway"
)

// BudgetPatch changes a budget: nil fields are kept; Clear… removes a limit or the webhook.
type BudgetPatch struct {
	Period          *string
	LimitTokens     *int64
	LimitCost       *float64
	AlertWebhookURL *string
	ClearTokens     bool
	ClearCost       bool
}

// CreateBudget validates b (its scope id may be given as a name) and stores it, audited.
func (a *App) CreateBudget(ctx context.Context, act Actor, b gateway.Budget) (*gateway.Budget, error) {
	if err := a.resolveBudgetScope(&b); err != nil {
		return nil, err
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	now := gateway.Now()
	b.ID, b.CreatedAt, b.UpdatedAt = gateway.NewID(), now, now
	ev := act.event(gateway.KindCreateBudget)
	describeBudget(ev, "after", &b)
	if err := a.commit(ctx, func(ctx context.Context) error { return a.Store.PutBudget(ctx, &b, ev) }, withBudget(&b)); err != nil {
		return nil, err
	}
	return &b, nil
}

// UpdateBudget applies patch to the budget id, audited with its before and after values.
func (a *App) UpdateBudget(ctx context.Context, act Actor, id string, p BudgetPatch) (*gateway.Budget, error) {
	old := a.Snapshot().Budget(id)
	if old == nil {
		return nil, gateway.Errorf(gateway.CodeNotFound, "budget %q not found", id)
	}
	b := *old
	if p.Period != nil {
		b.Period = *p.Period
	}
	if p.LimitTokens != nil {
		b.LimitTokens = p.LimitTokens
	}
	if p.LimitCost != nil {
		b.LimitCost = p.LimitCost
	}
	if p.ClearTokens {
		b.LimitTokens = nil
	}
	if p.ClearCost {
		b.LimitCost = nil
	}
	if p.AlertWebhookURL != nil {
		b.AlertWebhookURL = *p.AlertWebhookURL
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	b.UpdatedAt = gateway.Now()
	ev := act.event(gateway.KindUpdateBudget)
	describeBudget(ev, "before", old)
	describeBudget(ev, "after", &b)
	if err := a.commit(ctx, func(ctx context.Context) error { return a.Store.PutBudget(ctx, &b, ev) }, withBudget(&b)); err != nil {
		return nil, err
	}
	return &b, nil
}

// DeleteBudget removes the budget id, audited.
func (a *App) DeleteBudget(ctx context.Context, act Actor, id string) error {
	old := a.Snapshot().Budget(id)
	if old == nil {
		return gateway.Errorf(gateway.CodeNotFound, "budget %q not found", id)
	}
	ev := act.event(gateway.KindDeleteBudget)
	describeBudget(ev, "before", old)
	return a.commit(ctx, func(ctx context.Context) error { return a.Store.DeleteBudget(ctx, id, ev) }, withoutBudget(id))
}

// resolveBudgetScope accepts a user, organization or endpoint name where an id is expected
// and refuses an id that does not exist.
func (a *App) resolveBudgetScope(b *gateway.Budget) error {
	snap := a.Snapshot()
	notFound := func(what string) error {
		return &gateway.Error{Code: gateway.CodeInvalid, Field: "scopeId", Message: "scopeId: no " + what + " " + quote(b.ScopeID)}
	}
	switch b.Scope {
	case "user":
		if u := snap.User(b.ScopeID); u != nil {
			return nil
		}
		if u := snap.UserByName(b.ScopeID); u != nil {
			b.ScopeID = u.ID
			return nil
		}
		return notFound("user")
	case "organization":
		if o := snap.Org(b.ScopeID); o != nil {
			return nil
		}
		if o := snap.OrgByName(b.ScopeID); o != nil {
			b.ScopeID = o.ID
			return nil
		}
		return notFound("organization")
	case "endpoint":
		if e := snap.EndpointByID(b.ScopeID); e != nil {
			return nil
		}
		if e := snap.Endpoint(b.ScopeID); e != nil {
			b.ScopeID = e.ID
			return nil
		}
		return notFound("endpoint")
	}
	return nil
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// describeBudget records b under prefix ("before"/"after") in a change event.
func describeBudget(ev *gateway.AuditEvent, prefix string, b *gateway.Budget) {
	doc, _ := json.Marshal(b)
	ev.Metadata["budgetId"] = b.ID
	ev.Metadata[prefix] = string(doc)
}
