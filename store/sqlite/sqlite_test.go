package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/store/sqlite"
	"github.com/llmgate/llmgate/store/storetest"
)

func openAt(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) gateway.Store {
		return openAt(t, filepath.Join(t.TempDir(), "llmgate.db"))
	})
}

// TestTwoInstancesOneFile stands for `serve` and an admin command writing the same file.
func TestTwoInstancesOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "llmgate.db")
	storetest.ConcurrentWriters(t, openAt(t, path), openAt(t, path))
}
