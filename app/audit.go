package app

import (
	"context"
	"io"

	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/gateway"
)

// AuditKeep selects events the store cannot filter by itself (metadata such as outcome); nil
// keeps every event. It must answer the same for the same event every time.
type AuditKeep func(ev *gateway.AuditEvent) bool

// maxAuditScan bounds how many events one AuditPage reads while skipping events keep refuses,
// so a rare outcome over millions of events costs a bounded read per page.
const maxAuditScan = 20_000

// AuditPage reads up to limit events matching f and keep, after f.After (keyset paging: the
// last page costs what the first does). next is where the following page starts; nil when
// the trail has no more. Only administrators may read the trail.
func (a *App) AuditPage(ctx context.Context, act Actor, f gateway.AuditFilter, keep AuditKeep, limit int) (events []gateway.AuditEvent, next *gateway.AuditCursor, err error) {
	if err := requireAdminTo(act, "read the audit trail"); err != nil {
		return nil, nil, err
	}
	f.Offset, f.Limit = 0, limit
	for scanned := 0; scanned < maxAuditScan; {
		page, err := a.Store.QueryAudit(ctx, f)
		if err != nil {
			return nil, nil, err
		}
		for i := range page {
			if keep == nil || keep(&page[i]) {
				events = append(events, page[i])
			}
			next = gateway.CursorOf(&page[i])
			if len(events) == limit {
				return events, next, nil
			}
		}
		if len(page) < f.Limit {
			return events, nil, nil
		}
		scanned += len(page)
		f.After = next
	}
	return events, next, nil
}

// ExportAudit writes every event matching f and keep as "csv" or "jsonl", page by page in
// constant memory. Only administrators may export the trail.
func (a *App) ExportAudit(ctx context.Context, act Actor, f gateway.AuditFilter, keep AuditKeep, format string, w io.Writer) error {
	if err := requireAdminTo(act, "export the audit trail"); err != nil {
		return err
	}
	if format != "csv" && format != "jsonl" {
		return gateway.Errorf(gateway.CodeInvalid, "format must be csv or jsonl")
	}
	return audit.ExportWhere(ctx, a.Store, f, format, keep, w)
}

// VerifyAudit recomputes the whole chain under the gateway's chain keys and checks it ends at
// the stored head (audit.Verify). `llmgate audit verify` also checks the signed checkpoint.
func (a *App) VerifyAudit(ctx context.Context, act Actor) (audit.Report, error) {
	if err := requireAdminTo(act, "verify the audit trail"); err != nil {
		return audit.Report{}, err
	}
	return audit.Verify(ctx, a.Store, a.auditKeys)
}

// AuditEvent reads the event with seq (for a detail view); only administrators may.
func (a *App) AuditEvent(ctx context.Context, act Actor, seq int64) (*gateway.AuditEvent, error) {
	if err := requireAdminTo(act, "read the audit trail"); err != nil {
		return nil, err
	}
	page, err := a.Store.AuditChainPage(ctx, seq-1, 1)
	if err != nil {
		return nil, err
	}
	if len(page) == 0 || page[0].Seq != seq {
		return nil, gateway.Errorf(gateway.CodeNotFound, "no audit event %d", seq)
	}
	return &page[0], nil
}
