// Package archtest holds the import rules that keep llmgate's layers apart: the core (domain,
// operations, the query path, usage, providers) never depends on an HTTP surface, so a new surface or the console
// is a folder under api/ that calls down, never something the core calls up into.
package archtest

import (
	"go/build"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/llmgate/llmgate/"

// rule: packages under dir (recursively when tree) must not import any of forbidden (prefixes).
type rule struct {
	dir       string
	tree      bool
	forbidden []string
}

var rules = []rule{
	{dir: "gateway", forbidden: []string{module + "api/", "net/http"}},
	{dir: "app", forbidden: []string{module + "api/", "net/http"}},
	// pipeline keeps net/http for the upstream side only: it answers through a Sink.
	{dir: "pipeline", forbidden: []string{module + "api/"}},
	{dir: "usage", tree: true, forbidden: []string{module + "api/"}},
	{dir: "llm", tree: true, forbidden: []string{module + "api/"}},
	{dir: "provider", tree: true, forbidden: []string{module + "api/", module + "app", module + "pipeline"}},
	// The console calls app, never a store; identity providers' protocols know no storage.
	{dir: "console", forbidden: []string{module + "store", module + "secrets"}},
	{dir: "identity", tree: true, forbidden: []string{module + "api/", module + "store", module + "console"}},
}

func TestCoreImportsNoSurface(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, r := range rules {
		for _, dir := range packageDirs(t, filepath.Join(root, r.dir), r.tree) {
			pkg, err := build.ImportDir(dir, 0)
			if err != nil {
				if _, ok := err.(*build.NoGoError); ok {
					continue
				}
				t.Fatalf("%s: %v", dir, err)
			}
			checked++
			for _, imp := range pkg.Imports { // non-test files only
				for _, bad := range r.forbidden {
					if imp == bad || strings.HasPrefix(imp, bad) {
						rel, _ := filepath.Rel(root, dir)
						t.Errorf("%s imports %s: the core must not depend on an HTTP surface", rel, imp)
					}
				}
			}
		}
	}
	if checked < len(rules) {
		t.Fatalf("checked only %d packages: the rules name folders that moved", checked)
	}
}

func packageDirs(t *testing.T, dir string, tree bool) []string {
	t.Helper()
	if !tree {
		return []string{dir}
	}
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() != "testdata" {
			dirs = append(dirs, p)
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}
