package sqlite

import (
	"context"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// usageUpsert adds one tallied hourly row (usage.Tally) to usage_hourly.
const usageUpsert = `INSERT INTO usage_hourly (hour, endpoint_id, endpoint_name, user_id, user_name, provider, model, org_ids,
	requests, errors, prompt_tokens, completion_tokens, total_tokens, unknown_usage, latency_ms_sum, cost, unknown_cost)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (hour, endpoint_id, user_id, endpoint_name, user_name, provider, model, org_ids) DO UPDATE SET
	requests = requests + excluded.requests, errors = errors + excluded.errors,
	prompt_tokens = prompt_tokens + excluded.prompt_tokens, completion_tokens = completion_tokens + excluded.completion_tokens,
	total_tokens = total_tokens + excluded.total_tokens, unknown_usage = unknown_usage + excluded.unknown_usage,
	latency_ms_sum = latency_ms_sum + excluded.latency_ms_sum, cost = cost + excluded.cost, unknown_cost = unknown_cost + excluded.unknown_cost`

// UsageRows implements gateway.Store.
func (s *Store) UsageRows(ctx context.Context, from, to time.Time, userID string) ([]gateway.UsageRow, error) {
	lo, hi := int64(-1<<62), int64(1<<62)
	if !from.IsZero() {
		lo = from.UnixMilli()
	}
	if !to.IsZero() {
		hi = to.UnixMilli()
	}
	q := `SELECT hour, endpoint_id, endpoint_name, user_id, user_name, provider, model, org_ids, requests, errors,
		prompt_tokens, completion_tokens, total_tokens, unknown_usage, latency_ms_sum, cost, unknown_cost FROM usage_hourly
		WHERE hour >= ? AND hour < ? AND (? = '' OR user_id = ?) ORDER BY hour`
	rows, err := s.read.QueryContext(ctx, q, lo, hi, userID, userID)
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
