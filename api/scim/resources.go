package scim

import (
	"context"
	"net/http"
	"strings"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/identity/scim"
)

// renderUsers renders users with their externalIds (one store read for the page).
func (s *surface) renderUsers(r *http.Request, users ...*gateway.User) ([]*scim.User, error) {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	ext, err := s.a.SCIMExternalIDs(r.Context(), app.SCIMUserKind, ids)
	if err != nil {
		return nil, err
	}
	base := s.base(r)
	out := make([]*scim.User, len(users))
	for i, u := range users {
		var groups []scim.Ref
		for _, o := range s.a.SCIMGroupsOf(u.ID) {
			groups = append(groups, scim.Ref{Value: o.ID, Ref: base + "/Groups/" + o.ID, Display: o.Name})
		}
		out[i] = scim.FromUser(u, ext[u.ID], groups, base)
	}
	return out, nil
}

// writeUser answers one user.
func (s *surface) writeUser(w http.ResponseWriter, r *http.Request, status int, u *gateway.User) error {
	out, err := s.renderUsers(r, u)
	if err != nil {
		return err
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", out[0].Meta.Location)
	}
	writeJSON(w, status, out[0])
	return nil
}

// renderGroups renders organizations with their externalIds.
func (s *surface) renderGroups(r *http.Request, withMembers bool, orgs ...*gateway.Org) ([]*scim.Group, error) {
	ids := make([]string, len(orgs))
	for i, o := range orgs {
		ids[i] = o.ID
	}
	ext, err := s.a.SCIMExternalIDs(r.Context(), app.SCIMGroupKind, ids)
	if err != nil {
		return nil, err
	}
	snap := s.a.Snapshot()
	name := func(id string) string {
		if u := snap.User(id); u != nil {
			return u.UserName
		}
		return ""
	}
	out := make([]*scim.Group, len(orgs))
	for i, o := range orgs {
		out[i] = scim.FromOrg(o, name, s.base(r), withMembers)
		out[i].ExternalID = ext[o.ID]
	}
	return out, nil
}

// writeGroup answers one group.
func (s *surface) writeGroup(w http.ResponseWriter, r *http.Request, status int, o *gateway.Org, withMembers bool) error {
	out, err := s.renderGroups(r, withMembers, o)
	if err != nil {
		return err
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", out[0].Meta.Location)
	}
	writeJSON(w, status, out[0])
	return nil
}

func (s *surface) listUsers(w http.ResponseWriter, r *http.Request, _ app.Actor) error {
	return listed(w, r, s.a.SCIMUsers, func(users []*gateway.User) ([]*scim.User, error) { return s.renderUsers(r, users...) })
}

// listed answers a list request: the filter and page the query asks for, that page from
// fetch, rendered.
func listed[T, R any](w http.ResponseWriter, r *http.Request, fetch func(context.Context, *scim.Filter, app.Page) ([]T, int, error),
	render func([]T) ([]R, error)) error {
	f, err := scim.ParseFilter(r.URL.Query().Get("filter"))
	if err != nil {
		return err
	}
	p, start, err := page(r)
	if err != nil {
		return err
	}
	found, total, err := fetch(r.Context(), f, p)
	if err != nil {
		return err
	}
	rendered, err := render(found)
	if err != nil {
		return err
	}
	items := make([]any, len(rendered))
	for i, v := range rendered {
		items[i] = v
	}
	writeJSON(w, http.StatusOK, list(total, start, items))
	return nil
}

func (s *surface) getUser(w http.ResponseWriter, r *http.Request, _ app.Actor) error {
	u, err := s.a.SCIMUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.writeUser(w, r, http.StatusOK, u)
}

func (s *surface) decodeUser(r *http.Request) (scim.Profile, error) {
	body, err := s.body(r)
	if err != nil {
		return scim.Profile{}, err
	}
	u, err := scim.DecodeUser(body)
	if err != nil {
		return scim.Profile{}, syntaxError(err)
	}
	return scim.ProfileOf(u), nil
}

func (s *surface) createUser(w http.ResponseWriter, r *http.Request, act app.Actor) error {
	p, err := s.decodeUser(r)
	if err != nil {
		return err
	}
	u, err := s.a.SCIMCreateUser(r.Context(), act, p)
	if err != nil {
		return err
	}
	return s.writeUser(w, r, http.StatusCreated, u)
}

func (s *surface) replaceUser(w http.ResponseWriter, r *http.Request, act app.Actor) error {
	p, err := s.decodeUser(r)
	if err != nil {
		return err
	}
	u, err := s.a.SCIMReplaceUser(r.Context(), act, r.PathValue("id"), p)
	if err != nil {
		return err
	}
	return s.writeUser(w, r, http.StatusOK, u)
}

func (s *surface) decodePatch(r *http.Request) (*scim.Patch, error) {
	body, err := s.body(r)
	if err != nil {
		return nil, err
	}
	p, err := scim.DecodePatch(body)
	return p, syntaxError(err)
}

func (s *surface) patchUser(w http.ResponseWriter, r *http.Request, act app.Actor) error {
	p, err := s.decodePatch(r)
	if err != nil {
		return err
	}
	c, err := p.UserChanges()
	if err != nil {
		return syntaxError(err)
	}
	u, err := s.a.SCIMPatchUser(r.Context(), act, r.PathValue("id"), c)
	if err != nil {
		return err
	}
	return s.writeUser(w, r, http.StatusOK, u)
}

// deleteUser deprovisions: llmgate keeps the row (the audit trail names it), deactivated,
// with every key revoked and every session ended.
func (s *surface) deleteUser(w http.ResponseWriter, r *http.Request, act app.Actor) error {
	if _, err := s.a.DeprovisionUser(r.Context(), act, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// withMembers: Entra asks for groups with excludedAttributes=members; big groups stay cheap.
func withMembers(r *http.Request) bool {
	for _, a := range strings.Split(r.URL.Query().Get("excludedAttributes"), ",") {
		if strings.EqualFold(strings.TrimSpace(a), "members") {
			return false
		}
	}
	return true
}

func (s *surface) listGroups(w http.ResponseWriter, r *http.Request, _ app.Actor) error {
	members := withMembers(r)
	return listed(w, r, s.a.SCIMGroups, func(orgs []*gateway.Org) ([]*scim.Group, error) { return s.renderGroups(r, members, orgs...) })
}

func (s *surface) getGroup(w http.ResponseWriter, r *http.Request, _ app.Actor) error {
	o, err := s.a.SCIMGroup(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.writeGroup(w, r, http.StatusOK, o, withMembers(r))
}

func (s *surface) decodeGroup(r *http.Request) (*scim.Group, error) {
	body, err := s.body(r)
	if err != nil {
		return nil, err
	}
	g, err := scim.DecodeGroup(body)
	return g, syntaxError(err)
}

func (s *surface) createGroup(w http.ResponseWriter, r *http.Request, act app.Actor) error {
	g, err := s.decodeGroup(r)
	if err != nil {
		return err
	}
	o, err := s.a.SCIMCreateGroup(r.Context(), act, g.DisplayName, g.ExternalID, scim.MemberIDs(g.Members))
	if err != nil {
		return err
	}
	return s.writeGroup(w, r, http.StatusCreated, o, true)
}

func (s *surface) replaceGroup(w http.ResponseWriter, r *http.Request, act app.Actor) error {
	g, err := s.decodeGroup(r)
	if err != nil {
		return err
	}
	o, err := s.a.SCIMPatchGroup(r.Context(), act, r.PathValue("id"), scim.ReplaceGroup(g))
	if err != nil {
		return err
	}
	return s.writeGroup(w, r, http.StatusOK, o, true)
}

func (s *surface) patchGroup(w http.ResponseWriter, r *http.Request, act app.Actor) error {
	p, err := s.decodePatch(r)
	if err != nil {
		return err
	}
	c, err := p.GroupChanges()
	if err != nil {
		return syntaxError(err)
	}
	o, err := s.a.SCIMPatchGroup(r.Context(), act, r.PathValue("id"), c)
	if err != nil {
		return err
	}
	return s.writeGroup(w, r, http.StatusOK, o, withMembers(r))
}

func (s *surface) deleteGroup(w http.ResponseWriter, r *http.Request, act app.Actor) error {
	if err := s.a.DeleteOrg(r.Context(), act, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
