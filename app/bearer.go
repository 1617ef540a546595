package app

import (
	"context"
	"crypto/sha256"
	"strings"
	"sync"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// BearerVerifier validates a JWT an identity provider issued, presented on the API instead of an
// llmgate key (workload identity). identity/oidc implements it.
type BearerVerifier interface {
	// VerifyBearer checks raw against the provider's published keys and its iss, aud, exp and
	// nbf. ok is false when the token is not this provider's (another issuer), so the next
	// verifier may try it.
	VerifyBearer(ctx context.Context, raw string) (ident ExternalIdentity, ok bool, err error)
	// Mapping is how the provider's groups become roles and organizations.
	Mapping() GroupMapping
}

// maxBearerCache bounds the verified-token cache; when full it starts over.
const maxBearerCache = 10_000

// bearerCache remembers tokens already verified and synced, until they expire, so a workload
// presenting the same JWT on every call pays one map lookup, not a signature check and a sync.
type bearerCache struct {
	mu sync.Mutex
	m  map[[32]byte]cachedBearer
}

type cachedBearer struct {
	userID string
	expiry time.Time
}

func (c *bearerCache) get(h [32]byte, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[h]
	if !ok || !now.Before(e.expiry) {
		return "", false
	}
	return e.userID, true
}

func (c *bearerCache) put(h [32]byte, e cachedBearer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxBearerCache {
		c.m = make(map[[32]byte]cachedBearer)
	}
	c.m[h] = e
}

// looksLikeJWT tells a compact JWS (three base64url parts, a JSON header) from an llmgate key.
func looksLikeJWT(s string) bool {
	return strings.HasPrefix(s, "eyJ") && strings.Count(s, ".") == 2
}

// authenticateBearer resolves an IdP-issued JWT to its user: verified and synced once, then
// served from the cache until it expires. The principal is read from the current snapshot on
// every request, so a deactivation (SCIM, console, CLI) refuses the token at once.
func (a *App) authenticateBearer(ctx context.Context, raw string) (*gateway.Principal, error) {
	h := sha256.Sum256([]byte(raw))
	now := gateway.Now()
	userID, ok := a.bearers.cache.get(h, now)
	if !ok {
		u, expiry, err := a.verifyBearer(ctx, raw)
		if err != nil {
			return nil, err
		}
		userID = u.ID
		a.bearers.cache.put(h, cachedBearer{userID: userID, expiry: expiry})
	}
	snap := a.Snapshot()
	u := snap.User(userID)
	if u == nil || !u.Active() {
		return nil, gateway.Errorf(gateway.CodeUnauthenticated, "the token's user is deactivated")
	}
	return &gateway.Principal{User: u, OrgIDs: snap.OrgsOf(u.ID)}, nil
}

func (a *App) verifyBearer(ctx context.Context, raw string) (*gateway.User, time.Time, error) {
	for _, v := range a.bearers.verifiers {
		ident, ok, err := v.VerifyBearer(ctx, raw)
		if !ok {
			continue
		}
		if err != nil {
			return nil, time.Time{}, gateway.Wrap(gateway.CodeUnauthenticated, err, "invalid bearer token")
		}
		u, err := a.SyncExternalUser(ctx, Caller{}, ident, v.Mapping())
		if err != nil {
			if gateway.ErrorCode(err) == gateway.CodeUnauthenticated {
				return nil, time.Time{}, err
			}
			return nil, time.Time{}, gateway.Wrap(gateway.CodeUnavailable, err, "the token's user could not be provisioned")
		}
		return u, ident.Expiry, nil
	}
	return nil, time.Time{}, gateway.Errorf(gateway.CodeUnauthenticated, "invalid API key or a token from an unknown issuer")
}
