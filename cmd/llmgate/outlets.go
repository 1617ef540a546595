package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync/atomic"

	"github.com/llmgate/llmgate/accesslog"
	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/webhook"
)

// auditOutlets sends what the audit writer commits onward: --access-log (one JSON line per
// query) and --audit-sink-url (each committed batch, signed, in order, to the operator's SIEM
// collector). Both run off the query path; the returned function stops them.
func auditOutlets(w *audit.Writer, s *settings, log *slog.Logger) (func(), error) {
	var outlets []func([]*gateway.AuditEvent)
	closers := []func(){}
	if s.AccessLog != "" {
		l, err := accesslog.Open(s.AccessLog, log)
		if err != nil {
			return nil, err
		}
		outlets = append(outlets, l.Committed)
		closers = append(closers, func() { l.Close() })
	}
	if s.AuditSinkURL != "" {
		var failed atomic.Int64
		ctx, cancel := context.WithCancel(context.Background())
		sender := webhook.Start(ctx, webhook.Options{Secret: s.AuditSinkSecret, QueueSize: 1024, Attempts: 8,
			OnFailure: func(_ string, body []byte, err error) {
				log.Error("audit sink delivery failed; the events stay in the audit trail", "failed", failed.Add(1), "err", err, "bytes", len(body))
			}})
		outlets = append(outlets, func(events []*gateway.AuditEvent) {
			body, err := json.Marshal(events)
			if err == nil {
				sender.Send(s.AuditSinkURL, body)
			}
		})
		closers = append(closers, cancel)
	}
	if len(outlets) > 0 {
		w.SetCommitted(func(events []*gateway.AuditEvent) {
			for _, o := range outlets {
				o(events)
			}
		})
	}
	return func() {
		for _, c := range closers {
			c()
		}
	}, nil
}
