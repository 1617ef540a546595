// Package usagecols is what both SQL stores share about the usage_hourly table's columns, so
// the two backends cannot disagree on their order.
package usagecols

import (
	"strconv"
	"strings"

	"github.com/llmgate/llmgate/gateway"
)

// Fixed are the columns before the latency histogram, in order.
const Fixed = `hour, endpoint_id, endpoint_name, user_id, user_name, provider, model, org_ids,
	requests, errors, prompt_tokens, completion_tokens, total_tokens, unknown_usage, latency_ms_sum, cost, unknown_cost`

// NumFixed is how many columns Fixed names.
const NumFixed = 17

// All is every column, the histogram's last.
var All = Fixed + ", " + Latency()

// Latency lists the histogram's columns, lat_0 … lat_11 (gateway.LatencyBoundsMs).
func Latency() string {
	cols := make([]string, gateway.LatencyBuckets)
	for i := range cols {
		cols[i] = "lat_" + strconv.Itoa(i)
	}
	return strings.Join(cols, ", ")
}

// Sums is the upsert's "col = <prefix>col + excluded.col" for every counter after the key.
func Sums(prefix string) string {
	counters := []string{"requests", "errors", "prompt_tokens", "completion_tokens", "total_tokens", "unknown_usage",
		"latency_ms_sum", "cost", "unknown_cost"}
	for i := range gateway.LatencyBuckets {
		counters = append(counters, "lat_"+strconv.Itoa(i))
	}
	parts := make([]string, len(counters))
	for i, c := range counters {
		parts[i] = c + " = " + prefix + c + " + excluded." + c
	}
	return strings.Join(parts, ", ")
}

// Args are an upsert's arguments for r, in the order of All.
func Args(r gateway.UsageRow) []any {
	args := []any{r.Hour, r.EndpointID, r.EndpointName, r.UserID, r.UserName, r.Provider, r.Model, r.OrgIDs,
		r.Requests, r.Errors, r.PromptTokens, r.CompletionTokens, r.TotalTokens, r.UnknownUsage, r.LatencyMsSum, r.Cost, r.UnknownCost}
	for _, n := range r.Latency {
		args = append(args, n)
	}
	return args
}

// Dest are the scan destinations of a row selected with All.
func Dest(r *gateway.UsageRow) []any {
	dst := []any{&r.Hour, &r.EndpointID, &r.EndpointName, &r.UserID, &r.UserName, &r.Provider, &r.Model, &r.OrgIDs,
		&r.Requests, &r.Errors, &r.PromptTokens, &r.CompletionTokens, &r.TotalTokens, &r.UnknownUsage, &r.LatencyMsSum, &r.Cost, &r.UnknownCost}
	for i := range r.Latency {
		dst = append(dst, &r.Latency[i])
	}
	return dst
}

// Placeholders lists n placeholders made by ph(1..n).
func Placeholders(n int, ph func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = ph(i + 1)
	}
	return strings.Join(parts, ", ")
}

// Count is how many columns All names.
const Count = NumFixed + gateway.LatencyBuckets
