package console

import (
	"net/http"
	"strings"

	"github.com/llmgate/llmgate/app"
)

type keysData struct {
	Keys []app.KeyView
	// NewKey is the secret of a key just created: shown once, on this response only.
	NewKey     string
	NewKeyName string
	SignInKey  string
	Name       string
	Expiry     string
}

func (c *Console) keys(w http.ResponseWriter, r *http.Request, v *view) error {
	return c.renderKeys(w, r, v, http.StatusOK, keysData{Expiry: "90d"})
}

func (c *Console) renderKeys(w http.ResponseWriter, r *http.Request, v *view, status int, d keysData) error {
	keys, err := c.app.UserKeys(r.Context(), v.User.ID)
	if err != nil {
		return err
	}
	d.Keys, d.SignInKey = keys, v.Principal.KeyID
	v.Title, v.Nav, v.Data = "My API keys", "keys", d
	c.render(w, status, "keys", v)
	return nil
}

// createKey makes a key for the signed-in user with app.CreateKey (the same rules as the
// REST API: the gateway's maximum lifetime, and never outliving the key the session signed in
// with). The secret is in this one response and nowhere else.
func (c *Console) createKey(w http.ResponseWriter, r *http.Request, v *view) error {
	d := keysData{Name: strings.TrimSpace(r.PostFormValue("name")), Expiry: strings.TrimSpace(r.PostFormValue("expiry"))}
	lifetime, err := app.ParseExpiry(d.Expiry)
	if err != nil {
		v.Errors["expiry"] = errText(err)
		return c.renderKeys(w, r, v, http.StatusBadRequest, d)
	}
	if d.Name == "" {
		v.Errors["name"] = "Give the key a name, e.g. the notebook or job that will use it."
		return c.renderKeys(w, r, v, http.StatusBadRequest, d)
	}
	secret, k, err := c.app.CreateKey(r.Context(), v.actor(), v.User.ID, d.Name, lifetime, "")
	if err != nil {
		if status := statusOf(asErr(err)); status < 500 {
			v.Errors["expiry"] = errText(err)
			return c.renderKeys(w, r, v, status, d)
		}
		return err
	}
	v.Flash = "Key " + k.Name + " created. Copy it now: it is shown only once."
	return c.renderKeys(w, r, v, http.StatusCreated, keysData{NewKey: secret, NewKeyName: k.Name, Expiry: "90d"})
}

func (c *Console) revokeKey(w http.ResponseWriter, r *http.Request, v *view) error {
	if err := c.app.RevokeKey(r.Context(), v.actor(), r.PathValue("id")); err != nil {
		return err
	}
	back := Prefix + "/keys"
	if r.PostFormValue("back") == "admin" && v.Principal.IsAdmin() {
		back = Prefix + "/admin/keys"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}
