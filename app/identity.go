package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// NewUser is the input of CreateUser.
type NewUser struct {
	UserName  string
	Email     string
	FirstName string
	LastName  string
	Admin     bool
}

// CreateUser adds a user. Only admins (or the CLI) may call it; the caller checks the role.
func (a *App) CreateUser(ctx context.Context, act Actor, in NewUser) (*gateway.User, error) {
	in.UserName = strings.TrimSpace(in.UserName)
	if err := checkProfile(in.UserName, in.Email, in.FirstName, in.LastName); err != nil {
		return nil, err
	}
	u := &gateway.User{ID: gateway.NewID(), UserName: in.UserName, Email: in.Email, FirstName: in.FirstName,
		LastName: in.LastName, Admin: in.Admin, CreatedAt: gateway.Now()}
	ev := act.event(gateway.KindCreateUser)
	ev.Metadata["userId"] = u.ID
	ev.Metadata["userName"] = u.UserName
	ev.Metadata["admin"] = strconv.FormatBool(u.Admin)
	if err := a.commit(ctx, func(ctx context.Context) error { return a.Store.CreateUser(ctx, u, ev) }, withUser(u)); err != nil {
		if gateway.ErrorCode(err) == gateway.CodeConflict {
			return nil, gateway.Errorf(gateway.CodeConflict, "a user named %q already exists", in.UserName)
		}
		return nil, err
	}
	return u, nil
}

// checkProfile validates what CreateUser and UpdateUser store about a person.
func checkProfile(userName, email, firstName, lastName string) error {
	if !gateway.ValidUserName(userName) {
		return gateway.Errorf(gateway.CodeInvalid, "userName must be 1-128 characters of letters, digits, '_', '.', '@' or '-'")
	}
	if len(email) > 320 || len(firstName) > 256 || len(lastName) > 256 {
		return gateway.Errorf(gateway.CodeInvalid, "email, firstName or lastName is too long")
	}
	if strings.ContainsRune(email+firstName+lastName, 0) {
		return gateway.Errorf(gateway.CodeInvalid, "email, firstName or lastName contains a NUL character")
	}
	if email != "" && !strings.Contains(email, "@") {
		return gateway.Errorf(gateway.CodeInvalid, "email %q is not an email address", truncate(email, 320))
	}
	return nil
}

// KeyPrefix starts every llmgate API key, so leaked keys are recognisable by scanners.
const KeyPrefix = "lgk_"

// NewKeyString returns a fresh random API key (256 bits).
func NewKeyString() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return KeyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// CreateKey issues a new key for userID. The plaintext key is returned once and never stored.
// presetKey, when non-empty, is used instead of a random key (bootstrap from
// LLMGATE_ADMIN_API_KEY).
func (a *App) CreateKey(ctx context.Context, act Actor, userID, name string, expiresIn time.Duration, presetKey string) (string, *gateway.APIKey, error) {
	if a.Snapshot().User(userID) == nil {
		if err := a.Reload(ctx); err != nil {
			return "", nil, err
		}
		if a.Snapshot().User(userID) == nil {
			return "", nil, gateway.Errorf(gateway.CodeNotFound, "user %s not found", userID)
		}
	}
	if !a.Snapshot().User(userID).Active() {
		return "", nil, gateway.Errorf(gateway.CodeInvalid, "user %s is deactivated; reactivate it before creating keys", userID)
	}
	if len(name) > 256 {
		return "", nil, gateway.Errorf(gateway.CodeInvalid, "key name is too long")
	}
	expiresIn, err := a.keyLifetime(act, expiresIn)
	if err != nil {
		return "", nil, err
	}
	key := presetKey
	if key == "" {
		key = NewKeyString()
	}
	if len(key) < 16 {
		return "", nil, gateway.Errorf(gateway.CodeInvalid, "API key must be at least 16 characters")
	}
	h := gateway.HashKey(key)
	now := gateway.Now()
	k := &gateway.APIKey{ID: gateway.NewID(), UserID: userID, Name: name, Hash: h[:], Prefix: key[:min(len(key), 8)], CreatedAt: now}
	if expiresIn > 0 {
		exp := now.Add(expiresIn)
		k.ExpiresAt = &exp
	}
	a.inheritFromParent(act, k)
	ev := act.event(gateway.KindCreateAPIKey)
	ev.Metadata["keyId"] = k.ID
	ev.Metadata["keyName"] = name
	ev.Metadata["userId"] = userID
	if u := a.Snapshot().User(userID); u != nil {
		ev.Metadata["userName"] = u.UserName
	}
	if k.ExpiresAt != nil {
		ev.Metadata["expiresAt"] = gateway.FormatTime(*k.ExpiresAt)
	}
	if k.ParentID != "" {
		ev.Metadata["parentKeyId"] = k.ParentID
	}
	if err := a.commit(ctx, func(ctx context.Context) error { return a.Store.CreateKey(ctx, k, ev) }, withKey(k)); err != nil {
		return "", nil, err
	}
	return key, k, nil
}

// MinKeyLifetime is the shortest expiry a key may be given: anything shorter is a mistake
// (a unit typo such as "1ns"), not a credential anyone can use.
const MinKeyLifetime = time.Minute

// keyLifetime checks a requested lifetime (0 = no expiry) and applies the maximum to keys a
// non-admin user creates for themselves over HTTP: no expiry becomes the maximum, a longer
// one is refused. Admins and the CLI (the operator) are not bounded.
func (a *App) keyLifetime(act Actor, d time.Duration) (time.Duration, error) {
	if d < 0 {
		return 0, gateway.Errorf(gateway.CodeInvalid, "expiry must be in the future")
	}
	if d > 0 && d < MinKeyLifetime {
		return 0, gateway.Errorf(gateway.CodeInvalid, "expiry must be at least %s", MinKeyLifetime)
	}
	if act.Principal == nil || act.Principal.IsAdmin() || a.maxKeyLifetime <= 0 {
		return d, nil
	}
	if d == 0 {
		return a.maxKeyLifetime, nil
	}
	if d > a.maxKeyLifetime {
		return 0, gateway.Errorf(gateway.CodeInvalid, "expiry must be at most %s (the gateway's maximum key lifetime)",
			FormatLifetime(a.maxKeyLifetime))
	}
	return d, nil
}

// inheritFromParent ties a key created with a key of the same user to that key: it expires
// no later than its parent and stops authenticating when the parent is revoked (the snapshot
// checks the chain). A key an admin makes for someone else has no parent: rotating the
// admin's own key must not end other users' keys.
func (a *App) inheritFromParent(act Actor, k *gateway.APIKey) {
	p := act.Principal
	if p == nil || p.KeyID == "" || p.User == nil || p.User.ID != k.UserID {
		return
	}
	k.ParentID = p.KeyID
	parent := a.Snapshot().Key(p.KeyID)
	if parent != nil && parent.ExpiresAt != nil && (k.ExpiresAt == nil || k.ExpiresAt.After(*parent.ExpiresAt)) {
		exp := *parent.ExpiresAt
		k.ExpiresAt = &exp
	}
}

// FormatLifetime shows a duration in whole days when it is one ("365d"), else as Go does.
func FormatLifetime(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

// RevokeKey revokes a key. A non-admin actor may only revoke their own keys; someone else's
// key answers not found, so key ids cannot be probed.
func (a *App) RevokeKey(ctx context.Context, act Actor, keyID string) error {
	if !gateway.ValidID(keyID) {
		return gateway.Errorf(gateway.CodeInvalid, "key id must be 24 hex characters")
	}
	k, err := a.Store.GetKey(ctx, keyID)
	if err != nil {
		return err
	}
	if act.Principal != nil && !act.Principal.IsAdmin() && k.UserID != act.Principal.User.ID {
		return gateway.Errorf(gateway.CodeNotFound, "key %s not found", keyID)
	}
	if k.RevokedAt != nil {
		return nil // already revoked: idempotent, no second event
	}
	ev := act.event(gateway.KindRevokeAPIKey)
	ev.Metadata["keyId"] = keyID
	ev.Metadata["userId"] = k.UserID
	err = a.commit(ctx, func(ctx context.Context) error { return a.Store.RevokeKey(ctx, keyID, gateway.Now(), ev) }, withoutKey(keyID))
	if err != nil {
		return err
	}
	return nil
}

// CreateOrg adds an organization with initial members.
func (a *App) CreateOrg(ctx context.Context, act Actor, name string, members []gateway.OrgMember) (*gateway.Org, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 256 || strings.ContainsRune(name, 0) {
		return nil, gateway.Errorf(gateway.CodeInvalid, "organization name must be 1-256 characters")
	}
	snap := a.Snapshot()
	for i, m := range members {
		if err := checkMember(snap, m); err != nil {
			return nil, err
		}
		if m.Role == "" {
			members[i].Role = gateway.OrgRoleMember
		}
	}
	o := &gateway.Org{ID: gateway.NewID(), Name: name, Members: members, CreatedAt: gateway.Now()}
	ev := act.event(gateway.KindCreateOrganization)
	ev.Metadata["organizationId"] = o.ID
	ev.Metadata["organizationName"] = name
	if err := a.commit(ctx, func(ctx context.Context) error { return a.Store.CreateOrg(ctx, o, ev) }, withNewOrg(o)); err != nil {
		if gateway.ErrorCode(err) == gateway.CodeConflict {
			return nil, gateway.Errorf(gateway.CodeConflict, "an organization named %q already exists", name)
		}
		return nil, err
	}
	return o, nil
}

func checkMember(snap *gateway.Snapshot, m gateway.OrgMember) error {
	if !gateway.ValidID(m.UserID) || snap.User(m.UserID) == nil {
		return gateway.Errorf(gateway.CodeInvalid, "member userId %q is not an existing user", m.UserID)
	}
	if m.Role != "" && m.Role != gateway.OrgRoleAdmin && m.Role != gateway.OrgRoleMember {
		return gateway.Errorf(gateway.CodeInvalid, "organizationRole must be \"admin\" or \"member\"")
	}
	return nil
}

// SetOrgMember adds a user to an organization, or changes the role of a member: an addition
// is an AddOrganizationMember event, a role change a ChangeOrganizationMemberRole event that
// also names the previous role, and setting the role a member already has records nothing.
func (a *App) SetOrgMember(ctx context.Context, act Actor, orgID string, m gateway.OrgMember) error {
	snap := a.Snapshot()
	o := snap.Org(orgID)
	if o == nil {
		return gateway.Errorf(gateway.CodeNotFound, "organization %s not found", orgID)
	}
	if err := checkMember(snap, m); err != nil {
		return err
	}
	if m.Role == "" {
		m.Role = gateway.OrgRoleMember
	}
	kind, previous := gateway.KindAddOrganizationMember, gateway.OrgRole("")
	for _, cur := range o.Members {
		if cur.UserID == m.UserID {
			if cur.Role == m.Role {
				return nil
			}
			kind, previous = gateway.KindChangeOrganizationMemberRole, cur.Role
		}
	}
	ev := act.event(kind)
	ev.Metadata["organizationId"] = orgID
	ev.Metadata["organizationName"] = o.Name
	ev.Metadata["userId"] = m.UserID
	if u := snap.User(m.UserID); u != nil {
		ev.Metadata["userName"] = u.UserName
	}
	ev.Metadata["organizationRole"] = string(m.Role)
	if previous != "" {
		ev.Metadata["previousRole"] = string(previous)
	}
	err := a.commit(ctx, func(ctx context.Context) error { return a.Store.SetOrgMember(ctx, orgID, m, ev) },
		orgChange(orgID, func(o *gateway.Org) { o.Members = setMember(o.Members, m) }))
	if err != nil {
		return err
	}
	return nil
}

// RemoveOrgMember removes a user from an organization; access through it ends at once.
func (a *App) RemoveOrgMember(ctx context.Context, act Actor, orgID, userID string) error {
	if a.Snapshot().Org(orgID) == nil {
		return gateway.Errorf(gateway.CodeNotFound, "organization %s not found", orgID)
	}
	ev := act.event(gateway.KindRemoveOrganizationMember)
	ev.Metadata["organizationId"] = orgID
	ev.Metadata["userId"] = userID
	err := a.commit(ctx, func(ctx context.Context) error { return a.Store.RemoveOrgMember(ctx, orgID, userID, ev) },
		orgChange(orgID, func(o *gateway.Org) {
			o.Members = slices.DeleteFunc(o.Members, func(m gateway.OrgMember) bool { return m.UserID == userID })
		}))
	if err != nil {
		return err
	}
	return nil
}

// ParseExpiry parses "90d", "12h", "30m" or any Go duration; "" and "never" mean no expiry.
func ParseExpiry(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "never" {
		return 0, nil
	}
	if strings.HasSuffix(s, "d") {
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err != nil || n <= 0 || n > 36500 {
			return 0, gateway.Errorf(gateway.CodeInvalid, "invalid expiry %q: use e.g. 90d, 12h or 30m", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, gateway.Errorf(gateway.CodeInvalid, "invalid expiry %q: use e.g. 90d, 12h or 30m", s)
	}
	return d, nil
}

// Bootstrap creates user "admin" with a key when no admin exists yet. presetKey comes from
// LLMGATE_ADMIN_API_KEY; when empty a key is generated and returned (created=true) so the
// caller can show it once.
func (a *App) Bootstrap(ctx context.Context, presetKey string) (key string, created bool, err error) {
	if admins, _ := a.Snapshot().CountAdmins(); admins > 0 {
		return "", false, nil
	}
	act := Actor{API: "bootstrap"}
	u, err := a.CreateUser(ctx, act, NewUser{UserName: "admin", Admin: true})
	if err != nil {
		if gateway.ErrorCode(err) == gateway.CodeConflict { // another replica won the race
			return "", false, a.Reload(ctx)
		}
		return "", false, fmt.Errorf("creating admin user: %w", err)
	}
	key, _, err = a.CreateKey(ctx, act, u.ID, "bootstrap", 0, presetKey)
	if err != nil {
		return "", false, fmt.Errorf("creating admin key: %w", err)
	}
	return key, true, nil
}
