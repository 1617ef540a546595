package app_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
)

// A key's last use is known to the listing as soon as it authenticates here, is recorded in
// the store by FlushKeyUses, and uses another replica recorded show up after the next flush;
// a revoked key has none to show.
func TestListAllKeysShowsWhenEachKeyWasLastUsed(t *testing.T) {
	e := pipelinetest.New(t, pipelinetest.Options{})
	ctx := context.Background()
	id, key := e.User("uma")
	_, idle, err := e.App.CreateKey(ctx, app.CLIActor, id, "idle", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	_, elsewhere, err := e.App.CreateKey(ctx, app.CLIActor, id, "elsewhere", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	lastUsed := func() map[string]*time.Time {
		t.Helper()
		keys, _, err := e.App.ListAllKeys(t.Context(), app.CLIActor, "uma", app.Page{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*time.Time{}
		for _, k := range keys {
			out[k.Name] = k.LastUsed
		}
		return out
	}
	before := gateway.Now().Truncate(time.Millisecond)
	p, err := e.App.Authenticate(key)
	if err != nil {
		t.Fatal(err)
	}
	got := lastUsed()
	if got["test"] == nil || got["test"].Before(before) || got["idle"] != nil || got["elsewhere"] != nil {
		t.Fatalf("last used right after authenticating = %v", got)
	}

	if err := e.App.FlushKeyUses(ctx); err != nil {
		t.Fatal(err)
	}
	stored, err := e.App.Store.KeysLastUsed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !stored[p.KeyID].Equal(*got["test"]) || len(stored) != 1 {
		t.Fatalf("store after the flush = %v, want only %s at %v", stored, p.KeyID, got["test"])
	}

	other := gateway.Now().Add(time.Minute).Truncate(time.Millisecond) // another replica's use
	if err := e.App.Store.RecordKeyUses(ctx, map[string]time.Time{elsewhere.ID: other}); err != nil {
		t.Fatal(err)
	}
	if lastUsed()["elsewhere"] != nil {
		t.Fatal("another replica's use is shown before a flush read it")
	}
	if err := e.App.FlushKeyUses(ctx); err != nil {
		t.Fatal(err)
	}
	if got := lastUsed()["elsewhere"]; got == nil || !got.Equal(other) {
		t.Fatalf("another replica's use after the flush = %v, want %v", got, other)
	}

	if err := e.App.RevokeKey(ctx, app.CLIActor, p.KeyID); err != nil {
		t.Fatal(err)
	}
	if err := e.App.FlushKeyUses(ctx); err != nil {
		t.Fatal(err)
	}
	if e.App.KeyLastUsed(p.KeyID) != nil || e.App.KeyLastUsed(idle.ID) != nil {
		t.Fatal("a revoked key (or an unused one) still has a last use")
	}
}

// BenchmarkAuthenticate is the per-request cost of resolving a key, the use it notes included
// (compare with the snapshot's own Authenticate to see what noting adds).
func BenchmarkAuthenticate(b *testing.B) {
	e := pipelinetest.New(b, pipelinetest.Options{})
	_, key := e.User("bench")
	b.Run("app", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := e.App.Authenticate(key); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("snapshot", func(b *testing.B) {
		snap := e.App.Snapshot()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := snap.Authenticate(key, gateway.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// Uses noted while flushes run are never lost: a flush after the last use leaves the store
// holding each key's latest use (run with -race for the memory side).
func TestKeyUsesNotedDuringFlushesAreKept(t *testing.T) {
	e := pipelinetest.New(t, pipelinetest.Options{})
	ctx := context.Background()
	var keys []string
	for _, name := range []string{"ola", "pia", "quy"} {
		_, key := e.User(name)
		keys = append(keys, key)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, key := range keys {
		wg.Go(func() {
			for i := 0; i < 2000; i++ {
				if _, err := e.App.Authenticate(key); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	go func() { wg.Wait(); close(done) }()
	for flushing := true; flushing; {
		select {
		case <-done:
			flushing = false
		default:
		}
		if err := e.App.FlushKeyUses(ctx); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := e.App.Store.KeysLastUsed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range keys {
		p, err := e.App.Snapshot().Authenticate(key, gateway.Now()) // resolves without noting a use
		if err != nil {
			t.Fatal(err)
		}
		noted := e.App.KeyLastUsed(p.KeyID)
		if noted == nil || !stored[p.KeyID].Equal(*noted) {
			t.Fatalf("key %s: stored %v after the last flush, latest use noted %v", p.KeyID, stored[p.KeyID], noted)
		}
	}
}
