package gateway

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Budget limits spend (cost in Currency) and/or tokens over a calendar period (UTC) for a
// user, an organization, an endpoint or the whole gateway (package budget enforces it).
type Budget struct {
	ID              string    `json:"id"`
	Scope           string    `json:"scope"`   // BudgetScopes
	ScopeID         string    `json:"scopeId"` // user, organization or endpoint id; "" for global
	Period          string    `json:"period"`  // BudgetPeriods
	LimitTokens     *int64    `json:"limitTokens,omitempty"`
	LimitCost       *float64  `json:"limitCost,omitempty"`
	AlertWebhookURL string    `json:"alertWebhookUrl,omitempty"`
	CreatedAt       time.Time `json:"createdAt"`
	UpdatedAt       time.Time `json:"updatedAt"`
}

// Budget scopes and periods.
var (
	BudgetScopes  = []string{"user", "organization", "endpoint", "global"}
	BudgetPeriods = []string{"day", "week", "month"}
)

// Validate checks every field but ScopeID's existence (the caller's snapshot knows that).
func (b *Budget) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &Error{Code: CodeInvalid, Field: field, Message: field + ": " + fmt.Sprintf(format, args...)}
	}
	switch {
	case !slices.Contains(BudgetScopes, b.Scope):
		return bad("scope", "%q is not one of %s", b.Scope, strings.Join(BudgetScopes, ", "))
	case b.Scope == "global" && b.ScopeID != "":
		return bad("scopeId", "a global budget has no scopeId")
	case b.Scope != "global" && b.ScopeID == "":
		return bad("scopeId", "is required for a %s budget", b.Scope)
	case !slices.Contains(BudgetPeriods, b.Period):
		return bad("period", "%q is not one of %s", b.Period, strings.Join(BudgetPeriods, ", "))
	case b.LimitTokens == nil && b.LimitCost == nil:
		return bad("limitTokens", "a budget needs limitTokens, limitCost or both")
	case b.LimitTokens != nil && *b.LimitTokens <= 0:
		return bad("limitTokens", "must be a positive number of tokens")
	case b.LimitCost != nil && (math.IsNaN(*b.LimitCost) || *b.LimitCost <= 0 || *b.LimitCost > 1e12):
		return bad("limitCost", "must be a positive amount in %s", Currency)
	}
	if b.AlertWebhookURL != "" {
		u, err := url.Parse(b.AlertWebhookURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return bad("alertWebhookUrl", "must be an http(s) URL without credentials")
		}
	}
	return nil
}

// PeriodStart is the start (UTC) of the budget period holding t: the day, the ISO week
// (Monday) or the month.
func PeriodStart(period string, t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch period {
	case "week":
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case "month":
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return day
}

// PeriodEnd is when the period holding t ends (the budget resets).
func PeriodEnd(period string, t time.Time) time.Time {
	s := PeriodStart(period, t)
	switch period {
	case "week":
		return s.AddDate(0, 0, 7)
	case "month":
		return s.AddDate(0, 1, 0)
	}
	return s.AddDate(0, 0, 1)
}

// SortBudgets orders budgets oldest first (then by id), as stores return them.
func SortBudgets(b []Budget) {
	slices.SortFunc(b, compareBudgets)
}

func compareBudgets(x, y Budget) int {
	if c := x.CreatedAt.Compare(y.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(x.ID, y.ID)
}
