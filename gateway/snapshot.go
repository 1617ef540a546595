package gateway

import (
	"crypto/sha256"
	"crypto/subtle"
	"slices"
	"sort"
	"strings"
	"time"
)

// State is everything the hot path needs, as loaded from a Store in one consistent read.
type State struct {
	// Version increases with every committed change; replicas compare it to know they are stale.
	Version   int64
	Users     []User
	Orgs      []Org
	Keys      []APIKey // not revoked (expired ones included; Authenticate checks expiry)
	Endpoints []Endpoint
	Budgets   []Budget
}

// Snapshot is an immutable, indexed view of a State. Requests read it without locks; a change
// builds a new Snapshot and swaps it in atomically.
type Snapshot struct {
	Version         int64
	users           *table[string, userRec]
	usersByName     *table[string, nameRef]
	orgs            *index[string, *Org]
	orgsByName      *index[string, *Org]
	orgsOfUser      *index[string, []string] // org ids, ordered by org name
	keys            *table[[32]byte, keyRec]
	keysByID        *table[string, idRef]
	endpoints       *index[string, *Endpoint] // by name
	endpointsByID   *index[string, *Endpoint]
	endpointsSorted []*Endpoint // by creation, then id
	budgets         []*Budget   // by creation
}

// Budgets returns every budget, oldest first.
func (s *Snapshot) Budgets() []*Budget { return s.budgets }

// Budget returns the budget with id, or nil.
func (s *Snapshot) Budget(id string) *Budget {
	for _, b := range s.budgets {
		if b.ID == id {
			return b
		}
	}
	return nil
}

// BudgetsFor returns the budgets a query by p of ep counts against: p's user's, those of each
// of p's organizations, ep's, and the global ones.
func (s *Snapshot) BudgetsFor(p *Principal, ep *Endpoint) []*Budget {
	if len(s.budgets) == 0 {
		return nil
	}
	var out []*Budget
	for _, b := range s.budgets {
		switch {
		case b.Scope == "global",
			b.Scope == "user" && p != nil && p.User != nil && b.ScopeID == p.User.ID,
			b.Scope == "endpoint" && ep != nil && b.ScopeID == ep.ID,
			b.Scope == "organization" && p != nil && slices.Contains(p.OrgIDs, b.ScopeID):
			out = append(out, b)
		}
	}
	return out
}

// NewSnapshot indexes st. It keeps st's endpoints, organizations and budgets: callers must not
// mutate st afterwards. Users and keys are copied into compact tables, so the rest of st is
// garbage once the snapshot is built.
func NewSnapshot(st *State) *Snapshot {
	s := &Snapshot{
		Version:         st.Version,
		users:           newTable(userSpec, userRecs(st.Users)),
		orgs:            newStringIndex[*Org](len(st.Orgs)),
		orgsByName:      newStringIndex[*Org](len(st.Orgs)),
		orgsOfUser:      newStringIndex[[]string](0),
		endpoints:       newStringIndex[*Endpoint](len(st.Endpoints)),
		endpointsByID:   newStringIndex[*Endpoint](len(st.Endpoints)),
		endpointsSorted: make([]*Endpoint, 0, len(st.Endpoints)),
		budgets:         make([]*Budget, 0, len(st.Budgets)),
	}
	shareEndpointParts(st.Endpoints)
	names := make([]nameRef, 0, s.users.len())
	for r := range s.users.values() {
		names = append(names, r.nameRef())
	}
	s.usersByName = newTable(nameSpec, names)
	s.indexKeys(st.Keys)
	orgs := make([]*Org, 0, len(st.Orgs))
	for i := range st.Orgs {
		o := &st.Orgs[i]
		s.orgs.set(o.ID, o)
		s.orgsByName.set(o.Name, o)
		orgs = append(orgs, o)
	}
	sort.SliceStable(orgs, func(i, j int) bool { return orgs[i].Name < orgs[j].Name })
	for _, o := range orgs {
		for _, m := range o.Members {
			s.orgsOfUser.set(m.UserID, append(s.orgsOfUser.get(m.UserID), o.ID))
		}
	}
	for i := range st.Endpoints {
		e := &st.Endpoints[i]
		s.endpoints.set(e.Name, e)
		s.endpointsByID.set(e.ID, e)
		s.endpointsSorted = append(s.endpointsSorted, e)
	}
	for i := range st.Budgets {
		s.budgets = append(s.budgets, &st.Budgets[i])
	}
	sort.Slice(s.endpointsSorted, func(i, j int) bool { return endpointBefore(s.endpointsSorted[i], s.endpointsSorted[j]) })
	return s
}

// indexKeys fills s.keys and s.keysByID with the live keys among keys. Their ids are copied
// into one arena, so that none of the loader's small strings outlives the load.
func (s *Snapshot) indexKeys(keys []APIKey) {
	recs := make([]keyRec, 0, len(keys))
	size := 0
	for i := range keys {
		if r, ok := s.keyRecOf(&keys[i]); ok {
			recs = append(recs, r)
			size += len(r.id) + len(r.parentID)
		}
	}
	var b strings.Builder
	b.Grow(size)
	for i := range recs {
		b.WriteString(recs[i].id)
		b.WriteString(recs[i].parentID)
	}
	arena := b.String()
	for i, at := 0, 0; i < len(recs); i++ {
		r := &recs[i]
		r.id, at = arena[at:at+len(r.id)], at+len(r.id)
		r.parentID, at = arena[at:at+len(r.parentID)], at+len(r.parentID)
	}
	s.keys = newTable(keySpec, recs)
	ids := make([]idRef, 0, s.keys.len())
	for r := range s.keys.values() {
		ids = append(ids, r.idRef())
	}
	s.keysByID = newTable(idSpec, ids)
}

// endpointBefore is the order of Endpoints: by creation, then id.
func endpointBefore(a, b *Endpoint) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return a.ID < b.ID
}

// HashKey is how API keys are stored and looked up.
func HashKey(key string) [32]byte { return sha256.Sum256([]byte(key)) }

// Authenticate maps a presented API key to its principal. The lookup is by hash; the final
// comparison is constant-time so timing says nothing about stored hashes.
func (s *Snapshot) Authenticate(key string, now time.Time) (*Principal, error) {
	if key == "" {
		return nil, Errorf(CodeUnauthenticated, "missing API key")
	}
	h := HashKey(key)
	k := s.keys.get(h)
	if k == nil || subtle.ConstantTimeCompare(k.hash[:], h[:]) != 1 || !s.keyLive(k, now) {
		return nil, Errorf(CodeUnauthenticated, "invalid or expired API key")
	}
	u := s.users.get(k.userID)
	if u == nil {
		return nil, Errorf(CodeUnauthenticated, "invalid or expired API key")
	}
	if !u.active() {
		return nil, Errorf(CodeUnauthenticated, "the API key's user is deactivated")
	}
	return &Principal{User: u.shared(), OrgIDs: s.orgsOfUser.get(u.id()), KeyID: k.id}, nil
}

// maxKeyChain bounds the parent walk; real chains are a few keys long.
const maxKeyChain = 64

// keyLive reports whether k and every key it descends from is active: a key made with a key
// never outlives it. A revoked parent is absent from the snapshot, so its children fail.
func (s *Snapshot) keyLive(k *keyRec, now time.Time) bool {
	for i := 0; i < maxKeyChain; i++ {
		if !k.active(now) {
			return false
		}
		if k.parentID == "" {
			return true
		}
		if k = s.keyRec(k.parentID); k == nil {
			return false
		}
	}
	return false
}

// keyRec returns the live key with id, or nil.
func (s *Snapshot) keyRec(id string) *keyRec {
	ref := s.keysByID.get(id)
	if ref == nil {
		return nil
	}
	return s.keys.findByHash(ref.hash, func(k *keyRec) bool { return k.id == id })
}

// KeyUsable reports whether k (as read from the store, revoked or not) would authenticate
// at now: it and its parent chain are active and its user is not deactivated. Listings use
// it so a key's isValid agrees with what Authenticate does.
func (s *Snapshot) KeyUsable(k *APIKey, now time.Time) bool {
	if !k.Active(now) {
		return false
	}
	if k.ParentID != "" {
		parent := s.keyRec(k.ParentID)
		if parent == nil || !s.keyLive(parent, now) {
			return false
		}
	}
	u := s.users.get(k.UserID)
	return u != nil && u.active()
}

// Key returns what authentication knows of the non-revoked key with id (ID, UserID, Hash,
// ExpiresAt and ParentID; its name, prefix and creation time are in the store), or nil.
func (s *Snapshot) Key(id string) *APIKey {
	if k := s.keyRec(id); k != nil {
		return k.apiKey()
	}
	return nil
}

// User returns the user with id, or nil.
// The User is shared: callers must not modify it.
func (s *Snapshot) User(id string) *User {
	if r := s.users.get(id); r != nil {
		return r.shared()
	}
	return nil
}

// UserByName returns the user with userName, or nil.
func (s *Snapshot) UserByName(name string) *User {
	ref := s.usersByName.get(name)
	if ref == nil {
		return nil
	}
	if r := s.users.findByHash(ref.hash, func(r *userRec) bool { return r.name() == name }); r != nil {
		return r.shared()
	}
	return nil
}

// Org returns the organization with id, or nil.
func (s *Snapshot) Org(id string) *Org { return s.orgs.get(id) }

// OrgByName returns the organization named name, or nil.
func (s *Snapshot) OrgByName(name string) *Org { return s.orgsByName.get(name) }

// OrgsOf returns the ids of the organizations user id belongs to.
func (s *Snapshot) OrgsOf(userID string) []string { return s.orgsOfUser.get(userID) }

// Endpoint returns the active endpoint named name, or nil.
func (s *Snapshot) Endpoint(name string) *Endpoint { return s.endpoints.get(name) }

// EndpointByID returns the active endpoint with id, or nil.
func (s *Snapshot) EndpointByID(id string) *Endpoint { return s.endpointsByID.get(id) }

// Endpoints returns every active endpoint ordered by creation time then id. Callers must not
// modify the returned slice or its elements.
func (s *Snapshot) Endpoints() []*Endpoint { return s.endpointsSorted }

// Users returns every user, ordered by creation time then id.
func (s *Snapshot) Users() []*User {
	all := make([]User, 0, s.users.len()) // one allocation for every copy
	for r := range s.users.values() {
		all = append(all, r.user())
	}
	out := make([]*User, len(all))
	for i := range all {
		out[i] = &all[i]
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Orgs returns every organization, ordered by name.
func (s *Snapshot) Orgs() []*Org {
	out := make([]*Org, 0, s.orgs.len())
	for o := range s.orgs.values() {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
