package gateway

import (
	"iter"
	"slices"
	"strings"
)

// KeyIDs returns the ids of every live key (revoked ones are not in the snapshot), sorted.
// Listings read the keys themselves from the store (Store.ListLiveKeys).
func (s *Snapshot) KeyIDs() []string {
	out := make([]string, 0, s.keysByID.len())
	for r := range s.keysByID.values() {
		out = append(out, r.id)
	}
	slices.SortFunc(out, strings.Compare)
	return out
}

// AllUsers yields every user in no particular order: cheaper than Users when the order does
// not matter (counting administrators among 100,000 users).
func (s *Snapshot) AllUsers() iter.Seq[*User] { return s.users.values() }
