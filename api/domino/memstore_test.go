package domino

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// memStore is a minimal in-memory gateway.Store for this package's tests, standing in until
// store/sqlite lands. Rows are deep-copied through JSON on the way in and out so a test
// cannot pass because a handler mutated shared memory.
type memStore struct {
	mu        sync.Mutex
	version   int64
	users     []gateway.User
	orgs      []gateway.Org
	keys      []gateway.APIKey
	endpoints []gateway.Endpoint
	deleted   map[string]bool
	events    []gateway.AuditEvent
}

func newMemStore() *memStore { return &memStore{deleted: map[string]bool{}} }

func clone[T any](v T) T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// keyClone keeps Hash, which APIKey's JSON form omits.
func keyClone(k gateway.APIKey) gateway.APIKey {
	c := clone(k)
	c.Hash = append([]byte{}, k.Hash...)
	return c
}

func (s *memStore) commit(ev *gateway.AuditEvent) {
	s.version++
	if ev != nil {
		s.appendLocked(ev)
	}
}

func (s *memStore) appendLocked(ev *gateway.AuditEvent) {
	prev := ""
	if n := len(s.events); n > 0 {
		prev = s.events[n-1].Hash
	}
	ev.Seq = int64(len(s.events) + 1)
	ev.PrevHash = prev
	ev.Hash = gateway.ChainHash(prev, ev)
	s.events = append(s.events, clone(*ev))
}

func (s *memStore) LoadState(context.Context) (*gateway.State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &gateway.State{Version: s.version, Users: clone(s.users), Orgs: clone(s.orgs)}
	for _, k := range s.keys {
		if k.RevokedAt == nil {
			st.Keys = append(st.Keys, keyClone(k))
		}
	}
	for _, e := range s.endpoints {
		if !s.deleted[e.ID] {
			st.Endpoints = append(st.Endpoints, clone(e))
		}
	}
	return st, nil
}

func (s *memStore) StateVersion(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version, nil
}

func (s *memStore) CreateUser(_ context.Context, u *gateway.User, ev *gateway.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.users {
		if x.UserName == u.UserName {
			return gateway.Errorf(gateway.CodeConflict, "duplicate user")
		}
	}
	s.users = append(s.users, clone(*u))
	s.commit(ev)
	return nil
}

func (s *memStore) CreateOrg(_ context.Context, o *gateway.Org, ev *gateway.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.orgs {
		if x.Name == o.Name {
			return gateway.Errorf(gateway.CodeConflict, "duplicate org")
		}
	}
	s.orgs = append(s.orgs, clone(*o))
	s.commit(ev)
	return nil
}

func (s *memStore) org(id string) (*gateway.Org, error) {
	for i := range s.orgs {
		if s.orgs[i].ID == id {
			return &s.orgs[i], nil
		}
	}
	return nil, gateway.ErrNotFound
}

func (s *memStore) SetOrgMember(_ context.Context, orgID string, m gateway.OrgMember, ev *gateway.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.org(orgID)
	if err != nil {
		return err
	}
	for i := range o.Members {
		if o.Members[i].UserID == m.UserID {
			o.Members[i].Role = m.Role
			s.commit(ev)
			return nil
		}
	}
	o.Members = append(o.Members, m)
	s.commit(ev)
	return nil
}

func (s *memStore) RemoveOrgMember(_ context.Context, orgID, userID string, ev *gateway.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.org(orgID)
	if err != nil {
		return err
	}
	var kept []gateway.OrgMember
	for _, m := range o.Members {
		if m.UserID != userID {
			kept = append(kept, m)
		}
	}
	o.Members = kept
	s.commit(ev)
	return nil
}

func (s *memStore) CreateKey(_ context.Context, k *gateway.APIKey, ev *gateway.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, keyClone(*k))
	s.commit(ev)
	return nil
}

func (s *memStore) RevokeKey(_ context.Context, keyID string, at time.Time, ev *gateway.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.keys {
		if s.keys[i].ID == keyID {
			s.keys[i].RevokedAt = &at
			s.commit(ev)
			return nil
		}
	}
	return gateway.ErrNotFound
}

func (s *memStore) ListKeys(_ context.Context, userID string) ([]gateway.APIKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []gateway.APIKey
	for i := len(s.keys) - 1; i >= 0; i-- {
		if s.keys[i].UserID == userID {
			out = append(out, keyClone(s.keys[i]))
		}
	}
	return out, nil
}

func (s *memStore) GetKey(_ context.Context, keyID string) (*gateway.APIKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.keys {
		if k.ID == keyID {
			c := keyClone(k)
			return &c, nil
		}
	}
	return nil, gateway.ErrNotFound
}

func (s *memStore) nameTaken(name, exceptID string) bool {
	for _, e := range s.endpoints {
		if e.Name == name && e.ID != exceptID && !s.deleted[e.ID] {
			return true
		}
	}
	return false
}

func (s *memStore) CreateEndpoint(_ context.Context, e *gateway.Endpoint, ev *gateway.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nameTaken(e.Name, "") {
		return gateway.Errorf(gateway.CodeConflict, "duplicate endpoint")
	}
	s.endpoints = append(s.endpoints, clone(*e))
	s.commit(ev)
	return nil
}

func (s *memStore) UpdateEndpoint(_ context.Context, e *gateway.Endpoint, ev *gateway.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nameTaken(e.Name, e.ID) {
		return gateway.Errorf(gateway.CodeConflict, "duplicate endpoint")
	}
	for i := range s.endpoints {
		if s.endpoints[i].ID == e.ID && !s.deleted[e.ID] {
			s.endpoints[i] = clone(*e)
			s.commit(ev)
			return nil
		}
	}
	return gateway.ErrNotFound
}

func (s *memStore) DeleteEndpoint(_ context.Context, id string, _ time.Time, ev *gateway.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleted[id] = true
	s.commit(ev)
	return nil
}

func (s *memStore) PutSecret(context.Context, *gateway.SealedSecret) error { return nil }
func (s *memStore) GetSecret(context.Context, string) (*gateway.SealedSecret, error) {
	return nil, gateway.ErrNotFound
}
func (s *memStore) DeleteSecret(context.Context, string) error                        { return nil }
func (s *memStore) ListSecrets(context.Context) ([]gateway.SealedSecret, error)       { return nil, nil }
func (s *memStore) UpdateSecretWrapping(context.Context, *gateway.SealedSecret) error { return nil }

func (s *memStore) AppendAudit(_ context.Context, events []*gateway.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ev := range events {
		s.appendLocked(ev)
	}
	return nil
}

func (s *memStore) QueryAudit(_ context.Context, f gateway.AuditFilter) ([]gateway.AuditEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []gateway.AuditEvent
	for _, ev := range s.events {
		if f.Match(&ev) {
			out = append(out, clone(ev))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Timestamp.Before(out[j].Timestamp) })
	lo := min(f.Offset, len(out))
	hi := len(out)
	if f.Limit > 0 {
		hi = min(lo+f.Limit, hi)
	}
	return out[lo:hi], nil
}

func (s *memStore) AuditChain(context.Context) ([]gateway.AuditEvent, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	head := ""
	if n := len(s.events); n > 0 {
		head = s.events[n-1].Hash
	}
	return clone(s.events), head, nil
}

func (s *memStore) Close() error { return nil }

// memSecrets is an in-memory gateway.SecretStore that records what it holds, so tests can
// assert credentials are purged.
type memSecrets struct {
	mu     sync.Mutex
	values map[string]string
	next   int
}

func newMemSecrets() *memSecrets { return &memSecrets{values: map[string]string{}} }

func (m *memSecrets) Put(_ context.Context, endpointID, key, value string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next++
	ref := fmt.Sprintf("mem:%d", m.next)
	m.values[ref] = value
	return ref, nil
}

func (m *memSecrets) Resolve(_ context.Context, ref string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.values[ref]
	if !ok {
		return "", gateway.ErrNotFound
	}
	return v, nil
}

func (m *memSecrets) Delete(_ context.Context, ref string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.values, ref)
	return nil
}

func (m *memSecrets) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.values)
}
