package scim

import (
	"net/http"
	"strings"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/identity/scim"
)

func (s *surface) renderUser(r *http.Request, u *gateway.User) *scim.User {
	base := s.base(r)
	var groups []scim.Ref
	for _, o := range s.a.SCIMGroupsOf(u.ID) {
		groups = append(groups, scim.Ref{Value: o.ID, Ref: base + "/Groups/" + o.ID, Display: o.Name})
	}
	return scim.FromUser(u, "", groups, base)
}

func (s *surface) renderGroup(r *http.Request, o *gateway.Org, withMembers bool) *scim.Group {
	snap := s.a.Snapshot()
	return scim.FromOrg(o, func(id string) string {
		if u := snap.User(id); u != nil {
			return u.UserName
		}
		return ""
	}, s.base(r), withMembers)
}

func (s *surface) listUsers(w http.ResponseWriter, r *http.Request, _ app.Actor) error {
	f, err := scim.ParseFilter(r.URL.Query().Get("filter"))
	if err != nil {
		return err
	}
	p, start, err := page(r)
	if err != nil {
		return err
	}
	users, total := s.a.SCIMUsers(f, p)
	items := make([]any, len(users))
	for i, u := range users {
		items[i] = s.renderUser(r, u)
	}
	writeJSON(w, http.StatusOK, list(total, start, items))
	return nil
}

func (s *surface) getUser(w http.ResponseWriter, r *http.Request, _ app.Actor) error {
	u, err := s.a.SCIMUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.renderUser(r, u))
	return nil
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
	out := s.renderUser(r, u)
	w.Header().Set("Location", out.Meta.Location)
	writeJSON(w, http.StatusCreated, out)
	return nil
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
	writeJSON(w, http.StatusOK, s.renderUser(r, u))
	return nil
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
	writeJSON(w, http.StatusOK, s.renderUser(r, u))
	return nil
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
	f, err := scim.ParseFilter(r.URL.Query().Get("filter"))
	if err != nil {
		return err
	}
	p, start, err := page(r)
	if err != nil {
		return err
	}
	orgs, total := s.a.SCIMGroups(f, p)
	items := make([]any, len(orgs))
	for i, o := range orgs {
		items[i] = s.renderGroup(r, o, withMembers(r))
	}
	writeJSON(w, http.StatusOK, list(total, start, items))
	return nil
}

func (s *surface) getGroup(w http.ResponseWriter, r *http.Request, _ app.Actor) error {
	o, err := s.a.SCIMGroup(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.renderGroup(r, o, withMembers(r)))
	return nil
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
	o, err := s.a.SCIMCreateGroup(r.Context(), act, g.DisplayName, scim.MemberIDs(g.Members))
	if err != nil {
		return err
	}
	out := s.renderGroup(r, o, true)
	w.Header().Set("Location", out.Meta.Location)
	writeJSON(w, http.StatusCreated, out)
	return nil
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
	writeJSON(w, http.StatusOK, s.renderGroup(r, o, true))
	return nil
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
	writeJSON(w, http.StatusOK, s.renderGroup(r, o, withMembers(r)))
	return nil
}

func (s *surface) deleteGroup(w http.ResponseWriter, r *http.Request, act app.Actor) error {
	if err := s.a.DeleteOrg(r.Context(), act, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
