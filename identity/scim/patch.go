package scim

import (
	"encoding/json"
	"strings"
)

// MaxOperations bounds one PATCH request.
const MaxOperations = 1000

// Operation is one PATCH operation. Op is lower-cased on decoding (Entra sends "Replace").
type Operation struct {
	Op    string          `json:"op"`
	Path  string          `json:"path,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

// Patch is a PatchOp request (RFC 7644 §3.5.2).
type Patch struct {
	Schemas    []string    `json:"schemas"`
	Operations []Operation `json:"Operations"`
}

// DecodePatch reads a PATCH body: 1 to MaxOperations operations, each add, replace or remove.
func DecodePatch(data []byte) (*Patch, error) {
	var p Patch
	if err := decodeJSON(data, &p); err != nil {
		return nil, err
	}
	if len(p.Operations) == 0 {
		return nil, invalid("", "PATCH needs at least one operation in Operations")
	}
	if len(p.Operations) > MaxOperations {
		return nil, invalid("", "PATCH has more than %d operations", MaxOperations)
	}
	for i := range p.Operations {
		op := &p.Operations[i]
		op.Op = strings.ToLower(strings.TrimSpace(op.Op))
		op.Path = strings.TrimSpace(op.Path)
		switch op.Op {
		case "add", "replace":
			if len(op.Value) == 0 || string(op.Value) == "null" {
				return nil, invalid(FieldValue, "operation %d (%s) needs a value", i+1, op.Op)
			}
		case "remove":
			if op.Path == "" {
				return nil, invalid(FieldPath, "operation %d (remove) needs a path", i+1)
			}
		default:
			return nil, invalid("", "operation %d: op must be add, replace or remove, not %q", i+1, clip(op.Op))
		}
	}
	return &p, nil
}

// UserChanges is what a PATCH does to a user; nil fields are unchanged. Attributes llmgate
// does not keep (title, phone numbers, extension attributes) are ignored.
type UserChanges struct {
	Active     *bool
	UserName   *string
	ExternalID *string
	Email      *string
	GivenName  *string
	FamilyName *string
}

// UserChanges interprets the operations against a User, in both shapes IdPs use: a path
// with a value (`{"op":"Replace","path":"active","value":"False"}`) and no path with an
// object of attributes (`{"op":"replace","value":{"active":false}}`).
func (p *Patch) UserChanges() (UserChanges, error) {
	var c UserChanges
	err := p.each(c.set)
	return c, err
}

// each hands every attribute the operations change to apply, in order: an operation with a
// path is one attribute, one without a path carries an object of them.
func (p *Patch) each(apply func(op, path string, v json.RawMessage) error) error {
	for _, op := range p.Operations {
		if op.Path != "" {
			if err := apply(op.Op, op.Path, op.Value); err != nil {
				return err
			}
			continue
		}
		var attrs map[string]json.RawMessage
		if err := json.Unmarshal(op.Value, &attrs); err != nil {
			return invalid(FieldValue, "an operation without a path needs an object of attributes as its value")
		}
		for k, v := range attrs {
			if err := apply(op.Op, k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// set applies one attribute; remove clears strings and is refused for active and userName.
func (c *UserChanges) set(op, path string, v json.RawMessage) error {
	attr := userAttr(path)
	if op == "remove" {
		empty := ""
		switch attr {
		case "active", "userName":
			return invalid(FieldPath, "%s cannot be removed", attr)
		case "externalId":
			c.ExternalID = &empty
		case "email", "emails":
			c.Email = &empty
		case "givenName":
			c.GivenName = &empty
		case "familyName":
			c.FamilyName = &empty
		case "name":
			c.GivenName, c.FamilyName = &empty, &empty
		}
		return nil
	}
	switch attr {
	case "active":
		b, err := parseBool(v)
		if err != nil {
			return err
		}
		c.Active = &b
	case "userName":
		return setString(&c.UserName, v, "userName")
	case "externalId":
		return setString(&c.ExternalID, v, "externalId")
	case "givenName":
		return setString(&c.GivenName, v, "name.givenName")
	case "familyName":
		return setString(&c.FamilyName, v, "name.familyName")
	case "email":
		return setString(&c.Email, v, "emails.value")
	case "name":
		var n Name
		if json.Unmarshal(v, &n) != nil {
			return invalid(FieldValue, "name must be an object")
		}
		c.GivenName, c.FamilyName = &n.GivenName, &n.FamilyName
	case "emails":
		var es []Email
		if json.Unmarshal(v, &es) != nil {
			return invalid(FieldValue, "emails must be an array of {value, type, primary}")
		}
		e := pickEmail(es)
		c.Email = &e
	}
	return nil
}

// userAttr maps a path (or a key of a path-less value) to the attribute llmgate keeps, or "".
func userAttr(path string) string {
	p := strings.ToLower(path)
	p = strings.TrimPrefix(p, strings.ToLower(SchemaUser)+":")
	switch {
	case p == "active", p == "username", p == "externalid", p == "name", p == "emails":
		return map[string]string{"active": "active", "username": "userName", "externalid": "externalId",
			"name": "name", "emails": "emails"}[p]
	case p == "name.givenname":
		return "givenName"
	case p == "name.familyname":
		return "familyName"
	case strings.HasPrefix(p, "emails[") && strings.HasSuffix(p, "].value"):
		return "email"
	}
	return ""
}

func setString(dst **string, v json.RawMessage, name string) error {
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return invalid(FieldValue, "%s must be a string", name)
	}
	*dst = &s
	return nil
}

// GroupChanges is what a PATCH does to a group: a new displayName and the membership
// steps in request order (MemberDiff turns them into who to add and who to remove).
type GroupChanges struct {
	DisplayName *string
	ExternalID  *string
	steps       []memberStep
}

type memberStep struct {
	op  string // add, remove, replace
	ids []string
}

// GroupChanges interprets the operations against a Group: members added or removed with the
// path "members" and a value list (Entra, Okta), removed one at a time with the path
// `members[value eq "id"]` (Okta), or replaced; displayName replaced with or without a path.
func (p *Patch) GroupChanges() (GroupChanges, error) {
	var c GroupChanges
	err := p.each(c.apply)
	return c, err
}

// ReplaceGroup is a PUT of g as changes: its displayName and exactly its members.
func ReplaceGroup(g *Group) GroupChanges {
	name, ext := g.DisplayName, g.ExternalID
	return GroupChanges{DisplayName: &name, ExternalID: &ext, steps: []memberStep{{op: "replace", ids: MemberIDs(g.Members)}}}
}

// TouchesMembers reports whether the patch changes membership at all.
func (c GroupChanges) TouchesMembers() bool { return len(c.steps) > 0 }

// MemberDiff applies the membership steps to the current member ids and returns the ids to
// add and to remove to get there, each in a stable order.
func (c GroupChanges) MemberDiff(current []string) (add, remove []string) {
	now := make(map[string]bool, len(current))
	var order []string
	put := func(id string) {
		if _, seen := now[id]; !seen {
			order = append(order, id)
		}
		now[id] = true
	}
	for _, id := range current {
		put(id)
	}
	for _, st := range c.steps {
		if st.op == "replace" {
			for id := range now {
				now[id] = false
			}
		}
		for _, id := range st.ids {
			if st.op == "remove" {
				now[id] = false
			} else {
				put(id)
			}
		}
	}
	was := make(map[string]bool, len(current))
	for _, id := range current {
		was[id] = true
	}
	for _, id := range order {
		switch {
		case now[id] && !was[id]:
			add = append(add, id)
		case !now[id] && was[id]:
			remove = append(remove, id)
		}
	}
	return add, remove
}

func (c *GroupChanges) apply(op, path string, v json.RawMessage) error {
	p := strings.TrimPrefix(strings.ToLower(path), strings.ToLower(SchemaGroup)+":")
	switch {
	case p == "displayname":
		if op == "remove" {
			return invalid(FieldPath, "displayName cannot be removed")
		}
		var s string
		if json.Unmarshal(v, &s) != nil || strings.TrimSpace(s) == "" {
			return invalid(FieldValue, "displayName must be a non-empty string")
		}
		c.DisplayName = &s
	case p == "externalid":
		ext := ""
		if op != "remove" {
			if json.Unmarshal(v, &ext) != nil {
				return invalid(FieldValue, "externalId must be a string")
			}
		}
		c.ExternalID = &ext
	case p == "members":
		return c.members(op, v)
	case strings.HasPrefix(p, "members["):
		id, ok := memberFilterValue(path)
		if !ok || op != "remove" {
			return invalid(FieldPath, "path %q: only remove with members[value eq \"<user id>\"] is supported", clip(path))
		}
		c.steps = append(c.steps, memberStep{op: "remove", ids: []string{id}})
	}
	return nil
}

// members applies an operation on the members attribute.
func (c *GroupChanges) members(op string, v json.RawMessage) error {
	var refs []Ref
	if len(v) > 0 && string(v) != "null" {
		if err := json.Unmarshal(v, &refs); err != nil {
			return invalid(FieldValue, "members must be an array of {\"value\": \"<user id>\"}")
		}
	}
	for _, r := range refs {
		if r.Value == "" {
			return invalid(FieldValue, "every member needs a value (the user's id)")
		}
	}
	if op == "remove" && len(refs) == 0 { // remove every member
		op = "replace"
	}
	c.steps = append(c.steps, memberStep{op: op, ids: MemberIDs(refs)})
	return nil
}

// memberFilterValue reads the id out of members[value eq "id"].
func memberFilterValue(path string) (string, bool) {
	if len(path) < len("members[]") || !strings.EqualFold(path[:len("members[")], "members[") || !strings.HasSuffix(path, "]") {
		return "", false
	}
	inner := strings.TrimSpace(path[len("members[") : len(path)-1])
	attr, rest, ok := strings.Cut(inner, " ")
	if !ok || !strings.EqualFold(attr, "value") {
		return "", false
	}
	op, val, ok := strings.Cut(strings.TrimSpace(rest), " ")
	if !ok || !strings.EqualFold(op, "eq") {
		return "", false
	}
	var id string
	if json.Unmarshal([]byte(strings.TrimSpace(val)), &id) != nil || id == "" {
		return "", false
	}
	return id, true
}
