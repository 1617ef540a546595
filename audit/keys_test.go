package audit

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/store/sqlite"
)

func TestKeyFileIsCreatedPrivateAndRotationKeepsOldKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", KeyFileName)
	kr, err := LoadKeyring(path, "")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	first, err := kr.Current()
	if err != nil || first.ID == "" || len(first.Secret) != 32 {
		t.Fatalf("current key %+v, %v", first, err)
	}
	// Another process (the CLI) rotates; this ring sees the new key once it looks again.
	other, err := LoadKeyring(path, "")
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := other.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	kr.mu.Lock()
	kr.checked = time.Time{}
	kr.mu.Unlock()
	if cur, _ := kr.Current(); cur.ID != rotated.ID {
		t.Fatalf("after rotation elsewhere current = %s, want %s", cur.ID, rotated.ID)
	}
	if _, ok := kr.Lookup(first.ID); !ok {
		t.Fatal("the key before rotation was forgotten")
	}
	again, err := LoadKeyring(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if cur, _ := again.Current(); cur.ID != rotated.ID {
		t.Fatal("reloaded ring does not start with the rotated key")
	}
	if _, err := LoadKeyring(path, "not base64!"); err == nil {
		t.Fatal("a malformed LLMGATE_AUDIT_KEY was accepted")
	}
	env := base64.StdEncoding.EncodeToString(GenerateKey()) + "," + base64.StdEncoding.EncodeToString(first.Secret)
	fromEnv, err := LoadKeyring(path, env)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := fromEnv.Lookup(first.ID); !ok {
		t.Fatal("the older key of LLMGATE_AUDIT_KEY is not available for verification")
	}
	if err := os.WriteFile(path, []byte("# nothing\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyring(path, ""); err == nil || !strings.Contains(err.Error(), "holds no key") {
		t.Fatalf("an empty key file: %v", err)
	}
}

// TestVerifyFollowsKeyRotationAndRejectsAnotherKey: a chain that crosses a rotation
// verifies with the ring; verified with a ring that lacks the keys, it fails naming the key.
func TestVerifyFollowsKeyRotationAndRejectsAnotherKey(t *testing.T) {
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "llmgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	keys := NewKeyring(GenerateKey())
	store.SetAuditKeys(keys)
	fill(t, store, 3)
	if _, err := keys.Rotate(); err != nil {
		t.Fatal(err)
	}
	fill(t, store, 3)
	r, err := Verify(t.Context(), store, keys)
	if err != nil || !r.OK || r.Keyed != 6 {
		t.Fatalf("verify across a rotation: %+v, %v", r, err)
	}
	r, err = Verify(t.Context(), store, NewKeyring(GenerateKey()))
	if err != nil || r.OK || r.BadSeq != 1 || !strings.Contains(r.Reason, "does not hold") {
		t.Fatalf("verify with a foreign key: %+v, %v", r, err)
	}
}

// masterStub stands in for the local master keyring.
type masterStub struct {
	keys    [][]byte
	reloads int
}

func (m *masterStub) DerivedKeys(purpose string) []gateway.AuditKey {
	out := make([]gateway.AuditKey, len(m.keys))
	for i, k := range m.keys {
		out[i] = gateway.AuditKey{ID: base64.RawURLEncoding.EncodeToString(k[:4]), Secret: append([]byte(purpose), k...)}
	}
	return out
}

func (m *masterStub) Reload() error { m.reloads++; return nil }

// TestDerivedKeyringFollowsMasterKeyRotation: ids are prefixed, the newest master key's
// derivation chains, and an older one is still found for verification.
func TestDerivedKeyringFollowsMasterKeyRotation(t *testing.T) {
	m := &masterStub{keys: [][]byte{GenerateKey()}}
	d := NewDerivedKeyring(m)
	first, err := d.Current()
	if err != nil || !strings.HasPrefix(first.ID, "m-") {
		t.Fatalf("current %+v, %v", first, err)
	}
	m.keys = append([][]byte{GenerateKey()}, m.keys...)
	d.reloaded = time.Time{}
	second, _ := d.Current()
	if second.ID == first.ID {
		t.Fatal("a rotated master key did not rotate the chain key")
	}
	if k, ok := d.Lookup(first.ID); !ok || string(k.Secret) != string(first.Secret) {
		t.Fatal("the chain key of the older master key is gone")
	}
	if _, ok := d.Lookup("m-unknown"); ok || m.reloads < 2 {
		t.Fatalf("unknown id found, or not looked for in the reread file (reloads %d)", m.reloads)
	}
}

// memKeyStore is a KeyStore with Vault's check-and-set semantics.
type memKeyStore struct {
	mu      sync.Mutex
	value   string
	version int
}

func (m *memKeyStore) Load(context.Context) (string, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.value, m.version, nil
}

func (m *memKeyStore) Store(_ context.Context, v string, version int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if version != m.version {
		return gateway.Errorf(gateway.CodeConflict, "changed concurrently")
	}
	m.value, m.version = v, m.version+1
	return nil
}

// TestSharedKeyringIsOneRingForEveryReplica: replicas loading at once from an empty store
// end up with the same key; a rotation by one is seen by the others after Refresh (Current
// never waits on the store), older keys stay for verification.
func TestSharedKeyringIsOneRingForEveryReplica(t *testing.T) {
	ks := &memKeyStore{}
	rings := make([]*Keyring, 4)
	var wg sync.WaitGroup
	errs := make(chan error, len(rings))
	for i := range rings {
		wg.Go(func() {
			var err error
			rings[i], err = LoadRemoteKeyring(context.Background(), ks)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	first, _ := rings[0].Current()
	for _, r := range rings[1:] {
		if k, _ := r.Current(); k.ID != first.ID {
			t.Fatalf("replicas chain with different keys: %s and %s", k.ID, first.ID)
		}
	}
	rotated, err := rings[1].Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := rings[2].Current(); k.ID != first.ID {
		t.Fatal("Current reached the store")
	}
	if err := rings[2].Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if k, _ := rings[2].Current(); k.ID != rotated.ID {
		t.Fatalf("after Refresh current = %s, want the rotated %s", k.ID, rotated.ID)
	}
	if _, ok := rings[3].Lookup(rotated.ID); !ok {
		t.Fatal("Lookup of a key rotated elsewhere did not reread the store")
	}
	if _, ok := rings[3].Lookup(first.ID); !ok {
		t.Fatal("the key before rotation was dropped")
	}
}
