package gateway

import (
	"iter"
	"sort"
)

// Keys returns every live key (revoked ones are not in the snapshot), newest first. Callers
// must not modify the keys.
func (s *Snapshot) Keys() []*APIKey {
	out := make([]*APIKey, 0, s.keysByID.len())
	for k := range s.keysByID.values() {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt)
		}
		return out[i].ID > out[j].ID
	})
	return out
}

// AllUsers yields every user in no particular order: cheaper than Users when the order does
// not matter (counting administrators among 100,000 users).
func (s *Snapshot) AllUsers() iter.Seq[*User] { return s.users.values() }
