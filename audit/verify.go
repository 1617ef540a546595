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
	// Legacy and Keyed count the events verified under each scheme.
	Legacy, Keyed int
}

// Verify recomputes the hash chain up to the stored head, page by page, and checks that the
// head matches the last event, so a changed, removed, inserted or reordered event — including
// removal of the newest ones — is detected. Events appended while it runs (after the head it
// read first) are left for the next run.
//
// keys is the chain keyring: keyed events verify only under the key they name, and a trail
// whose events are all unkeyed fails (see gateway.ChainVerifier.Finish).
func Verify(ctx context.Context, store gateway.Store, keys gateway.AuditKeys) (Report, error) {
	head, err := store.AuditHead(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("reading audit head: %w", err)
	}
	r := Report{OK: true}
	v := gateway.ChainVerifier{Keys: keys}
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
	r.Legacy, r.Keyed = v.Legacy, v.Keyed
	if r.OK && head.Hash != v.Prev {
		r.OK, r.Reason = false, "chain head does not match the last event (newest events removed or head altered)"
	}
	if reason := v.Finish(); r.OK && reason != "" {
		r.OK, r.Reason = false, reason
	}
	if r.OK {
		r.BadSeq, r.BadID = 0, ""
	}
	return r, nil
}
