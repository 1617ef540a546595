package app

import (
	"context"
	"strings"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/identity/scim"
)

// SCIM provisioning (RFC 7644) as llmgate operations: an identity provider creates users,
// deactivates them when people leave, and keeps organizations (SCIM groups) and their members
// in step. Every change is an ordinary audited operation performed by "llmgate-scim". llmgate
// never deletes a user row: deprovisioning (active=false or DELETE) deactivates the user,
// revokes every key and ends every console session, so the next request anywhere is refused.

// Kinds of SCIM resources, as SCIMLinkStore records externalIds.
const (
	SCIMUserKind  = "User"
	SCIMGroupKind = "Group"
)

// SCIMUsers returns the users passing f (nil: all), oldest first, paged, and how many passed.
func (a *App) SCIMUsers(ctx context.Context, f *scim.Filter, p Page) ([]*gateway.User, int, error) {
	linked, err := a.linkedTo(ctx, SCIMUserKind, f)
	if err != nil {
		return nil, 0, err
	}
	var out []*gateway.User
	for _, u := range a.Snapshot().Users() {
		if linked != nil && linked[u.ID] || linked == nil && f.Matches(map[string]string{"userName": u.UserName, "id": u.ID, "displayName": u.FullName()}) {
			out = append(out, u)
		}
	}
	return window(out, p), len(out), nil
}

// linkedTo answers an externalId filter from the store: the ids linked to its value (a
// non-nil set, maybe empty). Any other filter is nil: the caller matches the snapshot.
func (a *App) linkedTo(ctx context.Context, kind string, f *scim.Filter) (map[string]bool, error) {
	if f == nil || f.Attr != "externalId" {
		return nil, nil
	}
	if strings.ContainsRune(f.Value, 0) { // no externalId holds one (setExternalID refuses it)
		return map[string]bool{}, nil
	}
	ids, err := a.Store.ResourcesByExternalID(ctx, kind, f.Value)
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set, nil
}

// SCIMExternalIDs returns the externalIds of the given resources (those that have one).
func (a *App) SCIMExternalIDs(ctx context.Context, kind string, ids []string) (map[string]string, error) {
	return a.Store.ExternalIDs(ctx, kind, ids)
}

// setExternalID records the IdP's externalId when the request carried one (nil: unchanged).
func (a *App) setExternalID(ctx context.Context, kind, id string, ext *string) error {
	if ext == nil {
		return nil
	}
	if len(*ext) > 1024 || strings.ContainsRune(*ext, 0) {
		return gateway.Errorf(gateway.CodeInvalid, "externalId must be at most 1024 characters, without NUL")
	}
	return a.Store.SetExternalID(ctx, kind, id, *ext)
}

// SCIMUser returns one user; unknown is CodeNotFound.
func (a *App) SCIMUser(ctx context.Context, id string) (*gateway.User, error) {
	return a.userForChange(ctx, id)
}

// SCIMGroupsOf lists the organizations userID belongs to.
func (a *App) SCIMGroupsOf(userID string) []*gateway.Org {
	snap := a.Snapshot()
	var out []*gateway.Org
	for _, id := range snap.OrgsOf(userID) {
		if o := snap.Org(id); o != nil {
			out = append(out, o)
		}
	}
	return out
}

// SCIMCreateUser creates a user from a provisioning request; one created inactive is
// deprovisioned at once. A taken userName is CodeConflict.
func (a *App) SCIMCreateUser(ctx context.Context, act Actor, p scim.Profile) (*gateway.User, error) {
	if len(p.ExternalID) > 1024 || strings.ContainsRune(p.ExternalID, 0) {
		return nil, gateway.Errorf(gateway.CodeInvalid, "externalId must be at most 1024 characters, without NUL")
	}
	u, err := a.CreateUser(ctx, act, NewUser{UserName: p.UserName, Email: p.Email, FirstName: p.GivenName, LastName: p.FamilyName})
	if err != nil {
		return nil, err
	}
	if err := a.setExternalID(ctx, SCIMUserKind, u.ID, &p.ExternalID); err != nil {
		return nil, err
	}
	if !p.Active {
		return a.DeprovisionUser(ctx, act, u.ID)
	}
	return u, nil
}

// SCIMReplaceUser applies a PUT: the user's name, email and names become the request's (an
// absent email or name clears it), then its active state.
func (a *App) SCIMReplaceUser(ctx context.Context, act Actor, id string, p scim.Profile) (*gateway.User, error) {
	active := p.Active
	return a.SCIMPatchUser(ctx, act, id, scim.UserChanges{UserName: &p.UserName, Email: &p.Email,
		GivenName: &p.GivenName, FamilyName: &p.FamilyName, ExternalID: &p.ExternalID, Active: &active})
}

// SCIMPatchUser applies a PATCH's changes: profile attributes through UpdateUser (audited
// UpdateUser), then active=false deprovisions and active=true reactivates (the keys revoked
// at deprovisioning stay revoked).
func (a *App) SCIMPatchUser(ctx context.Context, act Actor, id string, c scim.UserChanges) (*gateway.User, error) {
	u, err := a.UpdateUser(ctx, act, id, UserUpdate{UserName: c.UserName, Email: c.Email, FirstName: c.GivenName, LastName: c.FamilyName})
	if err != nil {
		return nil, err
	}
	if err := a.setExternalID(ctx, SCIMUserKind, u.ID, c.ExternalID); err != nil {
		return nil, err
	}
	switch {
	case c.Active == nil:
		return u, nil
	case *c.Active:
		return a.SetUserActive(ctx, act, u.ID, true)
	default:
		return a.DeprovisionUser(ctx, act, u.ID)
	}
}

// DeprovisionUser deactivates a user, then revokes every key it still has and ends its
// console sessions. Deactivation comes first: from that commit on every replica refuses the
// user's keys, whatever happens to the rest. Each step is idempotent, so a retried
// deprovisioning finishes what a failed one started.
func (a *App) DeprovisionUser(ctx context.Context, act Actor, id string) (*gateway.User, error) {
	u, err := a.SetUserActive(ctx, act, id, false)
	if err != nil {
		return nil, err
	}
	keys, err := a.Store.ListKeys(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if k.RevokedAt == nil {
			if err := a.RevokeKey(ctx, act, k.ID); err != nil {
				return nil, err
			}
		}
	}
	if _, err := a.EndUserSessions(ctx, u.ID); err != nil {
		return nil, err
	}
	return u, nil
}

// EndUserSessions signs a user out of the console everywhere and says how many sessions
// there were.
func (a *App) EndUserSessions(ctx context.Context, userID string) (int, error) {
	return a.Store.DeleteUserSessions(ctx, userID)
}

// SCIMGroups returns the organizations passing f (nil: all), by name, paged.
func (a *App) SCIMGroups(ctx context.Context, f *scim.Filter, p Page) ([]*gateway.Org, int, error) {
	linked, err := a.linkedTo(ctx, SCIMGroupKind, f)
	if err != nil {
		return nil, 0, err
	}
	var out []*gateway.Org
	for _, o := range a.Snapshot().Orgs() {
		if linked != nil && linked[o.ID] || linked == nil && f.Matches(map[string]string{"displayName": o.Name, "id": o.ID}) {
			out = append(out, o)
		}
	}
	return window(out, p), len(out), nil
}

// SCIMGroup returns one organization; unknown is CodeNotFound.
func (a *App) SCIMGroup(ctx context.Context, id string) (*gateway.Org, error) {
	return a.orgForChange(ctx, id)
}

// SCIMCreateGroup creates an organization with members (each an existing user id).
func (a *App) SCIMCreateGroup(ctx context.Context, act Actor, name, externalID string, memberIDs []string) (*gateway.Org, error) {
	if len(externalID) > 1024 || strings.ContainsRune(externalID, 0) {
		return nil, gateway.Errorf(gateway.CodeInvalid, "externalId must be at most 1024 characters, without NUL")
	}
	members := make([]gateway.OrgMember, len(memberIDs))
	for i, id := range memberIDs {
		members[i] = gateway.OrgMember{UserID: id, Role: gateway.OrgRoleMember}
	}
	o, err := a.CreateOrg(ctx, act, name, members)
	if err != nil {
		return nil, err
	}
	return o, a.setExternalID(ctx, SCIMGroupKind, o.ID, &externalID)
}

// SCIMPatchGroup renames an organization and adds or removes members as the patch says; a
// member keeps the role it had. PUT arrives here too, as a replacement of every member.
func (a *App) SCIMPatchGroup(ctx context.Context, act Actor, id string, c scim.GroupChanges) (*gateway.Org, error) {
	o, err := a.orgForChange(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.DisplayName != nil {
		if o, err = a.RenameOrg(ctx, act, o.ID, *c.DisplayName); err != nil {
			return nil, err
		}
	}
	if err := a.setExternalID(ctx, SCIMGroupKind, o.ID, c.ExternalID); err != nil {
		return nil, err
	}
	current := make([]string, len(o.Members))
	for i, m := range o.Members {
		current[i] = m.UserID
	}
	add, remove := c.MemberDiff(current)
	for _, uid := range add {
		if err := a.SetOrgMember(ctx, act, o.ID, gateway.OrgMember{UserID: uid, Role: gateway.OrgRoleMember}); err != nil {
			return nil, err
		}
	}
	for _, uid := range remove {
		if err := a.RemoveOrgMember(ctx, act, o.ID, uid); err != nil {
			return nil, err
		}
	}
	return a.orgForChange(ctx, o.ID)
}
