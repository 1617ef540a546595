package gateway

// Principal is an authenticated caller: a user, the organizations it belongs to, and the key
// it used.
type Principal struct {
	User   *User
	OrgIDs []string
	KeyID  string
}

// IsAdmin reports whether the principal may manage the gateway.
func (p *Principal) IsAdmin() bool { return p != nil && p.User != nil && p.User.Admin }

// Permit reports whether p may see and query e. It is the single source of truth for access;
// it is pure so it can be table-tested exhaustively and called on the hot path without I/O.
func Permit(p *Principal, e *Endpoint) bool {
	if p == nil || p.User == nil || e == nil {
		return false
	}
	if p.User.Admin || e.Permissions.IsEveryoneAllowed {
		return true
	}
	for _, id := range e.Permissions.UserIDs {
		if id == p.User.ID || contains(p.OrgIDs, id) {
			return true
		}
	}
	for _, id := range e.Permissions.OrganizationIDs {
		if contains(p.OrgIDs, id) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Without returns p with id taken out of both grant lists, and whether it was in either: an
// organization's deletion takes it out of every endpoint so no stale id lingers.
func (p Permissions) Without(id string) (Permissions, bool) {
	drop := func(list []string) ([]string, bool) {
		out, found := make([]string, 0, len(list)), false
		for _, v := range list {
			if v == id {
				found = true
				continue
			}
			out = append(out, v)
		}
		return out, found
	}
	var inUsers, inOrgs bool
	p.UserIDs, inUsers = drop(p.UserIDs)
	p.OrganizationIDs, inOrgs = drop(p.OrganizationIDs)
	return p, inUsers || inOrgs
}
