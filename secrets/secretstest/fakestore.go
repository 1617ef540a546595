package secretstest

import (
	"bytes"
	"context"
	"sort"
	"sync"

	"github.com/llmgate/llmgate/gateway"
)

// FakeStore is an in-memory gateway.SealedSecretStore, so secret stores can be tested without
// a database; a secret store needs nothing else of the Store.
type FakeStore struct {
	mu      sync.Mutex
	secrets map[string]gateway.SealedSecret
}

var _ gateway.SealedSecretStore = (*FakeStore)(nil)

// NewFakeStore returns an empty FakeStore.
func NewFakeStore() *FakeStore {
	return &FakeStore{secrets: make(map[string]gateway.SealedSecret)}
}

// PutSecret inserts s; an existing id is a conflict, as in the SQL stores.
func (f *FakeStore) PutSecret(_ context.Context, s *gateway.SealedSecret) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.secrets[s.ID]; ok {
		return gateway.Errorf(gateway.CodeConflict, "secret %s exists", s.ID)
	}
	f.secrets[s.ID] = cloneSealed(*s)
	return nil
}

// GetSecret returns a copy of the secret with id.
func (f *FakeStore) GetSecret(_ context.Context, id string) (*gateway.SealedSecret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.secrets[id]
	if !ok {
		return nil, gateway.ErrNotFound
	}
	c := cloneSealed(s)
	return &c, nil
}

// DeleteSecret removes the secret with id.
func (f *FakeStore) DeleteSecret(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.secrets[id]; !ok {
		return gateway.ErrNotFound
	}
	delete(f.secrets, id)
	return nil
}

// ListSecrets returns copies of every secret ordered by id.
func (f *FakeStore) ListSecrets(context.Context) ([]gateway.SealedSecret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]gateway.SealedSecret, 0, len(f.secrets))
	for _, s := range f.secrets {
		out = append(out, cloneSealed(s))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// UpdateSecretWrapping replaces the wrapped key and master key id only.
func (f *FakeStore) UpdateSecretWrapping(_ context.Context, s *gateway.SealedSecret) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	cur, ok := f.secrets[s.ID]
	if !ok {
		return gateway.ErrNotFound
	}
	cur.WrappedKey = bytes.Clone(s.WrappedKey)
	cur.MasterKeyID = s.MasterKeyID
	f.secrets[s.ID] = cur
	return nil
}

// Tamper lets a test alter a stored secret in place, as an attacker with database access
// could. It reports whether the id exists.
func (f *FakeStore) Tamper(id string, alter func(*gateway.SealedSecret)) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.secrets[id]
	if ok {
		alter(&s)
		f.secrets[id] = s
	}
	return ok
}

func cloneSealed(s gateway.SealedSecret) gateway.SealedSecret {
	s.WrappedKey = bytes.Clone(s.WrappedKey)
	s.Ciphertext = bytes.Clone(s.Ciphertext)
	return s
}
