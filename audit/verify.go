package audit

import (
	"context"
	"errors"
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

// Verify recomputes the hash chain up to the stored head, page by page, and checks that the
// head matches the last event, so a changed, removed, inserted or reordered event — including
// removal of the newest ones — is detected. Events appended while it runs (after the head it
// read first) are left for the next run.
func Verify(ctx context.Context, store gateway.Store) (Report, error) {
	head, err := store.AuditHead(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("reading audit head: %w", err)
	}
	r := Report{OK: true}
	var v gateway.ChainVerifier
	err = EachInChain(ctx, store, 0, head.Seq, func(ev *gateway.AuditEvent) error {
		r.Events++
		r.BadSeq, r.BadID = ev.Seq, ev.ID
		if reason := v.Next(ev); reason != "" {
			r.OK, r.Reason = false, reason
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return Report{}, fmt.Errorf("reading audit chain: %w", err)
	}
	if r.OK && head.Hash != v.Prev {
		r.OK, r.Reason = false, "chain head does not match the last event (newest events removed or head altered)"
	}
	if r.OK {
		r.BadSeq, r.BadID = 0, ""
	}
	return r, nil
}
