package gateway

import (
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

// CountAdmins returns how many users are administrators and how many of those are active,
// without copying 100,000 users as Users would.
func (s *Snapshot) CountAdmins() (admins, active int) {
	for r := range s.users.values() {
		if r.admin {
			admins++
			if r.active() {
				active++
			}
		}
	}
	return admins, active
}
