package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// docs/settings.md and docs/cli.md are generated from the settings table and the command tree,
// so the reference cannot drift from the binary. After changing either, regenerate with
//
//	LLMGATE_WRITE_DOCS=1 go test -run TestReferenceDocs ./cmd/llmgate

func TestReferenceDocsMatchTheBinary(t *testing.T) {
	for path, want := range map[string]string{
		"../../docs/settings.md": settingsDoc(),
		"../../docs/cli.md":      cliDoc(),
	} {
		if os.Getenv("LLMGATE_WRITE_DOCS") == "1" {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("%s is not what the binary has (%v): regenerate with LLMGATE_WRITE_DOCS=1 go test -run TestReferenceDocs ./cmd/llmgate", filepath.Base(path), err)
		}
	}
}

func settingsDoc() string {
	var b strings.Builder
	b.WriteString(`# Settings

Every setting of ` + "`llmgate serve`" + ` is a flag and an environment variable; a flag wins over its
variable. Values are validated at start-up and a bad one is refused with the setting's name in the
message. Sizes take units (` + "`512KB`, `10MiB`, `1GiB`" + `), durations Go's form (` + "`30s`, `5m`, `24h`" + `).
Admin commands (` + "`users`, `keys`, `endpoints`, …" + `) take the storage settings (marked *admin too*) so
they work on the same database as the server. Generated from the binary's settings table
(` + "`cmd/llmgate/settings.go`" + `); see docs/cli.md for the commands.

| flag | environment | default | admin too | meaning |
|---|---|---|---|---|
`)
	s := &settings{}
	for _, st := range s.table() {
		def := st.def
		if def == "" {
			def = "—"
		} else {
			def = "`" + def + "`"
		}
		admin := ""
		if st.scope == scopeStore {
			admin = "yes"
		}
		fmt.Fprintf(&b, "| `--%s` | `%s` | %s | %s | %s |\n", st.flag, st.env, def, admin, strings.ReplaceAll(st.usage, "|", "\\|"))
	}
	return b.String()
}

func cliDoc() string {
	var b strings.Builder
	b.WriteString(`# Commands

Generated from the binary's command tree (` + "`cmd/llmgate`" + `); ` + "`llmgate help COMMAND`" + ` and
` + "`llmgate COMMAND -h`" + ` print the same. Settings (flags shared by many commands) are in docs/settings.md
and listed here only by name. ` + "`llmgate completion bash|zsh|fish|powershell`" + ` prints a shell
completion script.

`)
	settingFlags := map[string]bool{}
	for _, st := range (&settings{}).table() {
		settingFlags[st.flag] = true
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" {
			return
		}
		if c.Runnable() || c.HasSubCommands() {
			fmt.Fprintf(&b, "## `%s`\n\n%s\n\n", c.CommandPath(), c.Short)
			if c.Long != "" && c.Long != c.Short {
				b.WriteString(strings.TrimSpace(c.Long) + "\n\n")
			}
			if c.Runnable() {
				fmt.Fprintf(&b, "Usage: `%s`\n\n", c.UseLine())
			}
			var own, shared []string
			c.NonInheritedFlags().VisitAll(func(f *pflag.Flag) {
				if f.Hidden || f.Name == "help" {
					return
				}
				if settingFlags[f.Name] {
					shared = append(shared, "`--"+f.Name+"`")
					return
				}
				own = append(own, fmt.Sprintf("- `--%s` %s", f.Name, f.Usage))
			})
			if len(own) > 0 {
				b.WriteString(strings.Join(own, "\n") + "\n\n")
			}
			if len(shared) > 0 {
				sort.Strings(shared)
				b.WriteString("Settings: " + strings.Join(shared, ", ") + "\n\n")
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot())
	return b.String()
}
