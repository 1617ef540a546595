package migrate

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadOrdersByFileNameAndRefusesBadNames(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_b.sql": {Data: []byte("B")},
		"m/0001_a.sql": {Data: []byte("A")},
		"m/README":     {Data: []byte("not a migration")},
	}
	all, err := Load(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	want := []Migration{{1, "0001_a.sql", "A"}, {2, "0002_b.sql", "B"}}
	if !reflect.DeepEqual(all, want) {
		t.Fatalf("Load = %+v, want %+v", all, want)
	}
	for name, bad := range map[string]fstest.MapFS{
		"no number": {"m/x_a.sql": {}},
		"zero":      {"m/0000_a.sql": {}},
		"duplicate": {"m/0001_a.sql": {}, "m/0001_b.sql": {}},
	} {
		if _, err := Load(bad, "m"); err == nil {
			t.Errorf("%s: Load accepted it", name)
		}
	}
}

// steps records what Run asked of a backend.
type steps struct {
	current int
	applied []int
	failAt  int
}

func (s *steps) Current(context.Context) (int, error) { return s.current, nil }
func (s *steps) Apply(_ context.Context, m Migration) error {
	if m.Version == s.failAt {
		return errors.New("syntax error")
	}
	s.applied = append(s.applied, m.Version)
	return nil
}

func TestRunAppliesOnlyPendingMigrationsInOrder(t *testing.T) {
	all := []Migration{{1, "0001_a.sql", ""}, {2, "0002_b.sql", ""}, {3, "0003_c.sql", ""}}
	s := &steps{current: 1}
	n, err := Run(context.Background(), all, s)
	if err != nil || n != 2 || !reflect.DeepEqual(s.applied, []int{2, 3}) {
		t.Fatalf("Run = %d, %v; applied %v, want 2, nil, [2 3]", n, err, s.applied)
	}
	s = &steps{failAt: 2}
	n, err = Run(context.Background(), all, s)
	if err == nil || !strings.Contains(err.Error(), "0002_b.sql") || n != 1 || !reflect.DeepEqual(s.applied, []int{1}) {
		t.Fatalf("Run with a failing step = %d, %v; applied %v: want it to stop at 0002_b.sql, naming it", n, err, s.applied)
	}
}
