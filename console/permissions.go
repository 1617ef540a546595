package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
)

type grantee struct {
	ID, Name, Detail string
}

type permissionsData struct {
	Endpoint *gateway.Endpoint
	Everyone bool
	Users    []grantee
	Orgs     []grantee
	AddUser  string
	AddOrg   string
}

// permissionsForm is the permission editor: everyone, or named users and organizations (with
// type-ahead pickers fed by lookup).
func (c *Console) permissionsForm(w http.ResponseWriter, r *http.Request, v *view) error {
	e, err := c.endpointOf(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("created") != "" {
		v.Flash = "Endpoint " + e.Name + " created. Nobody may use it yet: choose who may."
	} else if r.URL.Query().Get("saved") != "" {
		v.Flash = "Permissions saved."
	}
	return c.renderPermissions(w, v, http.StatusOK, c.permissionsOf(e))
}

func (c *Console) permissionsOf(e *gateway.Endpoint) permissionsData {
	snap := c.app.Snapshot()
	d := permissionsData{Endpoint: e, Everyone: e.Permissions.IsEveryoneAllowed}
	for _, id := range e.Permissions.UserIDs {
		if u := snap.User(id); u != nil {
			d.Users = append(d.Users, grantee{ID: id, Name: u.UserName, Detail: u.Email})
		}
	}
	for _, id := range e.Permissions.OrganizationIDs {
		if o := snap.Org(id); o != nil {
			d.Orgs = append(d.Orgs, grantee{ID: id, Name: o.Name})
		}
	}
	return d
}

func (c *Console) renderPermissions(w http.ResponseWriter, v *view, status int, d permissionsData) error {
	v.Title, v.Nav, v.Data = "Who may use "+d.Endpoint.Name, "endpoints", d
	c.render(w, status, "permissions", v)
	return nil
}

// updatePermissions keeps the ticked grantees, adds the typed ones (by name) and saves through
// app.UpdatePermissions, audited as UpdateGatewayEndpointPermissions.
func (c *Console) updatePermissions(w http.ResponseWriter, r *http.Request, v *view) error {
	e, err := c.endpointOf(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return gateway.Errorf(gateway.CodeInvalid, "the form could not be read")
	}
	snap := c.app.Snapshot()
	everyone := r.PostForm.Get("everyone") == "yes"
	users, orgs := r.PostForm["keepUser"], r.PostForm["keepOrg"]
	d := c.permissionsOf(e)
	d.AddUser, d.AddOrg = strings.TrimSpace(r.PostForm.Get("addUser")), strings.TrimSpace(r.PostForm.Get("addOrg"))
	if d.AddUser != "" {
		if u := snap.UserByName(d.AddUser); u != nil {
			users = append(users, u.ID)
		} else {
			v.Errors["addUser"] = "No user is called " + truncate(d.AddUser, 64) + "."
		}
	}
	if d.AddOrg != "" {
		if o := snap.OrgByName(d.AddOrg); o != nil {
			orgs = append(orgs, o.ID)
		} else {
			v.Errors["addOrg"] = "No organization is called " + truncate(d.AddOrg, 64) + "."
		}
	}
	if len(v.Errors) > 0 {
		return c.renderPermissions(w, v, http.StatusBadRequest, d)
	}
	_, err = c.app.UpdatePermissions(r.Context(), v.actor(), e.Name, app.PermissionsPatch{IsEveryoneAllowed: &everyone,
		UserIDs: nonNil(users), OrganizationIDs: nonNil(orgs)})
	if err != nil {
		return c.formError(w, v, err, func() error { return c.renderPermissions(w, v, statusOf(asErr(err)), d) })
	}
	return redirect(w, r, Prefix+"/admin/endpoints/"+url.PathEscape(e.Name)+"/permissions?saved=1")
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// maxSuggestions bounds a type-ahead answer.
const maxSuggestions = 20

// lookup answers the type-ahead pickers: up to 20 users (by username, name or email) or
// organizations (by name) containing q, from the snapshot.
func (c *Console) lookup(w http.ResponseWriter, r *http.Request, v *view) error {
	q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
	var out []grantee
	snap := c.app.Snapshot()
	switch r.PathValue("kind") {
	case "users":
		for _, u := range snap.Users() {
			if len(out) < maxSuggestions && containsAny(q, u.UserName, u.Email, u.FirstName+" "+u.LastName) {
				out = append(out, grantee{ID: u.ID, Name: u.UserName, Detail: u.Email})
			}
		}
	case "orgs":
		for _, o := range snap.Orgs() {
			if len(out) < maxSuggestions && containsAny(q, o.Name) {
				out = append(out, grantee{ID: o.ID, Name: o.Name})
			}
		}
	default:
		return gateway.Errorf(gateway.CodeNotFound, "nothing to look up here")
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(nonNilGrantees(out))
}

func nonNilGrantees(g []grantee) []grantee {
	if g == nil {
		return []grantee{}
	}
	return g
}

func containsAny(q string, fields ...string) bool {
	return slices.ContainsFunc(fields, func(f string) bool { return strings.Contains(strings.ToLower(f), q) })
}
