package main

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/metrics"
	"github.com/llmgate/llmgate/pipeline"
	"github.com/llmgate/llmgate/webhook"
)

// budgetAlerts returns the pipeline's alert hook: each alert of a budget with an
// alertWebhookUrl is posted there, signed with --budget-webhook-secret, retried in the
// background; a delivery that fails for good, or that cannot be signed, is audited as
// BudgetAlertUndelivered, logged and counted in llmgate_budget_alerts_undelivered_total.
func budgetAlerts(ctx context.Context, a *app.App, secret string, m *metrics.Metrics, log *slog.Logger) func(pipeline.BudgetAlert) {
	undelivered := func(url string, body []byte, reason string) {
		m.BudgetAlertUndelivered()
		var md map[string]string
		_ = json.Unmarshal(body, &md)
		if md == nil {
			md = map[string]string{}
		}
		md["webhookUrl"], md["reason"] = url, reason
		log.Warn("budget alert not delivered", "budgetId", md["budgetId"], "url", url, "reason", reason)
		ev := &gateway.AuditEvent{ID: gateway.NewID(), Kind: gateway.KindBudgetAlertUndelivered, Timestamp: gateway.Now(), Metadata: md}
		if err := a.Audit.Write(ev); err != nil {
			log.Error("auditing an undelivered budget alert", "err", err)
		}
	}
	var sender *webhook.Sender
	if secret != "" {
		sender = webhook.Start(ctx, webhook.Options{Secret: secret,
			OnFailure: func(url string, body []byte, err error) { undelivered(url, body, err.Error()) }})
	}
	return func(alert pipeline.BudgetAlert) {
		url := alert.Budget.AlertWebhookURL
		if url == "" {
			return
		}
		body, _ := json.Marshal(pipeline.BudgetAlertFields(alert))
		if sender == nil {
			undelivered(url, body, "no --budget-webhook-secret is set to sign it")
			return
		}
		sender.Send(url, body)
	}
}
