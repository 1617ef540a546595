package app

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/llmgate/llmgate/gateway"
)

// SetUserAdmin makes a user an administrator (admin=true) or takes that away. Unmaking the
// last active administrator is refused: nobody could then manage the gateway over HTTP.
// Setting the role a user already has records no event.
func (a *App) SetUserAdmin(ctx context.Context, act Actor, userID string, admin bool) (*gateway.User, error) {
	if err := requireAdminTo(act, "make or unmake administrators"); err != nil {
		return nil, err
	}
	u, err := a.userForChange(ctx, userID)
	if err != nil {
		return nil, err
	}
	if u.Admin == admin {
		return u, nil
	}
	if !admin && u.Active() && a.activeAdmins() == 1 {
		return nil, gateway.Errorf(gateway.CodeInvalid, "user %q is the last active administrator and must stay one", u.UserName)
	}
	ev := act.event(gateway.KindSetUserAdmin)
	ev.Metadata["userId"] = u.ID
	ev.Metadata["userName"] = u.UserName
	ev.Metadata["admin"] = strconv.FormatBool(admin)
	err = a.commit(ctx, func(ctx context.Context) error { return a.Store.SetUserAdmin(ctx, u.ID, admin, ev) },
		userChange(u.ID, func(u *gateway.User) { u.Admin = admin }))
	if err != nil {
		if errors.Is(err, gateway.ErrLastAdmin) { // another change got there first
			return nil, gateway.Errorf(gateway.CodeInvalid, "user %q is the last active administrator and must stay one", u.UserName)
		}
		return nil, err
	}
	if now := a.Snapshot().User(u.ID); now != nil {
		return now, nil
	}
	return u, nil
}

// orgForChange finds an organization by id, reloading once on a miss.
func (a *App) orgForChange(ctx context.Context, id string) (*gateway.Org, error) {
	if o := a.Snapshot().Org(id); o != nil {
		return o, nil
	}
	if a.RefreshOnMiss(ctx) {
		if o := a.Snapshot().Org(id); o != nil {
			return o, nil
		}
	}
	return nil, gateway.Errorf(gateway.CodeNotFound, "organization %q not found", truncate(id, 64))
}

// RenameOrg gives an organization a new, unused name; its members and permissions stay.
func (a *App) RenameOrg(ctx context.Context, act Actor, orgID, name string) (*gateway.Org, error) {
	if err := requireAdminTo(act, "rename organizations"); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 256 || strings.ContainsRune(name, 0) {
		return nil, gateway.Errorf(gateway.CodeInvalid, "organization name must be 1-256 characters")
	}
	o, err := a.orgForChange(ctx, orgID)
	if err != nil || o.Name == name {
		return o, err
	}
	ev := act.event(gateway.KindRenameOrganization)
	ev.Metadata["organizationId"] = o.ID
	ev.Metadata["organizationName"] = name
	ev.Metadata["previousName"] = o.Name
	err = a.commit(ctx, func(ctx context.Context) error { return a.Store.RenameOrg(ctx, o.ID, name, ev) },
		orgChange(o.ID, func(o *gateway.Org) { o.Name = name }))
	if err != nil {
		if gateway.ErrorCode(err) == gateway.CodeConflict {
			return nil, gateway.Errorf(gateway.CodeConflict, "an organization named %q already exists", name)
		}
		return nil, err
	}
	return a.orgForChange(ctx, o.ID)
}

// DeleteOrg removes an organization: its members lose what it granted on their next request.
// Endpoints that named it (in organizationIds or userIds) stop naming it first (each an audited permission change), so no
// endpoint keeps a grant to an organization that no longer exists. A budget that names it
// must go first.
func (a *App) DeleteOrg(ctx context.Context, act Actor, orgID string) error {
	if err := requireAdminTo(act, "delete organizations"); err != nil {
		return err
	}
	o, err := a.orgForChange(ctx, orgID)
	if err != nil {
		return err
	}
	for _, b := range a.Snapshot().Budgets() {
		if b.Scope == "organization" && b.ScopeID == o.ID {
			return gateway.Errorf(gateway.CodeInvalid, "budget %s is set for organization %q: delete it first", b.ID, o.Name)
		}
	}
	for _, e := range a.Snapshot().Endpoints() {
		// Domino's userIds may name organizations too, so both lists lose the id.
		perms, named := e.Permissions.Without(o.ID)
		if !named {
			continue
		}
		if _, err := a.UpdatePermissions(ctx, act, e.Name, PermissionsPatch{UserIDs: perms.UserIDs, OrganizationIDs: perms.OrganizationIDs}); err != nil {
			return err
		}
	}
	ev := act.event(gateway.KindDeleteOrganization)
	ev.Metadata["organizationId"] = o.ID
	ev.Metadata["organizationName"] = o.Name
	return a.commit(ctx, func(ctx context.Context) error { return a.Store.DeleteOrg(ctx, o.ID, ev) }, withoutOrg(o.ID))
}
