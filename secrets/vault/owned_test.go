package vault

import (
	"context"
	"testing"

	"github.com/llmgate/llmgate/gateway"
)

// TestOwnedValueIsCheckAndSet: a missing value reads as version 0; a write at a stale version
// is CodeConflict and changes nothing, so two replicas cannot overwrite each other's keys.
func TestOwnedValueIsCheckAndSet(t *testing.T) {
	srv := newFake(t)
	s := newStore(t, srv, Config{})
	ctx := context.Background()
	if v, version, err := s.OwnedValue(ctx, "audit-chain-keys"); err != nil || v != "" || version != 0 {
		t.Fatalf("missing value: %q v%d %v", v, version, err)
	}
	if err := s.PutOwnedValue(ctx, "audit-chain-keys", "first", 0); err != nil {
		t.Fatal(err)
	}
	if err := s.PutOwnedValue(ctx, "audit-chain-keys", "second", 0); gateway.ErrorCode(err) != gateway.CodeConflict {
		t.Fatalf("create over an existing value: %v, want CodeConflict", err)
	}
	v, version, err := s.OwnedValue(ctx, "audit-chain-keys")
	if err != nil || v != "first" || version != 1 {
		t.Fatalf("after a lost race: %q v%d %v", v, version, err)
	}
	if err := s.PutOwnedValue(ctx, "audit-chain-keys", "rotated", 1); err != nil {
		t.Fatal(err)
	}
	if srv.Versions("secret", "llmgate/audit-chain-keys") != 2 {
		t.Fatal("the value is not kept under the llmgate prefix")
	}
	if _, _, err := s.OwnedValue(ctx, "../escape"); gateway.ErrorCode(err) != gateway.CodeInvalid {
		t.Fatalf("unsafe name: %v", err)
	}
}
