package secrets

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/secrets/local"
	"github.com/llmgate/llmgate/secrets/secretstest"
	"github.com/llmgate/llmgate/secrets/vault"
	"github.com/llmgate/llmgate/secrets/vaulttest"
)

const vaultToken = "hvs.resolver-test"

func newLocal(t *testing.T) *local.Store {
	t.Helper()
	kr, err := local.LoadKeyring(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	return local.New(secretstest.NewFakeStore(), kr)
}

// newVault starts a fake Vault holding secret/shared/openai {api_key: sk-from-vault}.
func newVault(t *testing.T) (*vaulttest.Server, *vault.Store) {
	t.Helper()
	srv := vaulttest.NewServer(vaultToken)
	t.Cleanup(srv.Close)
	v, err := vault.New(vault.Config{Address: srv.URL, Token: vaultToken})
	if err != nil {
		t.Fatal(err)
	}
	putVault(t, srv, "shared/openai", "sk-from-vault")
	return srv, v
}

func putVault(t *testing.T, srv *vaulttest.Server, path, value string) {
	t.Helper()
	c, err := vaultapi.NewClient(&vaultapi.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(vaultToken)
	if _, err := c.KVv2("secret").Put(context.Background(), path, map[string]any{"api_key": value}); err != nil {
		t.Fatal(err)
	}
}

func TestConformanceLocalPrimary(t *testing.T) {
	secretstest.Run(t, func(t *testing.T) gateway.SecretStore { return NewResolver(newLocal(t), nil) })
}

func TestConformanceVaultPrimary(t *testing.T) {
	secretstest.Run(t, func(t *testing.T) gateway.SecretStore {
		_, v := newVault(t)
		return NewResolver(v, v)
	})
}

func TestEnvRefs(t *testing.T) {
	t.Setenv("LLMGATE_TEST_OPENAI_KEY", "sk-from-env")
	r := NewResolver(newLocal(t), nil)
	ctx := context.Background()
	if got, err := r.Resolve(ctx, "env:LLMGATE_TEST_OPENAI_KEY"); err != nil || got != "sk-from-env" {
		t.Fatalf("Resolve env = %q, %v", got, err)
	}
	_, err := r.Resolve(ctx, "env:LLMGATE_TEST_SURELY_UNSET")
	if gateway.ErrorCode(err) != gateway.CodeInvalid || gateway.ErrorMessage(err) != "environment variable LLMGATE_TEST_SURELY_UNSET is not set" {
		t.Fatalf("unset variable: err = %v", err)
	}
	if _, err := r.Resolve(ctx, "env:NOT-A NAME"); gateway.ErrorCode(err) != gateway.CodeInvalid {
		t.Fatalf("bad name: err = %v, want invalid", err)
	}
	// A variable changed later is seen at once: env values are not cached.
	t.Setenv("LLMGATE_TEST_OPENAI_KEY", "sk-rotated")
	if got, _ := r.Resolve(ctx, "env:LLMGATE_TEST_OPENAI_KEY"); got != "sk-rotated" {
		t.Fatalf("Resolve env after change = %q, want sk-rotated", got)
	}
}

func TestVaultRefs(t *testing.T) {
	srv, v := newVault(t)
	ctx := context.Background()
	withVault := NewResolver(newLocal(t), v)
	if got, err := withVault.Resolve(ctx, "vault:secret/shared/openai#api_key"); err != nil || got != "sk-from-vault" {
		t.Fatalf("Resolve vault = %q, %v", got, err)
	}
	if _, err := withVault.Resolve(ctx, "vault:secret/shared/openai"); gateway.ErrorCode(err) != gateway.CodeInvalid {
		t.Fatalf("missing #FIELD: err = %v, want invalid", err)
	}
	// Deleting a user reference never touches the user's secret.
	if err := withVault.Delete(ctx, "vault:secret/shared/openai#api_key"); err != nil {
		t.Fatal(err)
	}
	if srv.Versions("secret", "shared/openai") != 1 {
		t.Fatal("Delete of a user vault: reference removed the Vault secret")
	}

	_, err := NewResolver(newLocal(t), nil).Resolve(ctx, "vault:secret/shared/openai#api_key")
	if gateway.ErrorCode(err) != gateway.CodeInvalid || !strings.Contains(gateway.ErrorMessage(err), "VAULT_ADDR") {
		t.Fatalf("vault ref without Vault: err = %v, want a clear invalid error", err)
	}
}

// countingStore counts the primary lookups the cache is meant to save.
type countingStore struct {
	gateway.SecretStore
	mu       sync.Mutex
	resolves int
}

func (c *countingStore) Resolve(ctx context.Context, ref string) (string, error) {
	c.mu.Lock()
	c.resolves++
	c.mu.Unlock()
	return c.SecretStore.Resolve(ctx, ref)
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func newCachedResolver(t *testing.T, opts ...Option) (*Resolver, *countingStore, *fakeClock) {
	primary := &countingStore{SecretStore: newLocal(t)}
	r := NewResolver(primary, nil, opts...)
	clock := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	r.now = clock.now
	return r, primary, clock
}

func TestCacheServesWithinTTL(t *testing.T) {
	ctx := context.Background()
	r, primary, clock := newCachedResolver(t, WithCacheTTL(10*time.Second))
	ref, err := r.Put(ctx, gateway.NewID(), "api_key", "sk-cached")
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		advance      time.Duration
		wantResolves int
		wantValue    string
		deleteBefore bool
		wantNotFound bool
	}{
		{0, 1, "sk-cached", false, false},
		{9 * time.Second, 1, "sk-cached", false, false}, // within TTL: no lookup
		{2 * time.Second, 2, "sk-cached", false, false}, // expired: looked up again
		{0, 3, "", true, true},                          // Delete drops the entry at once
	}
	for i, s := range steps {
		clock.t = clock.t.Add(s.advance)
		if s.deleteBefore {
			if err := r.Delete(ctx, ref); err != nil {
				t.Fatal(err)
			}
		}
		got, err := r.Resolve(ctx, ref)
		if s.wantNotFound {
			if gateway.ErrorCode(err) != gateway.CodeNotFound {
				t.Fatalf("step %d: err = %v, want not found", i, err)
			}
		} else if err != nil || got != s.wantValue {
			t.Fatalf("step %d: Resolve = %q, %v", i, got, err)
		}
		if primary.resolves != s.wantResolves {
			t.Fatalf("step %d: %d primary lookups, want %d", i, primary.resolves, s.wantResolves)
		}
	}
}

func TestCacheDisabled(t *testing.T) {
	ctx := context.Background()
	r, primary, _ := newCachedResolver(t, WithCacheTTL(0))
	ref, _ := r.Put(ctx, gateway.NewID(), "api_key", "sk-uncached")
	for range 3 {
		if _, err := r.Resolve(ctx, ref); err != nil {
			t.Fatal(err)
		}
	}
	if primary.resolves != 3 {
		t.Fatalf("%d primary lookups with the cache disabled, want 3", primary.resolves)
	}
}

func TestCacheIsBounded(t *testing.T) {
	ctx := context.Background()
	r, _, _ := newCachedResolver(t, WithCacheSize(2))
	for i := range 5 {
		ref, _ := r.Put(ctx, gateway.NewID(), "api_key", strings.Repeat("v", i+1))
		if got, err := r.Resolve(ctx, ref); err != nil || got != strings.Repeat("v", i+1) {
			t.Fatalf("Resolve = %q, %v", got, err)
		}
	}
	if n := len(r.cache); n > 2 {
		t.Fatalf("cache holds %d entries, bound is 2", n)
	}
}

func TestParseUserRef(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"env:OPENAI_API_KEY", "env:OPENAI_API_KEY", true},
		{"  env:_X1 ", "env:_X1", true},
		{"vault:secret/team/openai#api_key", "vault:secret/team/openai#api_key", true},
		{"vault:kv/prod/aws#secret-access-key", "vault:kv/prod/aws#secret-access-key", true},
		{"env:", "", false},
		{"env:1ABC", "", false},
		{"env:A-B", "", false},
		{"vault:secret/team/openai", "", false},
		{"vault:#field", "", false},
		{"vault:/secret/x#f", "", false},
		{"vault:secret//x#f", "", false},
		{"vault:secret/../sys#f", "", false},
		{"vault:secret/x#", "", false},
		{"vault:secret/x#a#b", "", false},
		{"local:0123456789abcdef01234567", "", false},
		{"vault-kv:llmgate/endpoints/x/y", "", false},
		{"sk-proj-raw-key", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		got, ok := ParseUserRef(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseUserRef(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
