package audit

import (
	"context"
	"fmt"

	"github.com/llmgate/llmgate/gateway"
)

// Report is the outcome of Verify.
type Report struct {
	Events int
	OK     bool
	// BadSeq and BadID name the first event that fails, when !OK.
	BadSeq int64
	BadID  string
	Reason string
}

// Verify recomputes the whole hash chain and checks that the stored head matches the last
// event, so a changed, removed, inserted or reordered event — including removal of the
// newest ones — is detected.
func Verify(ctx context.Context, store gateway.Store) (Report, error) {
	events, head, err := store.AuditChain(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("reading audit chain: %w", err)
	}
	r := Report{Events: len(events), OK: true}
	if bad, reason := gateway.VerifyChain(events); bad >= 0 {
		r.OK, r.BadSeq, r.BadID, r.Reason = false, events[bad].Seq, events[bad].ID, reason
		return r, nil
	}
	last := ""
	if len(events) > 0 {
		last = events[len(events)-1].Hash
	}
	if head != last {
		r.OK, r.Reason = false, "chain head does not match the last event (newest events removed or head altered)"
		if len(events) > 0 {
			r.BadSeq, r.BadID = events[len(events)-1].Seq, events[len(events)-1].ID
		}
	}
	return r, nil
}
