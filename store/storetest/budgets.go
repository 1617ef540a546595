package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// Budgets are created, replaced and deleted with their audit event, and come back whole in
// the state, oldest first.
func testBudgets(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	a := &gateway.Budget{ID: gateway.NewID(), Scope: "user", ScopeID: "000000000000000000000001", Period: "month",
		LimitTokens: ptr(int64(1_000_000)), LimitCost: ptr(25.5), AlertWebhookURL: "https://hooks.example.org/b",
		CreatedAt: at(0), UpdatedAt: at(0)}
	b := &gateway.Budget{ID: gateway.NewID(), Scope: "global", Period: "day", LimitCost: ptr(100.0), CreatedAt: at(time.Minute), UpdatedAt: at(time.Minute)}
	for _, x := range []*gateway.Budget{b, a} {
		mustMutate(t, s, "PutBudget", func(ev *gateway.AuditEvent) error { return s.PutBudget(ctx, x, ev) })
	}
	a.LimitCost = ptr(30.0)
	mustMutate(t, s, "PutBudget", func(ev *gateway.AuditEvent) error { return s.PutBudget(ctx, a, ev) })
	st, err := s.LoadState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Budgets) != 2 || !reflect.DeepEqual(st.Budgets[0], *a) || !reflect.DeepEqual(st.Budgets[1], *b) {
		t.Fatalf("budgets %+v, want %+v then %+v", st.Budgets, a, b)
	}
	mustMutate(t, s, "DeleteBudget", func(ev *gateway.AuditEvent) error { return s.DeleteBudget(ctx, a.ID, ev) })
	if err := s.DeleteBudget(ctx, a.ID, event(gateway.KindCreateEndpoint, "admin")); gateway.AsError(err).Code != gateway.CodeNotFound {
		t.Fatalf("deleting a missing budget: %v", err)
	}
	if st, _ := s.LoadState(ctx); len(st.Budgets) != 1 || st.Budgets[0].ID != b.ID {
		t.Fatalf("after delete: %+v", st.Budgets)
	}
}
