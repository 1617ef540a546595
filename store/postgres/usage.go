package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/store/internal/usagecols"
)

// usageUpsert adds one tallied hourly row (usage.Tally) to usage_hourly.
var usageUpsert = `INSERT INTO usage_hourly AS u (` + usagecols.All + `) VALUES (` +
	usagecols.Placeholders(usagecols.Count, func(i int) string { return "$" + strconv.Itoa(i) }) + `)
	ON CONFLICT (hour, endpoint_id, user_id, endpoint_name, user_name, provider, model, org_ids) DO UPDATE SET ` + usagecols.Sums("u.")

// UsageRows implements gateway.Store.
func (s *Store) UsageRows(ctx context.Context, from, to time.Time, userID string) ([]gateway.UsageRow, error) {
	lo, hi := int64(-1<<62), int64(1<<62)
	if !from.IsZero() {
		lo = from.UnixMilli()
	}
	if !to.IsZero() {
		hi = to.UnixMilli()
	}
	rows, err := s.pool.Query(ctx, `SELECT `+usagecols.All+` FROM usage_hourly
		WHERE hour >= $1 AND hour < $2 AND ($3 = '' OR user_id = $3) ORDER BY hour`, lo, hi, userID)
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
