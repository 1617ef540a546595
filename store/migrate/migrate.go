// Package migrate is the one schema-migration runner both SQL backends share: migration files
// named NNNN_name.sql are applied in order, each recorded in schema_version with its number.
// What differs per database — how processes starting together take turns and what one step's
// transaction is — stays in the backend, behind Steps.
package migrate

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one file: Version is its number, SQL its text. Files are never edited once
// released: a change is a new file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Steps is what a backend provides: Current creates schema_version when missing and returns
// the highest applied version; Apply runs m and records its version atomically.
type Steps interface {
	Current(ctx context.Context) (int, error)
	Apply(ctx context.Context, m Migration) error
}

// Load reads dir's *.sql files from fsys in file-name order.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]Migration, 0, len(names))
	seen := map[int]string{}
	for _, name := range names {
		base := path.Base(name)
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number", base)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", prev, base, v)
		}
		seen[v] = base
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: base, SQL: string(body)})
	}
	return out, nil
}

// Run applies every migration newer than the schema's current version, in order. It returns
// how many it applied.
func Run(ctx context.Context, all []Migration, s Steps) (int, error) {
	current, err := s.Current(ctx)
	if err != nil {
		return 0, fmt.Errorf("reading schema_version: %w", err)
	}
	applied := 0
	for _, m := range all {
		if m.Version <= current {
			continue
		}
		if err := s.Apply(ctx, m); err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		applied++
	}
	return applied, nil
}
