package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/llmgate/llmgate/gateway"
)

func loadBudgets(ctx context.Context, tx *sql.Tx, st *gateway.State) error {
	rows, err := tx.QueryContext(ctx, `SELECT doc FROM budgets`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var doc []byte
		var b gateway.Budget
		if err := rows.Scan(&doc); err != nil {
			return err
		}
		if err := json.Unmarshal(doc, &b); err != nil {
			return err
		}
		st.Budgets = append(st.Budgets, b)
	}
	gateway.SortBudgets(st.Budgets)
	return rows.Err()
}

// PutBudget implements gateway.Store.
func (s *Store) PutBudget(ctx context.Context, b *gateway.Budget, ev *gateway.AuditEvent) error {
	doc, err := json.Marshal(b)
	if err != nil {
		return gateway.Wrap(gateway.CodeInvalid, err, "budget cannot be encoded")
	}
	return s.mutate(ctx, ev, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO budgets (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`, b.ID, string(doc))
		return err
	})
}

// DeleteBudget implements gateway.Store.
func (s *Store) DeleteBudget(ctx context.Context, id string, ev *gateway.AuditEvent) error {
	return s.mutate(ctx, ev, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM budgets WHERE id = ?`, id)
		if err != nil {
			return err
		}
		return mustAffect(res, "budget")
	})
}
