package postgres

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"

	"github.com/llmgate/llmgate/gateway"
)

func loadBudgets(ctx context.Context, tx pgx.Tx, st *gateway.State) error {
	rows, _ := tx.Query(ctx, `SELECT doc FROM budgets`)
	docs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, doc := range docs {
		var b gateway.Budget
		if err := json.Unmarshal([]byte(doc), &b); err != nil {
			return err
		}
		st.Budgets = append(st.Budgets, b)
	}
	gateway.SortBudgets(st.Budgets)
	return nil
}

// PutBudget implements gateway.Store.
func (s *Store) PutBudget(ctx context.Context, b *gateway.Budget, ev *gateway.AuditEvent) error {
	doc, err := json.Marshal(b)
	if err != nil {
		return gateway.Wrap(gateway.CodeInvalid, err, "budget cannot be encoded")
	}
	return s.mutate(ctx, ev, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO budgets (id, doc) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`, b.ID, string(doc))
		return err
	})
}

// DeleteBudget implements gateway.Store.
func (s *Store) DeleteBudget(ctx context.Context, id string, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM budgets WHERE id = $1`, id)
		if err != nil {
			return err
		}
		return mustAffect(tag, "budget")
	})
}
