package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
)

type usersData struct {
	List  listPage
	Users []*gateway.User
	New   app.NewUser
}

func (c *Console) adminUsers(w http.ResponseWriter, r *http.Request, v *view) error {
	return c.renderUsers(w, r, v, http.StatusOK, app.NewUser{})
}

func (c *Console) renderUsers(w http.ResponseWriter, r *http.Request, v *view, status int, nu app.NewUser) error {
	users, lp, err := listed(r, func(q string, p app.Page) ([]*gateway.User, int, error) { return c.app.ListUsers(v.actor(), q, p) })
	if err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = "Users", "users", usersData{List: lp, Users: users, New: nu}
	c.render(w, status, "users", v)
	return nil
}

// createUser adds a user with app.CreateUser (audited as CreateUser).
func (c *Console) createUser(w http.ResponseWriter, r *http.Request, v *view) error {
	nu := app.NewUser{UserName: strings.TrimSpace(r.PostFormValue("username")), Email: strings.TrimSpace(r.PostFormValue("email")),
		FirstName: strings.TrimSpace(r.PostFormValue("firstName")), LastName: strings.TrimSpace(r.PostFormValue("lastName")),
		Admin: r.PostFormValue("admin") == "yes"}
	u, err := c.app.CreateUser(r.Context(), v.actor(), nu)
	if err != nil {
		return c.formError(w, v, err, func() error {
			if v.Flash != "" && v.Errors["username"] == "" {
				v.Errors["username"], v.Flash = v.Flash, ""
			}
			return c.renderUsers(w, r, v, statusOf(asErr(err)), nu)
		})
	}
	return redirect(w, r, Prefix+"/admin/users?q="+url.QueryEscape(u.UserName))
}

// setUserActive deactivates or reactivates a user (app.SetUserActive): their keys and console
// sessions are refused from the next request on.
func (c *Console) setUserActive(w http.ResponseWriter, r *http.Request, v *view) error {
	active := r.PostFormValue("active") == "true"
	if _, err := c.app.SetUserActive(r.Context(), v.actor(), r.PathValue("id"), active); err != nil {
		return err
	}
	return redirect(w, r, Prefix+"/admin/users"+pageQuery("q", r.PostFormValue("q")))
}

type orgsData struct {
	List listPage
	Orgs []*gateway.Org
	Name string
}

func (c *Console) adminOrgs(w http.ResponseWriter, r *http.Request, v *view) error {
	return c.renderOrgs(w, r, v, http.StatusOK, "")
}

func (c *Console) renderOrgs(w http.ResponseWriter, r *http.Request, v *view, status int, name string) error {
	orgs, lp, err := listed(r, func(q string, p app.Page) ([]*gateway.Org, int, error) { return c.app.ListOrgs(v.actor(), q, p) })
	if err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = "Organizations", "orgs", orgsData{List: lp, Orgs: orgs, Name: name}
	c.render(w, status, "orgs", v)
	return nil
}

func (c *Console) createOrg(w http.ResponseWriter, r *http.Request, v *view) error {
	name := strings.TrimSpace(r.PostFormValue("name"))
	o, err := c.app.CreateOrg(r.Context(), v.actor(), name, nil)
	if err != nil {
		return c.formError(w, v, err, func() error {
			v.Errors["name"], v.Flash = v.Flash+v.Errors["name"], ""
			return c.renderOrgs(w, r, v, statusOf(asErr(err)), name)
		})
	}
	return redirect(w, r, Prefix+"/admin/orgs/"+o.ID)
}

type member struct {
	User *gateway.User
	Role gateway.OrgRole
}

type orgData struct {
	Org     *gateway.Org
	Members []member
	AddUser string
}

func (c *Console) orgOf(r *http.Request) (*gateway.Org, error) {
	if o := c.app.Snapshot().Org(r.PathValue("id")); o != nil {
		return o, nil
	}
	return nil, gateway.Errorf(gateway.CodeNotFound, "organization %q not found", truncate(r.PathValue("id"), 64))
}

func (c *Console) adminOrg(w http.ResponseWriter, r *http.Request, v *view) error {
	o, err := c.orgOf(r)
	if err != nil {
		return err
	}
	return c.renderOrg(w, v, http.StatusOK, o, "")
}

func (c *Console) renderOrg(w http.ResponseWriter, v *view, status int, o *gateway.Org, addUser string) error {
	snap := c.app.Snapshot()
	d := orgData{Org: o, AddUser: addUser}
	for _, m := range o.Members {
		if u := snap.User(m.UserID); u != nil {
			d.Members = append(d.Members, member{User: u, Role: m.Role})
		}
	}
	v.Title, v.Nav, v.Data = "Organization "+o.Name, "orgs", d
	c.render(w, status, "org", v)
	return nil
}

// setMember adds a member by username or changes a member's role (app.SetOrgMember).
func (c *Console) setMember(w http.ResponseWriter, r *http.Request, v *view) error {
	o, err := c.orgOf(r)
	if err != nil {
		return err
	}
	userName := strings.TrimSpace(r.PostFormValue("username"))
	u := c.app.Snapshot().UserByName(userName)
	if u == nil {
		v.Errors["username"] = "No user is called " + truncate(userName, 64) + "."
		return c.renderOrg(w, v, http.StatusBadRequest, o, userName)
	}
	role := gateway.OrgRole(r.PostFormValue("role"))
	if err := c.app.SetOrgMember(r.Context(), v.actor(), o.ID, gateway.OrgMember{UserID: u.ID, Role: role}); err != nil {
		return c.formError(w, v, err, func() error {
			v.Errors["username"], v.Flash = v.Flash+v.Errors["username"], ""
			return c.renderOrg(w, v, statusOf(asErr(err)), o, userName)
		})
	}
	return redirect(w, r, Prefix+"/admin/orgs/"+o.ID)
}

func (c *Console) removeMember(w http.ResponseWriter, r *http.Request, v *view) error {
	o, err := c.orgOf(r)
	if err != nil {
		return err
	}
	if err := c.app.RemoveOrgMember(r.Context(), v.actor(), o.ID, r.PostFormValue("userId")); err != nil {
		return err
	}
	return redirect(w, r, Prefix+"/admin/orgs/"+o.ID)
}

type allKeysData struct {
	List listPage
	Keys []app.OwnedKey
}

// adminKeys lists every live key in the system with its owner; revoking goes through the same
// action as My API keys (app.RevokeKey, which lets an admin revoke anyone's).
func (c *Console) adminKeys(w http.ResponseWriter, r *http.Request, v *view) error {
	keys, lp, err := listed(r, func(q string, p app.Page) ([]app.OwnedKey, int, error) {
		return c.app.ListAllKeys(r.Context(), v.actor(), q, p)
	})
	if err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = "All API keys", "allkeys", allKeysData{List: lp, Keys: keys}
	c.render(w, http.StatusOK, "allkeys", v)
	return nil
}

// setUserAdmin makes a user an administrator or takes that away (app.SetUserAdmin).
func (c *Console) setUserAdmin(w http.ResponseWriter, r *http.Request, v *view) error {
	if _, err := c.app.SetUserAdmin(r.Context(), v.actor(), r.PathValue("id"), r.PostFormValue("admin") == "true"); err != nil {
		return err
	}
	return redirect(w, r, Prefix+"/admin/users"+pageQuery("q", r.PostFormValue("q")))
}

func (c *Console) renameOrg(w http.ResponseWriter, r *http.Request, v *view) error {
	o, err := c.orgOf(r)
	if err != nil {
		return err
	}
	if _, err := c.app.RenameOrg(r.Context(), v.actor(), o.ID, r.PostFormValue("name")); err != nil {
		return c.formError(w, v, err, func() error {
			v.Errors["rename"], v.Flash = v.Flash+v.Errors["rename"], ""
			return c.renderOrg(w, v, statusOf(asErr(err)), o, "")
		})
	}
	return redirect(w, r, Prefix+"/admin/orgs/"+o.ID)
}

// deleteOrg needs the organization's name typed again.
func (c *Console) deleteOrg(w http.ResponseWriter, r *http.Request, v *view) error {
	o, err := c.orgOf(r)
	if err != nil {
		return err
	}
	if r.PostFormValue("confirm") != o.Name {
		v.Errors["confirm"] = "Type the organization's name exactly to delete it."
		return c.renderOrg(w, v, http.StatusBadRequest, o, "")
	}
	if err := c.app.DeleteOrg(r.Context(), v.actor(), o.ID); err != nil {
		return c.formError(w, v, err, func() error {
			v.Errors["confirm"], v.Flash = v.Flash, ""
			return c.renderOrg(w, v, statusOf(asErr(err)), o, "")
		})
	}
	return redirect(w, r, Prefix+"/admin/orgs")
}

// listed reads a list page's search and offset from r, fetches that page and says where the
// neighbouring pages start.
func listed[T any](r *http.Request, fetch func(q string, p app.Page) ([]T, int, error)) ([]T, listPage, error) {
	lp := readListPage(r, "")
	rows, total, err := fetch(lp.Search, app.Page{Offset: lp.Offset, Limit: pageSize})
	if err != nil {
		return nil, lp, err
	}
	lp.paged(total, len(rows))
	return rows, lp, nil
}
