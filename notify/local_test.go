package notify

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

func TestPingReloadsBeforeAcknowledging(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := filepath.Join(t.TempDir(), SocketName)
	var reloads atomic.Int32
	if err := ListenLocal(ctx, path, func(context.Context) { reloads.Add(1) }); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if err := PingLocal(path, 2*time.Second); err != nil {
			t.Fatal(err)
		}
		// PingLocal returns only after onPing ran, so the count is exact without waiting.
		if got := reloads.Load(); got != int32(i) {
			t.Fatalf("after ping %d: reloads = %d", i, got)
		}
	}
}

func TestPingWithoutServerIsNotAnError(t *testing.T) {
	if err := PingLocal(filepath.Join(t.TempDir(), SocketName), time.Second); err != nil {
		t.Fatalf("PingLocal with no server: %v", err)
	}
}
