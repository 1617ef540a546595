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
	// Checkpoint is the signed checkpoint the chain was checked against (nil: none given).
	Checkpoint *Checkpoint
	// Truncated: the chain ends before, or differs at, the signed checkpoint.
	Truncated bool
	// PrunedUpTo is the retention anchor's seq: events up to it were deleted by retention
	// and verification started after it.
	PrunedUpTo int64
}

// Verify recomputes the hash chain up to the stored head, page by page, and checks that the
// head matches the last event, so a changed, removed, inserted or reordered event — including
// removal of the newest ones — is detected. Events appended while it runs (after the head it
// read first) are left for the next run.
//
// keys is the chain keyring: keyed events verify only under the key they name, and a trail
// whose events are all unkeyed fails (see gateway.ChainVerifier.Finish).
func Verify(ctx context.Context, store gateway.AuditLog, keys gateway.AuditKeys) (Report, error) {
	return VerifyWithCheckpoint(ctx, store, keys, nil)
}

// VerifyWithCheckpoint is Verify plus the check the database alone cannot give: the event
// at the signed checkpoint's seq must exist and carry the signed hash. Removing the newest
// events and moving audit_head back, or recomputing the tail, is thereby reported as
// truncation.
func VerifyWithCheckpoint(ctx context.Context, store gateway.AuditLog, keys gateway.AuditKeys, cp *Checkpoint) (Report, error) {
	head, err := store.AuditHead(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("reading audit head: %w", err)
	}
	anchor, err := store.AuditAnchor(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("reading the retention anchor: %w", err)
	}
	r := Report{OK: true, Checkpoint: cp, PrunedUpTo: anchor.Seq}
	if reason := gateway.CheckAnchor(keys, anchor); reason != "" || anchor.Seq > head.Seq {
		if reason == "" {
			reason = "the retention anchor is beyond the chain head"
		}
		r.OK, r.BadSeq, r.Reason = false, anchor.Seq, reason
		return r, nil
	}
	// Verification starts where retention pruned: the first kept event must link to the
	// anchor's hash, which only the chain key holder can have MACed.
	v := gateway.ChainVerifier{Keys: keys, Prev: anchor.Hash}
	err = EachInChain(ctx, store, anchor.Seq, head.Seq, func(ev *gateway.AuditEvent) error {
		r.Events++
		r.BadSeq, r.BadID = ev.Seq, ev.ID
		if reason := v.Next(ev); reason != "" {
			r.OK, r.Reason = false, reason
			return errStop
		}
		if cp != nil && ev.Seq == cp.Seq && ev.Hash != cp.Hash {
			r.OK, r.Truncated = false, true
			r.Reason = fmt.Sprintf("TRUNCATED or rewritten: the event at seq %d differs from the signed checkpoint of %s", cp.Seq, cp.Time)
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
	if r.OK && cp != nil && cp.Seq > head.Seq {
		r.OK, r.Truncated, r.BadSeq, r.BadID = false, true, head.Seq+1, ""
		r.Reason = fmt.Sprintf("TRUNCATED: the signed checkpoint of %s names seq %d, but the chain ends at seq %d: the newest %d events were removed and the head moved back",
			cp.Time, cp.Seq, head.Seq, cp.Seq-head.Seq)
	}
	if r.OK {
		r.BadSeq, r.BadID = 0, ""
	}
	return r, nil
}
