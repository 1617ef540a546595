package app

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// Identities from an external identity provider (OIDC sign-in, IdP-issued bearer JWTs). The
// provider vouches for a username and groups; llmgate creates the user on first sight (just in
// time) and, on every sign-in or new token, makes the user's administrator role and the
// memberships of mapped organizations match the groups — so a group removed at the IdP takes
// away what it granted on the user's next sign-in or token.

// ExternalIdentity is what a provider says about a user.
type ExternalIdentity struct {
	// Method names the provider as sessions and audit events record it: "oidc:<name>".
	Method    string
	Subject   string
	UserName  string
	Email     string
	FirstName string
	LastName  string
	Groups    []string
	// Expiry is when the provider's assertion (ID token, bearer JWT) stops being valid.
	Expiry time.Time
}

// OrgMapping grants membership of organization Org with Role to members of IdP group Group.
type OrgMapping struct {
	Group string
	Org   string
	Role  gateway.OrgRole
}

// GroupMapping is how a provider's groups become llmgate roles and organizations.
type GroupMapping struct {
	// AdminGroups make their members administrators; when empty the provider never changes
	// who is an administrator.
	AdminGroups []string
	Orgs        []OrgMapping
}

// SyncExternalUser finds the user ident names, creating it when new, and applies m: the
// administrator role (when AdminGroups is set) and the mapped organizations' memberships. Each
// change is an ordinary audited admin operation performed by "llmgate-<provider>". A
// deactivated user is refused.
func (a *App) SyncExternalUser(ctx context.Context, c Caller, ident ExternalIdentity, m GroupMapping) (*gateway.User, error) {
	act := c.Actor(nil, ident.Method)
	u := a.Snapshot().UserByName(ident.UserName)
	if u == nil && a.RefreshOnMiss(ctx) {
		u = a.Snapshot().UserByName(ident.UserName)
	}
	if u == nil {
		created, err := a.CreateUser(ctx, act, NewUser{UserName: ident.UserName, Email: ident.Email,
			FirstName: ident.FirstName, LastName: ident.LastName})
		if err != nil && gateway.ErrorCode(err) != gateway.CodeConflict { // a concurrent first sign-in won
			return nil, err
		}
		if u = created; u == nil {
			a.RefreshOnMiss(ctx)
			if u = a.Snapshot().UserByName(ident.UserName); u == nil {
				return nil, err
			}
		}
	}
	if !u.Active() {
		return nil, gateway.Errorf(gateway.CodeUnauthenticated, "user %q is deactivated", u.UserName)
	}
	if err := a.syncAdmin(ctx, act, u, ident.Groups, m.AdminGroups); err != nil {
		return nil, err
	}
	if err := a.syncOrgs(ctx, act, u, ident.Groups, m.Orgs); err != nil {
		return nil, err
	}
	return a.Snapshot().User(u.ID), nil
}

func (a *App) syncAdmin(ctx context.Context, act Actor, u *gateway.User, groups, adminGroups []string) error {
	if len(adminGroups) == 0 {
		return nil
	}
	want := slices.ContainsFunc(groups, func(g string) bool { return slices.Contains(adminGroups, g) })
	if u.Admin == want {
		return nil
	}
	_, err := a.SetUserAdmin(ctx, act, u.ID, want)
	if err != nil && !want && gateway.ErrorCode(err) == gateway.CodeInvalid {
		a.Log.Warn("the identity provider no longer lists the last active administrator in an admin group; keeping the role",
			"user", u.UserName)
		return nil
	}
	return err
}

// syncOrgs makes the user's memberships of every mapped organization match its groups: the
// highest role any of its groups grants, or none. Organizations no mapping names are left alone.
func (a *App) syncOrgs(ctx context.Context, act Actor, u *gateway.User, groups []string, maps []OrgMapping) error {
	want := map[string]gateway.OrgRole{} // org name → role; "" = must not be a member
	for _, om := range maps {
		if _, seen := want[om.Org]; !seen {
			want[om.Org] = ""
		}
		if slices.Contains(groups, om.Group) && want[om.Org] != gateway.OrgRoleAdmin {
			want[om.Org] = om.Role
			if om.Role == "" {
				want[om.Org] = gateway.OrgRoleMember
			}
		}
	}
	for name, role := range want {
		if err := a.syncOrg(ctx, act, u, name, role); err != nil {
			return err
		}
	}
	return nil
}

func (a *App) syncOrg(ctx context.Context, act Actor, u *gateway.User, name string, role gateway.OrgRole) error {
	o := a.Snapshot().OrgByName(name)
	if o == nil && role == "" {
		return nil
	}
	if o == nil {
		created, err := a.CreateOrg(ctx, act, name, nil)
		if err != nil && gateway.ErrorCode(err) != gateway.CodeConflict {
			return err
		}
		if o = created; o == nil {
			a.RefreshOnMiss(ctx)
			if o = a.Snapshot().OrgByName(name); o == nil {
				return err
			}
		}
	}
	current := memberRole(o, u.ID)
	switch {
	case current == role:
		return nil
	case role == "":
		return a.RemoveOrgMember(ctx, act, o.ID, u.ID)
	default:
		return a.SetOrgMember(ctx, act, o.ID, gateway.OrgMember{UserID: u.ID, Role: role})
	}
}

func memberRole(o *gateway.Org, userID string) gateway.OrgRole {
	for _, m := range o.Members {
		if m.UserID == userID {
			return m.Role
		}
	}
	return ""
}

// SignInExternal opens a console session for an identity a provider vouched for (after
// SyncExternalUser). A refusal is audited as a failed sign-in with its reason.
func (a *App) SignInExternal(ctx context.Context, c Caller, ident ExternalIdentity, m GroupMapping) (string, *gateway.Session, error) {
	if err := a.takeSignIn(ctx, c, ident.UserName); err != nil {
		a.auditSignIn(c, nil, ident.UserName, ident.Method, "rate limited")
		return "", nil, err
	}
	u, err := a.SyncExternalUser(ctx, c, ident, m)
	if err != nil {
		a.auditSignIn(c, nil, ident.UserName, ident.Method, errorReason(err))
		return "", nil, err
	}
	return a.StartSession(ctx, c, u, "", ident.Method, gateway.Now().Add(SessionLifetime))
}

// AuditSignInFailure records a sign-in that failed before an identity was known (a bad state,
// a refused token), with its reason.
func (a *App) AuditSignInFailure(c Caller, method, reason string) {
	a.auditSignIn(c, nil, "", method, reason)
}

func errorReason(err error) string {
	msg := gateway.AsError(err).Message
	return strings.TrimSpace(truncate(msg, 200))
}
