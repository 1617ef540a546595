package gateway

import (
	"crypto/sha256"
	"crypto/subtle"
	"slices"
	"sort"
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
	users           map[string]*User
	usersByName     map[string]*User
	orgs            map[string]*Org
	orgsByName      map[string]*Org
	orgsOfUser      map[string][]string
	keys            map[[32]byte]*APIKey
	keysByID        map[string]*APIKey
	endpoints       map[string]*Endpoint // by name
	endpointsByID   map[string]*Endpoint
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

// NewSnapshot indexes st. It copies nothing it does not need to: callers must not mutate st
// afterwards.
func NewSnapshot(st *State) *Snapshot {
	s := &Snapshot{
		Version:       st.Version,
		users:         make(map[string]*User, len(st.Users)),
		usersByName:   make(map[string]*User, len(st.Users)),
		orgs:          make(map[string]*Org, len(st.Orgs)),
		orgsByName:    make(map[string]*Org, len(st.Orgs)),
		orgsOfUser:    make(map[string][]string),
		keys:          make(map[[32]byte]*APIKey, len(st.Keys)),
		keysByID:      make(map[string]*APIKey, len(st.Keys)),
		endpoints:     make(map[string]*Endpoint, len(st.Endpoints)),
		endpointsByID: make(map[string]*Endpoint, len(st.Endpoints)),
	}
	for i := range st.Users {
		u := &st.Users[i]
		s.users[u.ID] = u
		s.usersByName[u.UserName] = u
	}
	for i := range st.Orgs {
		o := &st.Orgs[i]
		s.orgs[o.ID] = o
		s.orgsByName[o.Name] = o
		for _, m := range o.Members {
			s.orgsOfUser[m.UserID] = append(s.orgsOfUser[m.UserID], o.ID)
		}
	}
	for i := range st.Keys {
		k := &st.Keys[i]
		if len(k.Hash) != 32 || k.RevokedAt != nil {
			continue
		}
		s.keys[[32]byte(k.Hash)] = k
		s.keysByID[k.ID] = k
	}
	for i := range st.Endpoints {
		e := &st.Endpoints[i]
		s.endpoints[e.Name] = e
		s.endpointsByID[e.ID] = e
		s.endpointsSorted = append(s.endpointsSorted, e)
	}
	for i := range st.Budgets {
		s.budgets = append(s.budgets, &st.Budgets[i])
	}
	sort.Slice(s.endpointsSorted, func(i, j int) bool {
		a, b := s.endpointsSorted[i], s.endpointsSorted[j]
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		return a.ID < b.ID
	})
	return s
}

// HashKey is how API keys are stored and looked up.
func HashKey(key string) [32]byte { return sha256.Sum256([]byte(key)) }

// Authenticate maps a presented API key to its principal. The map lookup is by hash; the final
// comparison is constant-time so timing says nothing about stored hashes.
func (s *Snapshot) Authenticate(key string, now time.Time) (*Principal, error) {
	if key == "" {
		return nil, Errorf(CodeUnauthenticated, "missing API key")
	}
	h := HashKey(key)
	k, ok := s.keys[h]
	if !ok || subtle.ConstantTimeCompare(k.Hash, h[:]) != 1 || !s.keyLive(k, now) {
		return nil, Errorf(CodeUnauthenticated, "invalid or expired API key")
	}
	u, ok := s.users[k.UserID]
	if !ok {
		return nil, Errorf(CodeUnauthenticated, "invalid or expired API key")
	}
	if !u.Active() {
		return nil, Errorf(CodeUnauthenticated, "the API key's user is deactivated")
	}
	return &Principal{User: u, OrgIDs: s.orgsOfUser[u.ID], KeyID: k.ID}, nil
}

// maxKeyChain bounds the parent walk; real chains are a few keys long.
const maxKeyChain = 64

// keyLive reports whether k and every key it descends from is active: a key made with a key
// never outlives it. A revoked parent is absent from the snapshot, so its children fail.
func (s *Snapshot) keyLive(k *APIKey, now time.Time) bool {
	for i := 0; i < maxKeyChain; i++ {
		if !k.Active(now) {
			return false
		}
		if k.ParentID == "" {
			return true
		}
		if k = s.keysByID[k.ParentID]; k == nil {
			return false
		}
	}
	return false
}

// KeyUsable reports whether k (as read from the store, revoked or not) would authenticate
// at now: it and its parent chain are active and its user is not deactivated. Listings use
// it so a key's isValid agrees with what Authenticate does.
func (s *Snapshot) KeyUsable(k *APIKey, now time.Time) bool {
	if !s.keyLive(k, now) {
		return false
	}
	u := s.users[k.UserID]
	return u != nil && u.Active()
}

// Key returns the non-revoked key with id, or nil.
func (s *Snapshot) Key(id string) *APIKey { return s.keysByID[id] }

// User returns the user with id, or nil.
func (s *Snapshot) User(id string) *User { return s.users[id] }

// UserByName returns the user with userName, or nil.
func (s *Snapshot) UserByName(name string) *User { return s.usersByName[name] }

// Org returns the organization with id, or nil.
func (s *Snapshot) Org(id string) *Org { return s.orgs[id] }

// OrgByName returns the organization named name, or nil.
func (s *Snapshot) OrgByName(name string) *Org { return s.orgsByName[name] }

// OrgsOf returns the ids of the organizations user id belongs to.
func (s *Snapshot) OrgsOf(userID string) []string { return s.orgsOfUser[userID] }

// Endpoint returns the active endpoint named name, or nil.
func (s *Snapshot) Endpoint(name string) *Endpoint { return s.endpoints[name] }

// EndpointByID returns the active endpoint with id, or nil.
func (s *Snapshot) EndpointByID(id string) *Endpoint { return s.endpointsByID[id] }

// Endpoints returns every active endpoint ordered by creation time then id. Callers must not
// modify the returned slice or its elements.
func (s *Snapshot) Endpoints() []*Endpoint { return s.endpointsSorted }

// Users returns every user, ordered by creation time then id.
func (s *Snapshot) Users() []*User {
	out := make([]*User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u)
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
	out := make([]*Org, 0, len(s.orgs))
	for _, o := range s.orgs {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
