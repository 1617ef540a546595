package pipeline_test

import (
	"bufio"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/budget"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
)

// A stream the client leaves mid-way settles its budget reservation with what was metered (the
// prompt and the text already sent, estimated): the bucket holds exactly the audited tokens and
// nothing stays reserved — the budget is neither charged the estimate nor charged nothing.
func TestCancelledStreamSettlesItsBudgetWithTheMeteredTokens(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	userID, key := env.User("quinn")
	env.Endpoint("stream", gateway.TypeChat, pipelinetest.ModelGate, nil)
	limit := int64(100_000)
	b, err := env.App.CreateBudget(context.Background(), app.CLIActor,
		gateway.Budget{Scope: "user", ScopeID: userID, Period: "month", LimitTokens: &limit})
	if err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"messages": []map[string]string{{"role": "user", "content": "a b c"}}, "stream": true}
	resp := env.Send("POST", "/endpoints/stream/invocations", key, body)
	readFrame(t, bufio.NewReader(resp.Body))
	resp.Body.Close() // the client goes away while the provider is still generating

	ev := waitForEvent(t, env, "stream")
	total, err := strconv.ParseInt(ev.Metadata["totalTokens"], 10, 64)
	if ev.Metadata["outcome"] != "client_cancelled" || err != nil || total == 0 {
		t.Fatalf("audited as %v", ev.Metadata)
	}
	bucket := budget.Buckets([]*gateway.Budget{b}, time.Now())[0]
	committed, reserved, err := env.App.Budgets.Used(context.Background(), bucket.Key)
	if err != nil || committed.Tokens != total || reserved.Tokens != 0 {
		t.Fatalf("budget holds %d tokens committed, %d reserved (%v); the audit says %d", committed.Tokens, reserved.Tokens, err, total)
	}
}
