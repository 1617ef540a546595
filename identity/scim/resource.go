// Package scim maps SCIM 2.0 (RFC 7643 resources, RFC 7644 protocol messages) onto llmgate's
// users and organizations, so an identity provider (Okta, Microsoft Entra ID, ...) can
// provision and deprovision people. It is pure translation: decoding bounded JSON, parsing the
// filters and PATCH operations IdPs actually send (Entra's capitalised ops and string
// booleans included) and rendering resources; it performs no I/O. The HTTP surface lives in
// api/scim and the operations in app.
//
// Errors are *gateway.Error with CodeInvalid; Field names the SCIM error type the surface
// reports ("filter" → invalidFilter, "path" → invalidPath, "value" → invalidValue, otherwise
// invalidSyntax).
package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/llmgate/llmgate/gateway"
)

// Schema URNs (RFC 7643 §8.7, RFC 7644 §3).
const (
	SchemaUser           = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaGroup          = "urn:ietf:params:scim:schemas:core:2.0:Group"
	SchemaEnterpriseUser = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	SchemaListResponse   = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	SchemaPatchOp        = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SchemaError          = "urn:ietf:params:scim:api:messages:2.0:Error"
)

// Field values of the *gateway.Error this package returns, naming the SCIM error type.
const (
	FieldFilter = "filter"
	FieldPath   = "path"
	FieldValue  = "value"
)

// Meta is a resource's meta attribute.
type Meta struct {
	ResourceType string `json:"resourceType"`
	Created      string `json:"created,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
	Location     string `json:"location,omitempty"`
}

// Name is the User's name attribute.
type Name struct {
	Formatted  string `json:"formatted,omitempty"`
	GivenName  string `json:"givenName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
}

// Email is one entry of the User's emails attribute.
type Email struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary Bool   `json:"primary,omitempty"`
}

// Ref points at a member of a group or a group of a user.
type Ref struct {
	Value   string `json:"value"`
	Ref     string `json:"$ref,omitempty"`
	Display string `json:"display,omitempty"`
}

// User is the SCIM User resource, as far as llmgate keeps it. Attributes an IdP sends that
// llmgate does not keep (phone numbers, titles, extensions) are accepted and not returned.
type User struct {
	Schemas     []string `json:"schemas"`
	ID          string   `json:"id,omitempty"`
	ExternalID  string   `json:"externalId,omitempty"`
	UserName    string   `json:"userName"`
	Name        *Name    `json:"name,omitempty"`
	DisplayName string   `json:"displayName,omitempty"`
	Emails      []Email  `json:"emails,omitempty"`
	// Active is absent in many create requests; absent means active.
	Active *Bool `json:"active,omitempty"`
	Groups []Ref `json:"groups,omitempty"`
	Meta   *Meta `json:"meta,omitempty"`
}

// Group is the SCIM Group resource: an llmgate organization.
type Group struct {
	Schemas     []string `json:"schemas"`
	ID          string   `json:"id,omitempty"`
	ExternalID  string   `json:"externalId,omitempty"`
	DisplayName string   `json:"displayName"`
	Members     []Ref    `json:"members,omitempty"`
	Meta        *Meta    `json:"meta,omitempty"`
}

// ListResponse is a page of resources (RFC 7644 §3.4.2).
type ListResponse struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	StartIndex   int      `json:"startIndex"`
	ItemsPerPage int      `json:"itemsPerPage"`
	Resources    []any    `json:"Resources"`
}

// ErrorResponse is the SCIM error envelope (RFC 7644 §3.12); Status is a string there.
type ErrorResponse struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

// Bool is a SCIM boolean that also accepts the strings "true"/"false" in any case, which
// Microsoft Entra ID sends in PATCH values ("False").
type Bool bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *Bool) UnmarshalJSON(data []byte) error {
	v, err := parseBool(data)
	if err != nil {
		return err
	}
	*b = Bool(v)
	return nil
}

func parseBool(raw json.RawMessage) (bool, error) {
	raw = bytes.TrimSpace(raw)
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return b, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, invalid(FieldValue, "expected a boolean, got %s", clip(string(raw)))
}

func invalid(field, format string, args ...any) error {
	e := gateway.Errorf(gateway.CodeInvalid, format, args...)
	e.Field = field
	return e
}

// clip keeps error messages short whatever the client sent.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// decodeJSON decodes one JSON value of data into v, with a SCIM invalidSyntax error on
// malformed input or trailing data.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		var ge *gateway.Error
		if errors.As(err, &ge) {
			return ge
		}
		return invalid("", "request body is not a valid SCIM JSON document: %s", clip(err.Error()))
	}
	if dec.More() {
		return invalid("", "request body has data after the JSON document")
	}
	return nil
}
