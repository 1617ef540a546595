package app

import (
	"context"

	"github.com/llmgate/llmgate/gateway"
)

// RefreshOnMiss makes sure the snapshot is not older than the store before a request is
// refused. Requests normally never touch the store, but a change committed on another replica
// a millisecond ago may not have arrived through its notification yet: an unknown key, an
// unknown endpoint or a denial is re-checked against one version read (shared by concurrent
// misses). It reports whether a newer snapshot was loaded.
func (a *App) RefreshOnMiss(ctx context.Context) bool {
	before := a.Snapshot().Version
	_, err, _ := a.missChecks.Do("refresh", func() (any, error) {
		return nil, a.ReloadIfStale(ctx)
	})
	if err != nil {
		a.Log.Warn("checking state version on a miss", "err", err)
		return false
	}
	return a.Snapshot().Version != before
}

// AuthenticateFresh is Authenticate that re-checks an unknown key against the store once, so a
// key created on another replica works on its very first request.
func (a *App) AuthenticateFresh(ctx context.Context, key string) (*gateway.Principal, error) {
	if len(a.bearers.verifiers) > 0 && looksLikeJWT(key) {
		return a.authenticateBearer(ctx, key)
	}
	p, err := a.Authenticate(key)
	if err == nil || key == "" {
		return p, err
	}
	if a.RefreshOnMiss(ctx) {
		return a.Authenticate(key)
	}
	return p, err
}

// EndpointFresh looks an endpoint up by name, re-checking the store once on a miss (see
// RefreshOnMiss), so an endpoint created on another replica is found at once.
func (a *App) EndpointFresh(ctx context.Context, name string) *gateway.Endpoint {
	if e := a.Snapshot().Endpoint(name); e != nil {
		return e
	}
	if a.RefreshOnMiss(ctx) {
		return a.Snapshot().Endpoint(name)
	}
	return nil
}
