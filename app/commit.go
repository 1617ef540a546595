package app

import (
	"context"
	"slices"

	"github.com/llmgate/llmgate/gateway"
)

// delta derives the snapshot that follows one committed change from the one before it, or
// returns nil when it cannot (then the App reloads).
type delta func(*gateway.Snapshot) *gateway.Snapshot

// commit runs write, which makes exactly one StateStore mutation, and makes its effect visible
// to this replica's next request. When the snapshot is exactly one version behind the one write
// committed, nobody else wrote in between, so applying d to it gives the store's new state at a
// cost proportional to the change; otherwise (another process wrote too) it reloads. Other
// replicas learn of the change from the store, as before.
func (a *App) commit(ctx context.Context, write func(ctx context.Context) error, d delta) error {
	var r gateway.CommitReceipt
	if err := write(gateway.WithCommitReceipt(ctx, &r)); err != nil {
		return err
	}
	if !a.applyCommitted(r.Version, d) {
		a.changed(ctx)
	}
	return nil
}

// applyCommitted swaps in d applied to the snapshot when that gives the state at version;
// false means a reload is needed.
func (a *App) applyCommitted(version int64, d delta) bool {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	cur := a.snap.Load()
	switch {
	case version == 0 || d == nil:
		return false
	case cur.Version >= version: // a reload since the commit already read it
		return true
	case cur.Version != version-1:
		return false
	}
	next := d(cur)
	if next == nil {
		return false
	}
	next.Version = version
	a.snap.Store(next)
	return true
}

// The deltas below mirror the StateStore mutation of the same name. Each keeps its own copy
// of what it puts in the snapshot, so callers may go on using the values they passed.

// withEndpoint is the delta of creating or replacing e (endpoints from the snapshot are
// read-only everywhere, so e itself is kept).
func withEndpoint(e *gateway.Endpoint) delta {
	return func(s *gateway.Snapshot) *gateway.Snapshot { return s.WithEndpoint(e) }
}

func withoutEndpoint(id string) delta {
	return func(s *gateway.Snapshot) *gateway.Snapshot { return s.WithoutEndpoint(id) }
}

func withUser(u *gateway.User) delta {
	c := *u
	return func(s *gateway.Snapshot) *gateway.Snapshot { return s.WithUser(&c) }
}

// userChange is the delta of changing the stored user id with change.
func userChange(id string, change func(*gateway.User)) delta {
	return func(s *gateway.Snapshot) *gateway.Snapshot {
		old := s.User(id)
		if old == nil {
			return nil
		}
		c := *old
		change(&c)
		return s.WithUser(&c)
	}
}

func withKey(k *gateway.APIKey) delta {
	c := *k
	return func(s *gateway.Snapshot) *gateway.Snapshot { return s.WithKey(&c) }
}

func withoutKey(id string) delta {
	return func(s *gateway.Snapshot) *gateway.Snapshot { return s.WithoutKey(id) }
}

// withNewOrg is the delta of CreateOrg: a member listed twice is stored once, where it was
// first listed, with the last role given.
func withNewOrg(o *gateway.Org) delta {
	c := *o
	c.Members = nil
	for _, m := range o.Members {
		c.Members = setMember(c.Members, m)
	}
	return func(s *gateway.Snapshot) *gateway.Snapshot { return s.WithOrg(&c) }
}

// orgChange is the delta of changing the stored organization id with change, which gets a
// copy with its own Members slice.
func orgChange(id string, change func(*gateway.Org)) delta {
	return func(s *gateway.Snapshot) *gateway.Snapshot {
		old := s.Org(id)
		if old == nil {
			return nil
		}
		c := *old
		c.Members = slices.Clone(old.Members)
		change(&c)
		return s.WithOrg(&c)
	}
}

// setMember adds m or changes the role of the member it names, keeping its place.
func setMember(members []gateway.OrgMember, m gateway.OrgMember) []gateway.OrgMember {
	for i := range members {
		if members[i].UserID == m.UserID {
			members[i].Role = m.Role
			return members
		}
	}
	return append(members, m)
}

func withoutOrg(id string) delta {
	return func(s *gateway.Snapshot) *gateway.Snapshot { return s.WithoutOrg(id) }
}

func withBudget(b *gateway.Budget) delta {
	c := *b
	return func(s *gateway.Snapshot) *gateway.Snapshot { return s.WithBudget(&c) }
}

func withoutBudget(id string) delta {
	return func(s *gateway.Snapshot) *gateway.Snapshot { return s.WithoutBudget(id) }
}
