package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// An admin command pointed at a directory without a database refuses, saying how to fix it,
// and creates nothing; with --init it creates the database.
func TestAdminCommandRefusesToCreateADatabaseUnlessInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "typo")
	_, errOut, code := llmgate(t, "users", "create", "--username", "ann", "--data-dir", dir)
	if code != 1 || !strings.Contains(errOut, "no llmgate database in "+dir) || !strings.Contains(errOut, "--init") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if names := dirEntries(t, dir); names != nil {
		t.Fatalf("a refused command created %v", names)
	}
	if _, errOut, code := llmgate(t, "users", "create", "--username", "ann", "--data-dir", dir, "--init"); code != 0 {
		t.Fatalf("--init: exit %d %s", code, errOut)
	}
	for _, want := range []string{dbFileName, "master.key"} {
		if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
			t.Fatalf("--init did not create %s: %v", want, err)
		}
	}
	// Once it exists, no --init is needed.
	if out, errOut, code := llmgate(t, "users", "list", "--data-dir", dir); code != 0 || !strings.Contains(out, "ann") {
		t.Fatalf("users list: exit %d %q %q", code, out, errOut)
	}
}

// A command that fails leaves no file behind, even with --init.
func TestFailedCommandWritesNothing(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "new")
	for _, args := range [][]string{
		{"users", "create", "--init"}, // no --username
		{"keys", "create", "--init", "--username", "nobody"},
		{"endpoints", "create", "--init", "--name", "x", "--type", "llm/v1/chat", "--provider", "nope", "--model", "m"},
	} {
		_, _, code := llmgate(t, append(args, "--data-dir", dir)...)
		if code != 1 {
			t.Fatalf("%v: exit %d, want 1", args, code)
		}
		if names := dirEntries(t, parent); len(names) != 0 {
			t.Fatalf("%v failed but left %v (in %v)", args, names, dirEntries(t, dir))
		}
	}
}

// Without --data-dir or LLMGATE_DATA_DIR, and with no ./llmgate-data, an admin command uses
// the data directory of the one running server (found through its lock and the registry).
func TestAdminCommandFindsTheRunningServersDataDir(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // a private registry
	os.Unsetenv("LLMGATE_DATA_DIR")
	dir := filepath.Join(t.TempDir(), "data")
	if _, errOut, code := llmgate(t, "users", "create", "--username", "ann", "--data-dir", dir, "--init"); code != 0 {
		t.Fatal(errOut)
	}
	s := &settings{DataDir: dir}
	own, err := claimDataDir(s)
	if err != nil {
		t.Fatal(err)
	}
	defer own.release()
	t.Chdir(t.TempDir())
	out, errOut, code := llmgate(t, "users", "list")
	if code != 0 || !strings.Contains(out, "ann") || !strings.Contains(errOut, "using the data directory of the running llmgate serve (pid "+strconv.Itoa(os.Getpid())+"): "+dir) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// A second claim on the same directory names the holder.
	if _, err := claimDataDir(s); err == nil || !strings.Contains(err.Error(), "in use by another llmgate serve (pid "+strconv.Itoa(os.Getpid())+")") {
		t.Fatalf("second claim: %v", err)
	}
	own.release()
	if _, errOut, code := llmgate(t, "users", "list"); code != 1 || !strings.Contains(errOut, "no llmgate database") {
		t.Fatalf("after release: exit %d %q", code, errOut)
	}
}
