package storetest

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// usageEvent is an access event by user uid with the given token counts ("" = unknown).
func usageEvent(ts time.Time, uid, prompt, completion, outcome, orgs string) *gateway.AuditEvent {
	return &gateway.AuditEvent{
		ID: gateway.NewID(), Kind: gateway.KindAccessEndpoint, Timestamp: ts, PerformedBy: uid,
		EndpointID: "ep-1", EndpointType: string(gateway.TypeChat),
		Metadata: map[string]string{"accessedByUsername": "u-" + uid, "endpointName": "chat", "modelProvider": "openai",
			"modelName": "gpt-4o-mini", "outcome": outcome, "promptTokens": prompt, "completionTokens": completion,
			"latencyMs": "10", "organizationIds": orgs, "cost": costOf(prompt, completion)},
	}
}

// costOf is a made-up price: a micro-dollar a token; unknown when the tokens are.
func costOf(prompt, completion string) string {
	if prompt == "" {
		return ""
	}
	var p, c int
	fmt.Sscan(prompt, &p)
	fmt.Sscan(completion, &c)
	return fmt.Sprint(float64(p+c) / 1e6)
}

// Usage rows are maintained by AppendAudit from the access events it commits, in several
// batches and hours, and read back by range and user.
func testUsage(t *testing.T, s gateway.Store) {
	ctx := context.Background()
	hour := base.Truncate(time.Hour)
	batches := [][]*gateway.AuditEvent{
		{usageEvent(hour.Add(time.Minute), "a", "10", "5", "success", "o1"), usageEvent(hour.Add(2*time.Minute), "a", "1", "2", "success", "o1"),
			event(gateway.KindCreateEndpoint, "admin")},
		{usageEvent(hour.Add(3*time.Minute), "a", "", "", "upstream_error", "o1"), usageEvent(hour.Add(4*time.Minute), "b", "7", "0", "success", "")},
		{usageEvent(hour.Add(time.Hour+time.Minute), "a", "100", "50", "success", "o1")},
	}
	for _, b := range batches {
		if err := s.AppendAudit(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := s.UsageRows(ctx, time.Time{}, time.Time{}, "")
	if err != nil {
		t.Fatal(err)
	}
	var total gateway.UsageCounts
	for _, r := range rows {
		total.Add(r.UsageCounts)
	}
	want := gateway.UsageCounts{Requests: 5, Errors: 1, PromptTokens: 118, CompletionTokens: 57, TotalTokens: 175, UnknownUsage: 1, LatencyMsSum: 50,
		Cost: 175e-6, UnknownCost: 1, Latency: [gateway.LatencyBuckets]int64{0: 5}} // each took 10 ms
	if math.Abs(total.Cost-want.Cost) < 1e-12 {
		total.Cost = want.Cost // summed in a different order by the database
	}
	if total != want || len(rows) != 3 {
		t.Fatalf("usage over everything = %+v in %d rows, want %+v in 3 (a's first hour, b's, a's second hour)", total, len(rows), want)
	}
	first := rows[0]
	if first.Hour != hour.UnixMilli() || first.EndpointName != "chat" || first.Model != "gpt-4o-mini" || first.Provider != "openai" || first.OrgIDs != "o1" {
		t.Fatalf("first row %+v", first)
	}
	onlyA, err := s.UsageRows(ctx, hour, hour.Add(time.Hour), "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(onlyA) != 1 || onlyA[0].Requests != 3 || onlyA[0].PromptTokens != 11 || onlyA[0].UnknownUsage != 1 || onlyA[0].UserName != "u-a" {
		t.Fatalf("a's first hour = %+v", onlyA)
	}
}
