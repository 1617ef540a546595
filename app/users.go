package app

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// SetUserActive deactivates (active=false) or reactivates a user. A deactivated user keeps
// its row, keys and memberships, so the audit trail still names it and reactivation restores
// it whole, but none of its keys authenticate from the next request on: the snapshot refuses
// them. Deactivating the last active administrator is refused, since nobody could then undo
// it over HTTP. Setting the state a user already has records no event.
func (a *App) SetUserActive(ctx context.Context, act Actor, userID string, active bool) (*gateway.User, error) {
	if act.Principal != nil && !act.Principal.IsAdmin() {
		return nil, gateway.Errorf(gateway.CodeForbidden, "only administrators may deactivate or reactivate users")
	}
	u, err := a.userForChange(ctx, userID)
	if err != nil {
		return nil, err
	}
	if u.Active() == active {
		return u, nil
	}
	kind, deactivatedAt := gateway.KindReactivateUser, (*time.Time)(nil)
	if !active {
		if u.Admin && a.activeAdmins() == 1 {
			return nil, gateway.Errorf(gateway.CodeInvalid, "user %q is the last active administrator and cannot be deactivated", u.UserName)
		}
		now := gateway.Now()
		kind, deactivatedAt = gateway.KindDeactivateUser, &now
	}
	ev := act.event(kind)
	ev.Metadata["userId"] = u.ID
	ev.Metadata["userName"] = u.UserName
	err = a.commit(ctx, func(ctx context.Context) error { return a.Store.SetUserDeactivated(ctx, u.ID, deactivatedAt, ev) },
		userChange(u.ID, func(u *gateway.User) { u.DeactivatedAt = deactivatedAt }))
	if err != nil {
		if errors.Is(err, gateway.ErrLastAdmin) { // another change got there first
			return nil, gateway.Errorf(gateway.CodeInvalid, "user %q is the last active administrator and cannot be deactivated", u.UserName)
		}
		return nil, err
	}
	if now := a.Snapshot().User(u.ID); now != nil {
		return now, nil
	}
	return u, nil
}

// userForChange finds a user by id, reloading once on a miss (it may have just been created
// by another process).
func (a *App) userForChange(ctx context.Context, id string) (*gateway.User, error) {
	if u := a.Snapshot().User(id); u != nil {
		return u, nil
	}
	if err := a.Reload(ctx); err != nil {
		return nil, err
	}
	if u := a.Snapshot().User(id); u != nil {
		return u, nil
	}
	return nil, gateway.Errorf(gateway.CodeNotFound, "user %q not found", truncate(id, 64))
}

func (a *App) activeAdmins() int {
	_, active := a.Snapshot().CountAdmins()
	return active
}

// UserUpdate is the input of UpdateUser; nil fields stay as they are.
type UserUpdate struct {
	UserName, Email, FirstName, LastName *string
}

// UpdateUser changes a user's name, email or names (an identity provider renaming someone).
// The id, keys, memberships and audit history stay; a taken name is CodeConflict. A change
// to nothing records no event.
func (a *App) UpdateUser(ctx context.Context, act Actor, userID string, in UserUpdate) (*gateway.User, error) {
	if err := requireAdminTo(act, "change users"); err != nil {
		return nil, err
	}
	u, err := a.userForChange(ctx, userID)
	if err != nil {
		return nil, err
	}
	next := *u
	var fields []string
	for _, f := range []struct {
		name string
		in   *string
		dst  *string
	}{{"userName", in.UserName, &next.UserName}, {"email", in.Email, &next.Email},
		{"firstName", in.FirstName, &next.FirstName}, {"lastName", in.LastName, &next.LastName}} {
		if f.in != nil && strings.TrimSpace(*f.in) != *f.dst {
			*f.dst = strings.TrimSpace(*f.in)
			fields = append(fields, f.name)
		}
	}
	if len(fields) == 0 {
		return u, nil
	}
	if err := checkProfile(next.UserName, next.Email, next.FirstName, next.LastName); err != nil {
		return nil, err
	}
	ev := act.event(gateway.KindUpdateUser)
	ev.Metadata["userId"] = u.ID
	ev.Metadata["userName"] = next.UserName
	ev.Metadata["fields"] = strings.Join(fields, ",")
	if next.UserName != u.UserName {
		ev.Metadata["previousUserName"] = u.UserName
	}
	err = a.commit(ctx, func(ctx context.Context) error { return a.Store.UpdateUser(ctx, &next, ev) },
		userChange(u.ID, func(c *gateway.User) {
			c.UserName, c.Email, c.FirstName, c.LastName = next.UserName, next.Email, next.FirstName, next.LastName
		}))
	if err != nil {
		if gateway.ErrorCode(err) == gateway.CodeConflict {
			return nil, gateway.Errorf(gateway.CodeConflict, "a user named %q already exists", next.UserName)
		}
		return nil, err
	}
	return a.userForChange(ctx, u.ID)
}
