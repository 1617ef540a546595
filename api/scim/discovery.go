package scim

import (
	"net/http"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/identity/scim"
)

// Discovery endpoints (RFC 7644 §4): what this server supports, so a client configures itself.

type supported struct {
	Supported bool `json:"supported"`
}

func (s *surface) serviceProviderConfig(w http.ResponseWriter, r *http.Request, _ app.Actor) error {
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":          []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"documentationUri": "https://github.com/llmgate/llmgate/blob/main/docs/scim.md",
		"patch":            supported{true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": maxCount},
		"changePassword":   supported{false},
		"sort":             supported{false},
		"etag":             supported{false},
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "Bearer token", "primary": true,
			"description": "A token printed once by `llmgate scim token create`, sent as Authorization: Bearer <token>.",
		}},
		"meta": map[string]string{"resourceType": "ServiceProviderConfig", "location": s.base(r) + "/ServiceProviderConfig"},
	})
	return nil
}

func (s *surface) resourceTypes(w http.ResponseWriter, r *http.Request, _ app.Actor) error {
	base := s.base(r)
	rt := func(name, endpoint, schema string) map[string]any {
		return map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"},
			"id":      name, "name": name, "endpoint": endpoint, "schema": schema,
			"meta": map[string]string{"resourceType": "ResourceType", "location": base + "/ResourceTypes/" + name},
		}
	}
	writeJSON(w, http.StatusOK, list(2, 1, []any{
		rt("User", "/Users", scim.SchemaUser), rt("Group", "/Groups", scim.SchemaGroup)}))
	return nil
}

// attr describes one attribute in a schema definition (RFC 7643 §7).
func attr(name, typ string, required bool, mutability, uniqueness string, caseExact bool, sub ...map[string]any) map[string]any {
	a := map[string]any{"name": name, "type": typ, "multiValued": false, "required": required, "caseExact": caseExact,
		"mutability": mutability, "returned": "default", "uniqueness": uniqueness}
	if len(sub) > 0 {
		a["subAttributes"] = sub
	}
	return a
}

func multi(a map[string]any) map[string]any {
	a["multiValued"] = true
	return a
}

func (s *surface) schemas(w http.ResponseWriter, r *http.Request, _ app.Actor) error {
	base := s.base(r)
	schema := func(id, name string, attrs ...map[string]any) map[string]any {
		return map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Schema"}, "id": id, "name": name,
			"attributes": attrs, "meta": map[string]string{"resourceType": "Schema", "location": base + "/Schemas/" + id}}
	}
	user := schema(scim.SchemaUser, "User",
		attr("userName", "string", true, "readWrite", "server", false),
		attr("name", "complex", false, "readWrite", "none", false,
			attr("givenName", "string", false, "readWrite", "none", false),
			attr("familyName", "string", false, "readWrite", "none", false)),
		attr("displayName", "string", false, "readOnly", "none", false),
		multi(attr("emails", "complex", false, "readWrite", "none", false,
			attr("value", "string", false, "readWrite", "none", false),
			attr("type", "string", false, "readWrite", "none", false),
			attr("primary", "boolean", false, "readWrite", "none", false))),
		attr("active", "boolean", false, "readWrite", "none", false),
		multi(attr("groups", "complex", false, "readOnly", "none", false,
			attr("value", "string", false, "readOnly", "none", true))))
	group := schema(scim.SchemaGroup, "Group",
		attr("displayName", "string", true, "readWrite", "server", false),
		multi(attr("members", "complex", false, "readWrite", "none", false,
			attr("value", "string", false, "immutable", "none", true),
			attr("display", "string", false, "readOnly", "none", false))))
	writeJSON(w, http.StatusOK, list(2, 1, []any{user, group}))
	return nil
}
