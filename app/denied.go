package app

import (
	"strconv"

	"github.com/llmgate/llmgate/gateway"
)

// AuditDenied records that act was refused action (the route pattern, e.g. "POST
// /api/aigateway/v1/endpoints") with status: who tried what admin operation is exactly what
// an auditor looks for. It waits until the event is durable. A failure to record is logged, and the refusal stands.
func (a *App) AuditDenied(act Actor, action, path string, status int) {
	ev := act.event(gateway.KindDeniedAdminAction)
	ev.Metadata["action"] = action
	ev.Metadata["path"] = path
	ev.Metadata["outcome"] = gateway.OutcomeDenied
	ev.Metadata["httpStatus"] = strconv.Itoa(status)
	if err := a.Audit.Write(ev); err != nil {
		a.Log.Error("writing denied admin action audit event", "action", action, "err", err)
	}
}
