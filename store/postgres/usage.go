package postgres

import (
	"context"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// usageUpsert adds one tallied hourly row (usage.Tally) to usage_hourly.
const usageUpsert = `INSERT INTO usage_hourly AS u (hour, endpoint_id, endpoint_name, user_id, user_name, provider, model, org_ids,
	requests, errors, prompt_tokens, completion_tokens, total_tokens, unknown_usage, latency_ms_sum, cost, unknown_cost)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
	ON CONFLICT (hour, endpoint_id, user_id, endpoint_name, user_name, provider, model, org_ids) DO UPDATE SET
	requests = u.requests + excluded.requests, errors = u.errors + excluded.errors,
	prompt_tokens = u.prompt_tokens + excluded.prompt_tokens, completion_tokens = u.completion_tokens + excluded.completion_tokens,
	total_tokens = u.total_tokens + excluded.total_tokens, unknown_usage = u.unknown_usage + excluded.unknown_usage,
	latency_ms_sum = u.latency_ms_sum + excluded.latency_ms_sum, cost = u.cost + excluded.cost, unknown_cost = u.unknown_cost + excluded.unknown_cost`

// UsageRows implements gateway.Store.
func (s *Store) UsageRows(ctx context.Context, from, to time.Time, userID string) ([]gateway.UsageRow, error) {
	lo, hi := int64(-1<<62), int64(1<<62)
	if !from.IsZero() {
		lo = from.UnixMilli()
	}
	if !to.IsZero() {
		hi = to.UnixMilli()
	}
	rows, err := s.pool.Query(ctx, `SELECT hour, endpoint_id, endpoint_name, user_id, user_name, provider, model, org_ids,
		requests, errors, prompt_tokens, completion_tokens, total_tokens, unknown_usage, latency_ms_sum, cost, unknown_cost FROM usage_hourly
		WHERE hour >= $1 AND hour < $2 AND ($3 = '' OR user_id = $3) ORDER BY hour`, lo, hi, userID)
	if err != nil {
		return nil, dbError(err)
	}
	defer rows.Close()
	var out []gateway.UsageRow
	for rows.Next() {
		var r gateway.UsageRow
		if err := rows.Scan(&r.Hour, &r.EndpointID, &r.EndpointName, &r.UserID, &r.UserName, &r.Provider, &r.Model, &r.OrgIDs,
			&r.Requests, &r.Errors, &r.PromptTokens, &r.CompletionTokens, &r.TotalTokens, &r.UnknownUsage, &r.LatencyMsSum, &r.Cost, &r.UnknownCost); err != nil {
			return nil, dbError(err)
		}
		out = append(out, r)
	}
	return out, dbError(rows.Err())
}
