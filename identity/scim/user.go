package scim

import (
	"strings"

	"github.com/llmgate/llmgate/gateway"
)

// Profile is what llmgate keeps of a SCIM User: the input of creating or replacing one.
type Profile struct {
	UserName   string
	ExternalID string
	Email      string
	GivenName  string
	FamilyName string
	Active     bool
}

// DecodeUser reads a User resource from a POST or PUT body. userName is required; active
// defaults to true.
func DecodeUser(data []byte) (*User, error) {
	var u User
	if err := decodeJSON(data, &u); err != nil {
		return nil, err
	}
	u.UserName = strings.TrimSpace(u.UserName)
	if u.UserName == "" {
		return nil, invalid(FieldValue, "userName is required")
	}
	return &u, nil
}

// ProfileOf picks what llmgate keeps from a decoded User: the primary email (else the work
// one, else the first), the given and family names, and whether it is active.
func ProfileOf(u *User) Profile {
	p := Profile{UserName: u.UserName, ExternalID: u.ExternalID, Email: pickEmail(u.Emails), Active: true}
	if u.Name != nil {
		p.GivenName, p.FamilyName = u.Name.GivenName, u.Name.FamilyName
	}
	if u.Active != nil {
		p.Active = bool(*u.Active)
	}
	return p
}

func pickEmail(emails []Email) string {
	for _, e := range emails {
		if e.Primary {
			return e.Value
		}
	}
	for _, e := range emails {
		if strings.EqualFold(e.Type, "work") {
			return e.Value
		}
	}
	if len(emails) > 0 {
		return emails[0].Value
	}
	return ""
}

// FromUser renders an llmgate user as a SCIM User; base is the URL of /scim/v2 (for
// meta.location) and groups the organizations the user belongs to.
func FromUser(u *gateway.User, externalID string, groups []Ref, base string) *User {
	active := Bool(u.Active())
	out := &User{Schemas: []string{SchemaUser}, ID: u.ID, ExternalID: externalID, UserName: u.UserName,
		DisplayName: u.FullName(), Active: &active, Groups: groups,
		Meta: &Meta{ResourceType: "User", Created: gateway.FormatTime(u.CreatedAt), Location: base + "/Users/" + u.ID}}
	if u.FirstName != "" || u.LastName != "" {
		out.Name = &Name{Formatted: u.FullName(), GivenName: u.FirstName, FamilyName: u.LastName}
	}
	if out.DisplayName == "" {
		out.DisplayName = u.UserName
	}
	if u.Email != "" {
		out.Emails = []Email{{Value: u.Email, Type: "work", Primary: true}}
	}
	out.Meta.LastModified = out.Meta.Created
	if u.DeactivatedAt != nil {
		out.Meta.LastModified = gateway.FormatTime(*u.DeactivatedAt)
	}
	return out
}

// FromOrg renders an organization as a SCIM Group; userName names members for display.
func FromOrg(o *gateway.Org, userName func(id string) string, base string, withMembers bool) *Group {
	g := &Group{Schemas: []string{SchemaGroup}, ID: o.ID, DisplayName: o.Name,
		Meta: &Meta{ResourceType: "Group", Created: gateway.FormatTime(o.CreatedAt), Location: base + "/Groups/" + o.ID}}
	g.Meta.LastModified = g.Meta.Created
	if withMembers {
		for _, m := range o.Members {
			g.Members = append(g.Members, Ref{Value: m.UserID, Ref: base + "/Users/" + m.UserID, Display: userName(m.UserID)})
		}
	}
	return g
}

// DecodeGroup reads a Group resource from a POST or PUT body; displayName is required.
func DecodeGroup(data []byte) (*Group, error) {
	var g Group
	if err := decodeJSON(data, &g); err != nil {
		return nil, err
	}
	g.DisplayName = strings.TrimSpace(g.DisplayName)
	if g.DisplayName == "" {
		return nil, invalid(FieldValue, "displayName is required")
	}
	for _, m := range g.Members {
		if m.Value == "" {
			return nil, invalid(FieldValue, "every member needs a value (the user's id)")
		}
	}
	return &g, nil
}

// MemberIDs lists the user ids of refs in order, without duplicates.
func MemberIDs(refs []Ref) []string {
	seen := map[string]bool{}
	var ids []string
	for _, r := range refs {
		if !seen[r.Value] {
			seen[r.Value] = true
			ids = append(ids, r.Value)
		}
	}
	return ids
}
