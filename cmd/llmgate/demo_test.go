package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The demo wipes only a directory an earlier demo made; anything else is refused untouched.
func TestDemoWipesOnlyItsOwnDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	if err := freshDemoDir(dir); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "llmgate.db"), []byte("old"), 0o600)
	if err := freshDemoDir(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "llmgate.db")); !os.IsNotExist(err) {
		t.Fatalf("the earlier demo's database survived a restart: %v", err)
	}

	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "llmgate.db"), []byte("production"), 0o600)
	if err := freshDemoDir(other); err == nil || !strings.Contains(err.Error(), "not made by llmgate demo") {
		t.Fatalf("a foreign directory: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(other, "llmgate.db")); string(b) != "production" {
		t.Fatal("a foreign directory was touched")
	}
}
