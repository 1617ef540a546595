package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// scripts/hygiene.sh (run first by the test command) refuses a tree that tracks a binary, a
// file over 1 MB or a key file, and passes a clean one.
func TestHygieneCheckRefusesBinariesBigFilesAndKeys(t *testing.T) {
	script := filepath.Join(repoRoot(t), "scripts", "hygiene.sh")
	cases := map[string]struct {
		name    string
		content []byte
		want    string
	}{
		"clean":  {"main.go", []byte("package main\n"), ""},
		"binary": {"llmgate", append([]byte("\x7fELF"), make([]byte, 64)...), "executable binary"},
		"big":    {"data.json", []byte(strings.Repeat("x", 1_000_001)), "over 1 MB"},
		"key":    {"master.key", []byte("c2VjcmV0\n"), "key file"},
		"pem":    {"notes.txt", []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n"), "private key"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "scripts"), 0o755); err != nil {
				t.Fatal(err)
			}
			body, _ := os.ReadFile(script)
			os.WriteFile(filepath.Join(dir, "scripts", "hygiene.sh"), body, 0o755)
			os.WriteFile(filepath.Join(dir, c.name), c.content, 0o644)
			git := func(args ...string) {
				cmd := exec.Command("git", args...)
				cmd.Dir = dir
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("git %v: %v\n%s", args, err, out)
				}
			}
			git("init", "-q")
			git("add", ".")
			cmd := exec.Command("bash", "scripts/hygiene.sh")
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("a clean tree failed: %v\n%s", err, out)
			case c.want != "" && (err == nil || !strings.Contains(string(out), c.want)):
				t.Fatalf("%s: err %v, output %s; want a failure saying %q", c.name, err, out, c.want)
			}
		})
	}
}

// Every docs/… path a comment, script or document names exists in the repository, and none
// points at the product contract outside it (PRODUCT.md, spec/…): someone who clones the
// repository alone can follow every reference.
func TestReferencesPointAtDocsInTheRepository(t *testing.T) {
	root := repoRoot(t)
	cmd := exec.Command("git", "ls-files", "*.go", "*.md", "*.py", "*.sh", "Makefile")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	docRef := regexp.MustCompile(`docs/[A-Za-z0-9_./-]+\.(md|yaml|yml)`)
	outside := regexp.MustCompile(`PRODUCT\.md|ARCHITECTURE\.md|\bspec/[a-z-]+\.md|spec §`)
	for _, f := range strings.Fields(string(out)) {
		raw, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		text := string(raw)
		if strings.HasPrefix(f, "docs/contract/") {
			continue // the contract itself quotes its sources
		}
		if m := outside.FindString(text); m != "" && f != "e2e/hygiene_test.go" {
			t.Errorf("%s refers to %q, which is not in the repository: point at docs/", f, m)
		}
		for _, ref := range docRef.FindAllString(text, -1) {
			ref = strings.TrimRight(ref, ".")
			if _, err := os.Stat(filepath.Join(root, ref)); err != nil {
				t.Errorf("%s refers to %s, which does not exist", f, ref)
			}
		}
	}
}
