package local

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/secrets/secretstest"
	"github.com/llmgate/llmgate/store/sqlite"
)

func openSQLite(t *testing.T, dir string) *sqlite.Store {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "llmgate.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformanceSQLite(t *testing.T) {
	secretstest.Run(t, func(t *testing.T) gateway.SecretStore {
		dir := t.TempDir()
		return New(openSQLite(t, dir), mustLoad(t, dir))
	})
}

// Rotation through the real store, and no plaintext in any file the database writes.
func TestSQLiteRotationAndFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openSQLite(t, dir)
	server := New(db, mustLoad(t, dir))
	const value = "sk-sqlite-plaintext-canary-0123456789"
	ref, err := server.Put(ctx, gateway.NewID(), "openai_api_key", value)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := Rotate(ctx, db, mustLoad(t, dir)); err != nil || n != 1 {
		t.Fatalf("Rotate = %d, %v; want 1", n, err)
	}
	if got, err := server.Resolve(ctx, ref); err != nil || got != value {
		t.Fatalf("Resolve after rotation = %q, %v", got, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	scanned := 0
	for _, e := range entries {
		if e.IsDir() || e.Name() == KeyFileName {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		scanned++
		if bytes.Contains(data, []byte("plaintext-canary")) {
			t.Fatalf("%s contains the plaintext value", e.Name())
		}
	}
	if scanned == 0 {
		t.Fatal("no database files were scanned")
	}
}
