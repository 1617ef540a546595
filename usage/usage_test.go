package usage

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

func ev(ts time.Time, user, orgs, outcome, prompt, completion string) *gateway.AuditEvent {
	return &gateway.AuditEvent{Kind: gateway.KindAccessEndpoint, Timestamp: ts, PerformedBy: user, EndpointID: "e1",
		Metadata: map[string]string{"accessedByUsername": user, "endpointName": "chat", "modelProvider": "openai", "modelName": "m",
			"organizationIds": orgs, "outcome": outcome, "promptTokens": prompt, "completionTokens": completion, "latencyMs": "4"}}
}

func TestTallyAndSummarize(t *testing.T) {
	day := time.Date(2026, 11, 30, 22, 10, 0, 0, time.UTC)
	rows := Tally([]*gateway.AuditEvent{
		ev(day, "a", "o1,o2", "success", "3", "4"),
		ev(day.Add(time.Minute), "a", "o1,o2", "success", "1", "1"),
		ev(day.Add(3*time.Hour), "a", "o1,o2", "upstream_error", "", ""), // Dec 1st, unknown usage
		ev(day, "b", "", "success", "10", "0"),
		{Kind: gateway.KindCreateEndpoint, Timestamp: day},
	})
	if len(rows) != 3 || rows[0].Requests != 2 || rows[0].TotalTokens != 9 || rows[1].UnknownUsage != 1 || rows[1].Errors != 1 {
		t.Fatalf("tally %+v", rows)
	}
	byOrg := Summarize(rows, Query{GroupBy: []string{"organization"}})
	got := map[string]int64{}
	for _, a := range byOrg {
		got[a.Organization] = a.Requests
	}
	if len(got) != 3 || got["o1"] != 3 || got["o2"] != 3 || got[""] != 1 {
		t.Fatalf("by organization %v: each of a's organizations counts a's 3 requests, b's 1 counts for none", got)
	}
	byMonth := Summarize(rows, Query{GroupBy: []string{"user"}, Bucket: "month"})
	if len(byMonth) != 3 || !byMonth[0].BucketStart.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) ||
		!byMonth[2].BucketStart.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) || byMonth[2].Requests != 1 {
		t.Fatalf("by user and month %+v", byMonth)
	}
	if err := (Query{GroupBy: []string{"colour"}}).Validate(); gateway.AsError(err).Field != "groupBy" {
		t.Fatalf("bad groupBy: %v", err)
	}
	if err := (Query{Bucket: "week"}).Validate(); gateway.AsError(err).Field != "bucket" {
		t.Fatalf("bad bucket: %v", err)
	}
}

func TestEstimateTokensUsesTheModelsEncoding(t *testing.T) {
	text := "How far is the moon from the earth in kilometres?"
	if n := EstimateTokens("gpt-4o-mini", text); n != 11 {
		t.Fatalf("o200k_base count %d, want 11", n)
	}
	if n := EstimateTokens("claude-3-5-haiku", text); n < 9 || n > 14 {
		t.Fatalf("cl100k_base estimate %d is implausible", n)
	}
	if EstimateTokens("any", "") != 0 {
		t.Fatal("empty text has tokens")
	}
}

// Rows come in the order their keys first appear and sum every event of their key, whether
// found by scanning (few keys) or through the index (many).
func TestTallyKeepsFirstAppearanceOrderForFewAndManyKeys(t *testing.T) {
	day := time.Date(2026, 11, 30, 22, 10, 0, 0, time.UTC)
	for _, users := range []int{1, scanRows, scanRows + 1, 3 * scanRows} {
		var events []*gateway.AuditEvent
		for round := range 3 {
			for u := range users {
				events = append(events, ev(day, fmt.Sprintf("user-%d", (u*7)%users), "", "success", strconv.Itoa(round+1), "0"))
			}
		}
		rows := Tally(events)
		if len(rows) != users {
			t.Fatalf("%d users: %d rows", users, len(rows))
		}
		for i, r := range rows {
			if want := fmt.Sprintf("user-%d", (i*7)%users); r.UserID != want || r.Requests != 3 || r.PromptTokens != 6 {
				t.Fatalf("%d users: row %d is %s with %d requests, %d prompt tokens; want %s with 3 and 6", users, i,
					r.UserID, r.Requests, r.PromptTokens, want)
			}
		}
	}
}

func BenchmarkTallyGroupCommit(b *testing.B) {
	day := time.Date(2026, 11, 30, 22, 10, 0, 0, time.UTC)
	events := make([]*gateway.AuditEvent, 32)
	for i := range events {
		events[i] = ev(day, fmt.Sprintf("user-%d", i%4), "", "success", "9", "12")
		events[i].Metadata["cost"] = "0.000012"
	}
	b.ReportAllocs()
	for b.Loop() {
		Tally(events)
	}
}
