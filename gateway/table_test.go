package gateway

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

type pair struct{ k, v string }

var pairSpec = &tableSpec[string, pair]{key: func(p *pair) string { return p.k }, hash: hashString}

// A table answers as a map would through any sequence of adds, replacements and removals,
// and every version it was derived from keeps answering as it did.
func TestTableAgreesWithAMapAcrossChanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var initial []pair
	model := map[string]string{}
	for i := range 3000 {
		p := pair{fmt.Sprint("k", i%2500), fmt.Sprint("v", i)} // some keys twice: the later wins
		initial = append(initial, p)
		model[p.k] = p.v
	}
	tb := newTable(pairSpec, initial)
	first, firstModel := tb, clone(model)
	for i := range 5000 {
		k := fmt.Sprint("k", rng.IntN(4000))
		if rng.IntN(3) == 0 {
			tb = tb.without(k)
			delete(model, k)
		} else {
			v := fmt.Sprint("w", i)
			tb = tb.with(pair{k, v})
			model[k] = v
		}
	}
	agree(t, "after the changes", tb, model)
	agree(t, "the first version", first, firstModel)
}

func clone(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func agree(t *testing.T, what string, tb *table[string, pair], model map[string]string) {
	t.Helper()
	if tb.len() != len(model) {
		t.Fatalf("%s: len %d, want %d", what, tb.len(), len(model))
	}
	n := 0
	for p := range tb.values() {
		n++
		if model[p.k] != p.v {
			t.Fatalf("%s: values yields %v, want %q", what, *p, model[p.k])
		}
	}
	if n != len(model) {
		t.Fatalf("%s: values yields %d records, want %d", what, n, len(model))
	}
	for i := range 4000 {
		k := fmt.Sprint("k", i)
		p, want := tb.get(k), model[k]
		if (p == nil) != (want == "") || p != nil && p.v != want {
			t.Fatalf("%s: get(%s) = %v, want %q", what, k, p, want)
		}
	}
}

// A changed user is a new User in the derived snapshot; the snapshot before keeps the old one,
// and an unchanged user is the same shared User in both.
func TestWithUserLeavesTheSnapshotBeforeAsItWas(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	s1 := NewSnapshot(&State{Users: []User{{ID: "a", UserName: "ann", Email: "a@x", CreatedAt: at}, {ID: "b", UserName: "bob"}}})
	before := s1.User("a")
	s2 := s1.WithUser(&User{ID: "a", UserName: "anna", Email: "anna@x", FirstName: "Ann", CreatedAt: at, DeactivatedAt: &at})
	if u := s1.User("a"); u != before || u.UserName != "ann" || u.Email != "a@x" || !u.CreatedAt.Equal(at) || u.DeactivatedAt != nil {
		t.Fatalf("the snapshot before the change shows %+v", u)
	}
	if u := s2.User("a"); u.UserName != "anna" || u.Email != "anna@x" || u.FirstName != "Ann" || u.Active() || !u.DeactivatedAt.Equal(at) {
		t.Fatalf("the changed snapshot shows %+v", u)
	}
	if s2.UserByName("ann") != nil || s2.UserByName("anna").ID != "a" || s1.UserByName("ann").ID != "a" {
		t.Fatal("the rename is not reflected by UserByName")
	}
	if s1.User("b") != s2.User("b") {
		t.Fatal("an unchanged user is not shared between the snapshots")
	}
}
