// Package secrets resolves the credential references endpoints hold. Its Resolver is the
// one gateway.SecretStore the rest of llmgate uses: it stores owned secrets in the configured
// primary store (secrets/local or secrets/vault), reads user-given `env:NAME` and
// `vault:PATH#FIELD` references without ever writing or deleting them, and keeps recently
// resolved values in memory for a short time so that the query hot path does not hit the
// database or Vault on every request.
//
// Values are never logged, and error messages name references, never values.
package secrets

import (
	"context"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/secrets/vault"
)

// Schemes of references users may give instead of a value.
const (
	EnvPrefix   = "env:"
	VaultPrefix = "vault:"
)

const (
	defaultCacheTTL  = 30 * time.Second
	defaultCacheSize = 1024
)

// Resolver implements gateway.SecretStore over a primary store and user references.
type Resolver struct {
	primary gateway.SecretStore
	vault   *vault.Store // nil when Vault is not configured

	ttl       time.Duration
	cacheSize int
	now       func() time.Time

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	value   string
	expires time.Time
}

var _ gateway.SecretStore = (*Resolver)(nil)

// Option configures a Resolver.
type Option func(*Resolver)

// WithCacheTTL sets how long a resolved value is reused (default 30s). It bounds how long a
// replica keeps using a value another replica changed in Vault. Zero or less disables the
// cache.
func WithCacheTTL(ttl time.Duration) Option { return func(r *Resolver) { r.ttl = ttl } }

// WithCacheSize bounds the number of cached values (default 1024).
func WithCacheSize(n int) Option { return func(r *Resolver) { r.cacheSize = max(n, 1) } }

// NewResolver returns a Resolver storing owned secrets in primary. vaultStore serves
// `vault:` references and may be nil.
func NewResolver(primary gateway.SecretStore, vaultStore *vault.Store, opts ...Option) *Resolver {
	r := &Resolver{
		primary:   primary,
		vault:     vaultStore,
		ttl:       defaultCacheTTL,
		cacheSize: defaultCacheSize,
		now:       time.Now,
		cache:     make(map[string]cached),
	}
	for _, opt := range opts {
		opt(r)
	}
	return r
}

// Put stores value in the primary store.
func (r *Resolver) Put(ctx context.Context, endpointID, key, value string) (string, error) {
	return r.primary.Put(ctx, endpointID, key, value)
}

// Resolve returns the value behind ref: an environment variable, a Vault field, or a
// secret the primary store issued.
func (r *Resolver) Resolve(ctx context.Context, ref string) (string, error) {
	if name, ok := strings.CutPrefix(ref, EnvPrefix); ok {
		return resolveEnv(name)
	}
	if v, ok := r.cached(ref); ok {
		return v, nil
	}
	v, err := r.resolveUncached(ctx, ref)
	if err != nil {
		return "", err
	}
	r.remember(ref, v)
	return v, nil
}

// Delete forgets ref and removes it from the primary store. User references are only ever
// read: deleting one drops it from the cache and leaves the variable or Vault secret alone.
func (r *Resolver) Delete(ctx context.Context, ref string) error {
	r.forget(ref)
	if IsUserRef(ref) {
		return nil
	}
	return r.primary.Delete(ctx, ref)
}

func (r *Resolver) resolveUncached(ctx context.Context, ref string) (string, error) {
	rest, ok := strings.CutPrefix(ref, VaultPrefix)
	if !ok {
		return r.primary.Resolve(ctx, ref)
	}
	path, field, ok := parseVaultRef(rest)
	if !ok {
		return "", gateway.Errorf(gateway.CodeInvalid, "invalid vault: secret reference; want vault:PATH#FIELD")
	}
	if r.vault == nil {
		return "", gateway.Errorf(gateway.CodeInvalid, "secret reference %s needs Vault, which is not configured (set VAULT_ADDR and VAULT_TOKEN)", ref)
	}
	return r.vault.ReadField(ctx, path, field)
}

func resolveEnv(name string) (string, error) {
	if !envNamePattern.MatchString(name) {
		return "", gateway.Errorf(gateway.CodeInvalid, "invalid env: secret reference; want env:NAME")
	}
	v, ok := os.LookupEnv(name)
	if !ok {
		return "", gateway.Errorf(gateway.CodeInvalid, "environment variable %s is not set", name)
	}
	return v, nil
}

func (r *Resolver) cached(ref string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.cache[ref]
	if !ok {
		return "", false
	}
	if !r.now().Before(c.expires) {
		delete(r.cache, ref)
		return "", false
	}
	return c.value, true
}

func (r *Resolver) remember(ref, value string) {
	if r.ttl <= 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if len(r.cache) >= r.cacheSize {
		r.evictLocked(now)
	}
	r.cache[ref] = cached{value: value, expires: now.Add(r.ttl)}
}

// evictLocked drops expired entries and, if the cache is still full, arbitrary ones: a
// miss costs one lookup, so precise LRU order is not worth its bookkeeping.
func (r *Resolver) evictLocked(now time.Time) {
	for ref, c := range r.cache {
		if !now.Before(c.expires) {
			delete(r.cache, ref)
		}
	}
	for ref := range r.cache {
		if len(r.cache) < r.cacheSize {
			break
		}
		delete(r.cache, ref)
	}
}

func (r *Resolver) forget(ref string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.cache, ref)
}

var (
	envNamePattern    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	vaultFieldPattern = regexp.MustCompile(`^[A-Za-z0-9._~@+=-]{1,256}$`)
)

// ParseUserRef validates a reference given by a user in place of a value
// (`{"secretRef": "env:NAME"}` or `{"secretRef": "vault:PATH#FIELD"}`) and returns it with
// surrounding spaces removed. PATH includes the KV v2 mount (see vault.Store.ReadField).
func ParseUserRef(s string) (ref string, ok bool) {
	ref = strings.TrimSpace(s)
	if name, found := strings.CutPrefix(ref, EnvPrefix); found {
		ok = envNamePattern.MatchString(name)
	} else if rest, found := strings.CutPrefix(ref, VaultPrefix); found {
		_, _, ok = parseVaultRef(rest)
	}
	if !ok {
		return "", false
	}
	return ref, true
}

// IsUserRef reports whether ref is a user-given reference (env: or vault:), which llmgate
// reads but never owns.
func IsUserRef(ref string) bool {
	return strings.HasPrefix(ref, EnvPrefix) || strings.HasPrefix(ref, VaultPrefix)
}

func parseVaultRef(s string) (path, field string, ok bool) {
	path, field, found := strings.Cut(s, "#")
	if !found || !vault.ValidPath(path) || !vaultFieldPattern.MatchString(field) {
		return "", "", false
	}
	return path, field, true
}
