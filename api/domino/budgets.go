package domino

import (
	"net/http"
	"time"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/budget"
	"github.com/llmgate/llmgate/gateway"
)

// budgetEnvelope is a budget [EXT] with its current period's usage.
type budgetEnvelope struct {
	gateway.Budget
	Usage budgetUsage `json:"usage"`
}

type budgetUsage struct {
	PeriodStart    string  `json:"periodStart"`
	ResetsAt       string  `json:"resetsAt"`
	UsedTokens     int64   `json:"usedTokens"`
	UsedCost       float64 `json:"usedCost"`
	ReservedTokens int64   `json:"reservedTokens"`
	ReservedCost   float64 `json:"reservedCost"`
	Currency       string  `json:"currency"`
}

func (h *api) budgetEnvelope(r *http.Request, b *gateway.Budget) budgetEnvelope {
	now := time.Now()
	bucket := budget.Buckets([]*gateway.Budget{b}, now)[0]
	committed, reserved, err := h.app.Budgets.Used(r.Context(), bucket.Key)
	if err != nil {
		h.log.Warn("reading budget usage", "budgetId", b.ID, "err", err)
	}
	return budgetEnvelope{Budget: *b, Usage: budgetUsage{
		PeriodStart: gateway.FormatTime(gateway.PeriodStart(b.Period, now)), ResetsAt: gateway.FormatTime(bucket.Expires),
		UsedTokens: committed.Tokens, UsedCost: float64(committed.CostMicros) / 1e6,
		ReservedTokens: reserved.Tokens, ReservedCost: float64(reserved.CostMicros) / 1e6, Currency: gateway.Currency}}
}

func (h *api) listBudgets(w http.ResponseWriter, r *http.Request, _ *gateway.Principal) {
	out := []budgetEnvelope{}
	for _, b := range h.app.Snapshot().Budgets() {
		out = append(out, h.budgetEnvelope(r, b))
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"budgets": out})
}

func (h *api) getBudget(w http.ResponseWriter, r *http.Request, _ *gateway.Principal) {
	b := h.app.Snapshot().Budget(r.PathValue("id"))
	if b == nil {
		h.fail(w, r, gateway.Errorf(gateway.CodeNotFound, "budget %q not found", truncate(r.PathValue("id"), 64)))
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, h.budgetEnvelope(r, b))
}

func (h *api) createBudget(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	f, err := h.readFields(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in, err := decodeBudget(f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	b, err := h.app.CreateBudget(r.Context(), h.actor(r, p), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, h.budgetEnvelope(r, b))
}

func (h *api) updateBudget(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	f, err := h.readFields(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	patch, err := decodeBudgetPatch(f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	b, err := h.app.UpdateBudget(r.Context(), h.actor(r, p), r.PathValue("id"), patch)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, h.budgetEnvelope(r, b))
}

func (h *api) deleteBudget(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	if err := h.app.DeleteBudget(r.Context(), h.actor(r, p), r.PathValue("id")); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

var budgetFields = []string{"scope", "scopeId", "period", "limitTokens", "limitCost", "alertWebhookUrl"}

// decodeBudget reads a create body; unknown fields and wrong types are 400s naming them.
func decodeBudget(f fields) (gateway.Budget, error) {
	var b gateway.Budget
	if err := f.only(budgetFields); err != nil {
		return b, err
	}
	var err error
	for name, dst := range map[string]*string{"scope": &b.Scope, "scopeId": &b.ScopeID, "period": &b.Period, "alertWebhookUrl": &b.AlertWebhookURL} {
		if *dst, _, err = f.str(name); err != nil {
			return b, err
		}
	}
	if b.LimitTokens, err = f.int64Field("limitTokens"); err != nil {
		return b, err
	}
	b.LimitCost, err = f.float("limitCost")
	return b, err
}

// decodeBudgetPatch reads a PATCH body: scope and scopeId cannot change; null clears a limit.
func decodeBudgetPatch(f fields) (app.BudgetPatch, error) {
	var p app.BudgetPatch
	if err := f.only([]string{"period", "limitTokens", "limitCost", "alertWebhookUrl"}); err != nil {
		return p, err
	}
	for name, dst := range map[string]**string{"period": &p.Period, "alertWebhookUrl": &p.AlertWebhookURL} {
		v, ok, err := f.str(name)
		if err != nil {
			return p, err
		}
		if ok {
			*dst = &v
		}
	}
	var err error
	if p.LimitTokens, err = f.int64Field("limitTokens"); err != nil {
		return p, err
	}
	if p.LimitCost, err = f.float("limitCost"); err != nil {
		return p, err
	}
	p.ClearTokens = present(f, "limitTokens") && isNull(f["limitTokens"])
	p.ClearCost = present(f, "limitCost") && isNull(f["limitCost"])
	return p, nil
}
