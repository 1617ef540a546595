package sqlite

import (
	"context"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/store/internal/usagecols"
)

// usageUpsert adds one tallied hourly row (usage.Tally) to usage_hourly.
var usageUpsert = `INSERT INTO usage_hourly (` + usagecols.All + `) VALUES (` +
	usagecols.Placeholders(usagecols.Count, func(int) string { return "?" }) + `)
	ON CONFLICT (hour, endpoint_id, user_id, endpoint_name, user_name, provider, model, org_ids) DO UPDATE SET ` + usagecols.Sums("")

// UsageRows implements gateway.Store.
func (s *Store) UsageRows(ctx context.Context, from, to time.Time, userID string) ([]gateway.UsageRow, error) {
	lo, hi := int64(-1<<62), int64(1<<62)
	if !from.IsZero() {
		lo = from.UnixMilli()
	}
	if !to.IsZero() {
		hi = to.UnixMilli()
	}
	q := `SELECT ` + usagecols.All + ` FROM usage_hourly WHERE hour >= ? AND hour < ? AND (? = '' OR user_id = ?) ORDER BY hour`
	rows, err := s.read.QueryContext(ctx, q, lo, hi, userID, userID)
	if err != nil {
		return nil, dbError(err)
	}
	defer rows.Close()
	var out []gateway.UsageRow
	for rows.Next() {
		var r gateway.UsageRow
		if err := rows.Scan(usagecols.Dest(&r)...); err != nil {
			return nil, dbError(err)
		}
		out = append(out, r)
	}
	return out, dbError(rows.Err())
}
