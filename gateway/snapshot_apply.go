package gateway

import (
	"slices"
	"sort"
)

// The With/Without methods derive the Snapshot that follows one committed change, copying only
// the index shards and lists the change touches: an admin write costs what changed, not what
// exists. They leave s unchanged (requests may be reading it) and keep s.Version; the caller
// sets the version the change committed. The values passed in become part of the snapshot:
// callers must not modify them afterwards.

// next is a shallow copy of s for a derived snapshot to replace some fields of.
func (s *Snapshot) next() *Snapshot {
	c := *s
	return &c
}

// WithUser adds u or replaces the user with u.ID (a renamed user leaves its old name free).
func (s *Snapshot) WithUser(u *User) *Snapshot {
	c := s.next()
	if old := s.users.get(u.ID); old != nil && old.name() != u.UserName {
		c.usersByName = c.usersByName.without(old.name())
	}
	r := newUserRec(u)
	c.users = s.users.with(r)
	c.usersByName = c.usersByName.with(r.nameRef())
	return c
}

// WithOrg adds o or replaces the organization with o.ID, members included.
func (s *Snapshot) WithOrg(o *Org) *Snapshot {
	c := s.withoutOrg(o.ID)
	c.orgs = c.orgs.with(o.ID, o)
	c.orgsByName = c.orgsByName.with(o.Name, o)
	for _, m := range o.Members {
		ids := append(slices.Clip(c.orgsOfUser.get(m.UserID)), o.ID)
		sort.SliceStable(ids, func(i, j int) bool { return c.orgName(ids[i]) < c.orgName(ids[j]) })
		c.orgsOfUser = c.orgsOfUser.with(m.UserID, ids)
	}
	return c
}

// WithoutOrg removes the organization id and its memberships.
func (s *Snapshot) WithoutOrg(id string) *Snapshot { return s.withoutOrg(id) }

func (s *Snapshot) withoutOrg(id string) *Snapshot {
	c := s.next()
	old := s.orgs.get(id)
	if old == nil {
		return c
	}
	c.orgs = c.orgs.without(id)
	c.orgsByName = c.orgsByName.without(old.Name)
	for _, m := range old.Members {
		ids := slices.DeleteFunc(slices.Clone(c.orgsOfUser.get(m.UserID)), func(x string) bool { return x == id })
		if len(ids) == 0 {
			c.orgsOfUser = c.orgsOfUser.without(m.UserID)
		} else {
			c.orgsOfUser = c.orgsOfUser.with(m.UserID, ids)
		}
	}
	return c
}

func (s *Snapshot) orgName(id string) string {
	if o := s.orgs.get(id); o != nil {
		return o.Name
	}
	return ""
}

// WithKey adds k, or takes it out when it is revoked.
func (s *Snapshot) WithKey(k *APIKey) *Snapshot {
	c := s.WithoutKey(k.ID)
	r, ok := c.keyRecOf(k)
	if !ok {
		return c
	}
	c.keys = c.keys.with(r)
	c.keysByID = c.keysByID.with(r.idRef())
	return c
}

// WithoutKey removes the key id (revoked keys are not in a snapshot).
func (s *Snapshot) WithoutKey(id string) *Snapshot {
	c := s.next()
	if old := s.keyRec(id); old != nil {
		c.keys = c.keys.without(old.hash)
		c.keysByID = c.keysByID.without(id)
	}
	return c
}

// WithEndpoint adds e or replaces the active endpoint with e.ID (a renamed endpoint leaves its
// old name free).
func (s *Snapshot) WithEndpoint(e *Endpoint) *Snapshot {
	c := s.WithoutEndpoint(e.ID)
	c.endpoints = c.endpoints.with(e.Name, e)
	c.endpointsByID = c.endpointsByID.with(e.ID, e)
	i := sort.Search(len(c.endpointsSorted), func(i int) bool { return endpointBefore(e, c.endpointsSorted[i]) })
	sorted := make([]*Endpoint, 0, len(c.endpointsSorted)+1)
	sorted = append(append(append(sorted, c.endpointsSorted[:i]...), e), c.endpointsSorted[i:]...)
	c.endpointsSorted = sorted
	return c
}

// WithoutEndpoint removes the active endpoint id.
func (s *Snapshot) WithoutEndpoint(id string) *Snapshot {
	c := s.next()
	old := s.endpointsByID.get(id)
	if old == nil {
		return c
	}
	c.endpoints = c.endpoints.without(old.Name)
	c.endpointsByID = c.endpointsByID.without(id)
	c.endpointsSorted = slices.DeleteFunc(slices.Clone(s.endpointsSorted), func(x *Endpoint) bool { return x.ID == id })
	return c
}

// WithBudget adds b or replaces the budget with b.ID, keeping SortBudgets' order.
func (s *Snapshot) WithBudget(b *Budget) *Snapshot {
	c := s.WithoutBudget(b.ID)
	c.budgets = append(c.budgets, b) // WithoutBudget made a fresh slice
	slices.SortFunc(c.budgets, func(x, y *Budget) int { return compareBudgets(*x, *y) })
	return c
}

// WithoutBudget removes the budget id.
func (s *Snapshot) WithoutBudget(id string) *Snapshot {
	c := s.next()
	c.budgets = slices.DeleteFunc(slices.Clone(s.budgets), func(x *Budget) bool { return x.ID == id })
	return c
}
