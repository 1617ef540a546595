package scim

import (
	"encoding/json"
	"strings"
)

// Filter is the one filter form IdPs use to look a resource up before creating it:
// `attribute eq "value"` (RFC 7644 §3.4.2.2). Attr is canonical: "userName", "externalId",
// "displayName" or "id".
type Filter struct {
	Attr  string
	Value string
}

// MaxFilterLength bounds the filter query parameter.
const MaxFilterLength = 1024

var filterAttrs = map[string]string{
	"username": "userName", "externalid": "externalId", "displayname": "displayName", "id": "id",
}

// ParseFilter parses a filter parameter; "" is no filter (nil). Anything but a single
// equality on userName, externalId, displayName or id is an invalidFilter error, so a
// request llmgate cannot answer exactly is refused rather than answered with everything.
func ParseFilter(s string) (*Filter, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if len(s) > MaxFilterLength {
		return nil, invalid(FieldFilter, "filter is longer than %d characters", MaxFilterLength)
	}
	attr, rest, ok := strings.Cut(s, " ")
	if !ok {
		return nil, invalid(FieldFilter, "filter %q is not of the form: attribute eq \"value\"", clip(s))
	}
	// Tolerate the schema-qualified form urn:...:User:userName.
	if i := strings.LastIndex(attr, ":"); i >= 0 && strings.HasPrefix(strings.ToLower(attr), "urn:") {
		attr = attr[i+1:]
	}
	canon, known := filterAttrs[strings.ToLower(attr)]
	if !known {
		return nil, invalid(FieldFilter, "filtering on %q is not supported (userName, externalId, displayName, id)", clip(attr))
	}
	op, value, ok := strings.Cut(strings.TrimSpace(rest), " ")
	if !ok || !strings.EqualFold(op, "eq") {
		return nil, invalid(FieldFilter, "only the eq operator is supported, in: %q", clip(s))
	}
	value = strings.TrimSpace(value)
	var v string
	if !strings.HasPrefix(value, `"`) || json.Unmarshal([]byte(value), &v) != nil {
		return nil, invalid(FieldFilter, "the value in filter %q must be one double-quoted string", clip(s))
	}
	return &Filter{Attr: canon, Value: v}, nil
}

// Matches reports whether a resource with the given attribute values passes the filter.
// userName and displayName compare case-insensitively (caseExact false in RFC 7643); id
// and externalId exactly.
func (f *Filter) Matches(attrs map[string]string) bool {
	if f == nil {
		return true
	}
	got := attrs[f.Attr]
	if f.Attr == "userName" || f.Attr == "displayName" {
		return strings.EqualFold(got, f.Value)
	}
	return got == f.Value
}
