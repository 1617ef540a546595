package domino

import (
	"encoding/json"
	"net/http"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
)

// userV1 is Domino's UserV1. llmgate has no avatars; the field is required, so it is "".
type userV1 struct {
	ID        string   `json:"id"`
	FirstName string   `json:"firstName"`
	LastName  string   `json:"lastName"`
	FullName  string   `json:"fullName"`
	UserName  string   `json:"userName"`
	AvatarURL string   `json:"avatarUrl"`
	Email     string   `json:"email"`
	Roles     []string `json:"roles"`
	IsActive  bool     `json:"isActive"` // [EXT] false once deactivated
}

// Domino role names for llmgate's two roles (docs/contract/domino-aigateway.md §3.10).
const (
	roleAdmin = "SysAdmin"
	roleUser  = "Practitioner"
)

func toUserV1(u *gateway.User) userV1 {
	role := roleUser
	if u.Admin {
		role = roleAdmin
	}
	return userV1{ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, FullName: u.FullName(),
		UserName: u.UserName, Email: u.Email, Roles: []string{role}, IsActive: u.Active()}
}

type userEnvelope struct {
	User     userV1   `json:"user"`
	Metadata metadata `json:"metadata"`
}

type userList struct {
	Users    []userV1      `json:"users"`
	Metadata pagedMetadata `json:"metadata"`
}

func (h *api) self(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	httpkit.WriteJSON(w, http.StatusOK, userEnvelope{User: toUserV1(p.User), Metadata: newMetadata(w, r)})
}

// listUsers shows every active user to every caller: admins need the ids for grants, and
// Domino lets anyone list "visible" users (docs/contract/domino-aigateway.md §8 U17). Admins also see deactivated users.
// [EXT] userName narrows to one exact name; q to users whose username, name or email contains
// it (any case), for type-ahead pickers.
func (h *api) listUsers(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	q := r.URL.Query()
	pg, err := parsePage(q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	users := h.app.Snapshot().Users()
	if !p.IsAdmin() {
		users = filter(users, (*gateway.User).Active)
	}
	if q.Has("userName") {
		users = filter(users, func(u *gateway.User) bool { return u.UserName == q.Get("userName") })
	}
	if q.Has("q") {
		users = filter(users, func(u *gateway.User) bool { return app.UserMatches(u, q.Get("q")) })
	}
	lo, hi := pg.window(len(users))
	out := userList{Users: make([]userV1, 0, hi-lo), Metadata: newPagedMetadata(w, r, pg, len(users))}
	for _, u := range users[lo:hi] {
		out.Users = append(out.Users, toUserV1(u))
	}
	httpkit.WriteJSON(w, http.StatusOK, out)
}

// createUser is llmgate's admin route for what `llmgate users create` does.
func (h *api) createUser(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	f, err := h.readFields(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in, err := decodeNewUser(f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.app.CreateUser(r.Context(), h.actor(r, p), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, userEnvelope{User: toUserV1(u), Metadata: newMetadata(w, r)})
}

// updateUser is llmgate's admin route [EXT] for what `llmgate users deactivate|reactivate`
// does: {"isActive": false} deactivates the user (its keys stop working on the next
// request), {"isActive": true} reactivates it.
func (h *api) updateUser(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	f, err := h.readFields(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.applyUserUpdate(r, p, f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, userEnvelope{User: toUserV1(u), Metadata: newMetadata(w, r)})
}

// applyUserUpdate applies isActive and/or admin (at least one is required), each through its
// own audited app operation.
func (h *api) applyUserUpdate(r *http.Request, p *gateway.Principal, f fields) (*gateway.User, error) {
	active, hasActive, err := f.boolean("isActive")
	if err != nil {
		return nil, err
	}
	admin, hasAdmin, err := adminField(f)
	if err != nil {
		return nil, err
	}
	if !hasActive && !hasAdmin {
		return nil, gateway.Errorf(gateway.CodeInvalid, "give isActive or admin")
	}
	id, act := r.PathValue("id"), h.actor(r, p)
	var u *gateway.User
	if hasAdmin {
		if u, err = h.app.SetUserAdmin(r.Context(), act, id, admin); err != nil {
			return nil, err
		}
	}
	if hasActive {
		u, err = h.app.SetUserActive(r.Context(), act, id, active)
	}
	return u, err
}

// adminField reads the admin role as `admin` (the name user creation takes) or `isAdmin` (the
// name that sits next to isActive); both given must agree.
func adminField(f fields) (admin, ok bool, err error) {
	admin, ok, err = f.boolean("admin")
	if err != nil {
		return false, false, err
	}
	isAdmin, isOK, err := f.boolean("isAdmin")
	switch {
	case err != nil:
		return false, false, err
	case ok && isOK && admin != isAdmin:
		return false, false, gateway.Errorf(gateway.CodeInvalid, "admin and isAdmin disagree; give one")
	case isOK:
		return isAdmin, true, nil
	}
	return admin, ok, nil
}

func decodeNewUser(f fields) (app.NewUser, error) {
	var in app.NewUser
	var err error
	if in.UserName, err = f.requiredStr("userName"); err != nil {
		return in, err
	}
	for name, dst := range map[string]*string{"email": &in.Email, "firstName": &in.FirstName, "lastName": &in.LastName} {
		if *dst, _, err = f.str(name); err != nil {
			return in, err
		}
	}
	in.Admin, _, err = f.boolean("admin")
	return in, err
}

// organizationV1 is Domino's OrganizationV1.
type organizationV1 struct {
	ID      string              `json:"id"`
	Name    string              `json:"name"`
	Members []gateway.OrgMember `json:"members"`
}

func toOrgV1(o *gateway.Org) organizationV1 {
	members := o.Members
	if members == nil {
		members = []gateway.OrgMember{}
	}
	return organizationV1{ID: o.ID, Name: o.Name, Members: members}
}

type orgEnvelope struct {
	Org      organizationV1 `json:"org"`
	Metadata metadata       `json:"metadata"`
}

type orgList struct {
	Orgs     []organizationV1 `json:"orgs"`
	Metadata pagedMetadata    `json:"metadata"`
}

// myOrgs lists the caller's own organizations, admins included (docs/contract/domino-aigateway.md §2.3).
func (h *api) myOrgs(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	snap := h.app.Snapshot()
	orgs := filter(snap.Orgs(), func(o *gateway.Org) bool { return isMember(o, p.User.ID) })
	h.writeOrgs(w, r, orgs)
}

// allOrgs lists every organization, optionally narrowed by name or member (admin only).
func (h *api) allOrgs(w http.ResponseWriter, r *http.Request, _ *gateway.Principal) {
	orgs := h.app.Snapshot().Orgs()
	if q := r.URL.Query(); q.Has("userIdFilter") {
		orgs = filter(orgs, func(o *gateway.Org) bool { return isMember(o, q.Get("userIdFilter")) })
	}
	h.writeOrgs(w, r, orgs)
}

func (h *api) writeOrgs(w http.ResponseWriter, r *http.Request, orgs []*gateway.Org) {
	q := r.URL.Query()
	pg, err := parsePage(q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if q.Has("nameFilter") {
		orgs = filter(orgs, func(o *gateway.Org) bool { return o.Name == q.Get("nameFilter") })
	}
	lo, hi := pg.window(len(orgs))
	out := orgList{Orgs: make([]organizationV1, 0, hi-lo), Metadata: newPagedMetadata(w, r, pg, len(orgs))}
	for _, o := range orgs[lo:hi] {
		out.Orgs = append(out.Orgs, toOrgV1(o))
	}
	httpkit.WriteJSON(w, http.StatusOK, out)
}

// getOrg is open to admins and to the organization's members; anyone else gets 403 whether
// or not the id exists.
func (h *api) getOrg(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	o := h.app.Snapshot().Org(r.PathValue("id"))
	if !p.IsAdmin() && (o == nil || !isMember(o, p.User.ID)) {
		h.fail(w, r, gateway.Errorf(gateway.CodeForbidden, "only administrators and members may read an organization"))
		return
	}
	h.writeOrg(w, r, r.PathValue("id"))
}

func (h *api) writeOrg(w http.ResponseWriter, r *http.Request, id string) {
	o := h.app.Snapshot().Org(id)
	if o == nil {
		h.fail(w, r, gateway.Errorf(gateway.CodeNotFound, "organization %q not found", truncate(id, 64)))
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, orgEnvelope{Org: toOrgV1(o), Metadata: newMetadata(w, r)})
}

func (h *api) createOrg(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	f, err := h.readFields(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	name, err := f.requiredStr("name")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	members, err := decodeMembers(f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	o, err := h.app.CreateOrg(r.Context(), h.actor(r, p), name, members)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeOrg(w, r, o.ID)
}

func decodeMembers(f fields) ([]gateway.OrgMember, error) {
	raw, ok := f["members"]
	if !ok || isNull(raw) {
		return nil, missing("members")
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return nil, wrongType("members", "an array of {userId, organizationRole} objects")
	}
	members := make([]gateway.OrgMember, 0, len(list))
	for _, item := range list {
		mf, err := parseFields(item)
		if err != nil {
			return nil, wrongType("members[]", "a {userId, organizationRole} object")
		}
		m, err := decodeMember(mf)
		if err != nil {
			return nil, prefixed(err, "members[].")
		}
		members = append(members, m)
	}
	return members, nil
}

func decodeMember(f fields) (gateway.OrgMember, error) {
	id, err := f.requiredStr("userId")
	if err != nil {
		return gateway.OrgMember{}, err
	}
	role, _, err := f.str("organizationRole")
	return gateway.OrgMember{UserID: id, Role: gateway.OrgRole(role)}, err
}

func (h *api) addOrgMember(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	f, err := h.readFields(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	m, err := decodeMember(f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.app.SetOrgMember(r.Context(), h.actor(r, p), r.PathValue("id"), m); err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeOrg(w, r, r.PathValue("id"))
}

func (h *api) removeOrgMember(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	orgID, userID := r.PathValue("id"), r.URL.Query().Get("memberToRemoveId")
	o := h.app.Snapshot().Org(orgID)
	switch {
	case o == nil:
		h.fail(w, r, gateway.Errorf(gateway.CodeNotFound, "organization %q not found", truncate(orgID, 64)))
		return
	case userID == "":
		h.fail(w, r, missing("memberToRemoveId"))
		return
	case !isMember(o, userID):
		h.fail(w, r, gateway.Errorf(gateway.CodeNotFound, "user %q is not a member of the organization", truncate(userID, 64)))
		return
	}
	if err := h.app.RemoveOrgMember(r.Context(), h.actor(r, p), orgID, userID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeOrg(w, r, orgID)
}

// renameOrg is PATCH …/organizations/{id} {"name": …} (llmgate extension).
func (h *api) renameOrg(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	f, err := h.readFields(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	name, err := f.requiredStr("name")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.app.RenameOrg(r.Context(), h.actor(r, p), r.PathValue("id"), name); err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeOrg(w, r, r.PathValue("id"))
}

// deleteOrg is DELETE …/organizations/{id} (llmgate extension).
func (h *api) deleteOrg(w http.ResponseWriter, r *http.Request, p *gateway.Principal) {
	if err := h.app.DeleteOrg(r.Context(), h.actor(r, p), r.PathValue("id")); err != nil {
		h.fail(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"metadata": newMetadata(w, r)})
}

func isMember(o *gateway.Org, userID string) bool {
	for _, m := range o.Members {
		if m.UserID == userID {
			return true
		}
	}
	return false
}

func filter[T any](list []T, keep func(T) bool) []T {
	out := make([]T, 0, len(list))
	for _, v := range list {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}
