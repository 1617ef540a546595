package e2e_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/llmgate/llmgate/internal/e2e"
	"github.com/llmgate/llmgate/store/sqlite"
)

// A key used just before `llmgate serve` stops has its last use in the database afterwards:
// the server records the uses it noted at shutdown, not only every few seconds. Before that,
// the admin listing already shows the use from memory.
func TestKeyUsesAreRecordedAtShutdown(t *testing.T) {
	g := e2e.Start(t, e2e.Options{})
	_, key := g.CreateUser(t, "lee", false)
	before := time.Now().Add(-time.Second)
	if r := g.Do(t, "GET", "/api/users/v1/self", key, nil); r.Status != 200 {
		t.Fatalf("self: %d %s", r.Status, r.Body)
	}
	var page struct {
		Tokens []struct {
			PatID    string `json:"patId"`
			LastUsed string `json:"lastUsedAt"`
		} `json:"tokens"`
	}
	g.Do(t, "GET", "/api/pat/v1/tokens/all?q=lee", g.AdminKey, nil).JSON(t, &page)
	if len(page.Tokens) != 1 || page.Tokens[0].LastUsed == "" {
		t.Fatalf("lee's key in the listing = %+v, want one with lastUsedAt", page.Tokens)
	}
	g.Stop(t)

	store, err := sqlite.Open(context.Background(), filepath.Join(g.DataDir, "llmgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	used, err := store.KeysLastUsed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	at, ok := used[page.Tokens[0].PatID]
	if !ok || at.Before(before) || time.Since(at) > time.Minute {
		t.Fatalf("recorded last uses after shutdown = %v, want lee's key (%s) used just now", used, page.Tokens[0].PatID)
	}
}
