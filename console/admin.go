package console

import (
	"net/http"

	"github.com/llmgate/llmgate/api/httpkit"
)

// adminRoutes are the administrators' pages; each is checked server-side (admin) and calls the
// same app operation as its REST and CLI twins.
func (c *Console) adminRoutes(mux httpkit.Mux) {
	const a = Prefix + "/admin"
	mux.HandleFunc("GET "+a+"/endpoints", c.admin(c.adminEndpoints))
	mux.HandleFunc("GET "+a+"/endpoints/new", c.admin(c.newEndpointForm))
	mux.HandleFunc("POST "+a+"/endpoints", c.admin(c.createEndpoint))
	mux.HandleFunc("GET "+a+"/endpoints/{name}", c.admin(c.editEndpointForm))
	mux.HandleFunc("POST "+a+"/endpoints/{name}", c.admin(c.updateEndpoint))
	mux.HandleFunc("POST "+a+"/endpoints/{name}/delete", c.admin(c.deleteEndpoint))
	mux.HandleFunc("GET "+a+"/endpoints/{name}/permissions", c.admin(c.permissionsForm))
	mux.HandleFunc("POST "+a+"/endpoints/{name}/permissions", c.admin(c.updatePermissions))
	mux.HandleFunc("GET "+a+"/lookup/{kind}", c.admin(c.lookup))
	mux.HandleFunc("GET "+a+"/audit", c.admin(c.auditTrail))
	mux.HandleFunc("GET "+a+"/audit/events/{seq}", c.admin(c.auditEvent))
	mux.HandleFunc("GET "+a+"/audit/export", c.admin(c.exportAudit))
	mux.HandleFunc("POST "+a+"/audit/verify", c.admin(c.verifyAudit))
	mux.HandleFunc("GET "+a+"/usage", c.admin(c.adminUsage))
	mux.HandleFunc("GET "+a+"/users", c.admin(c.adminUsers))
	mux.HandleFunc("POST "+a+"/users", c.admin(c.createUser))
	mux.HandleFunc("POST "+a+"/users/{id}/active", c.admin(c.setUserActive))
	mux.HandleFunc("POST "+a+"/users/{id}/admin", c.admin(c.setUserAdmin))
	mux.HandleFunc("POST "+a+"/orgs/{id}/rename", c.admin(c.renameOrg))
	mux.HandleFunc("POST "+a+"/orgs/{id}/delete", c.admin(c.deleteOrg))
	mux.HandleFunc("GET "+a+"/orgs", c.admin(c.adminOrgs))
	mux.HandleFunc("POST "+a+"/orgs", c.admin(c.createOrg))
	mux.HandleFunc("GET "+a+"/orgs/{id}", c.admin(c.adminOrg))
	mux.HandleFunc("POST "+a+"/orgs/{id}/members", c.admin(c.setMember))
	mux.HandleFunc("POST "+a+"/orgs/{id}/members/remove", c.admin(c.removeMember))
	mux.HandleFunc("GET "+a+"/keys", c.admin(c.adminKeys))
}

func redirect(w http.ResponseWriter, r *http.Request, path string) error {
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}
