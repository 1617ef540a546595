// Package app is llmgate's running core: it holds the dependencies (store, secrets, limiter,
// audit writer, providers), keeps the in-memory snapshot that every request reads, and carries
// out the admin operations that change state. HTTP surfaces and the CLI both call it, so a
// change has one implementation whichever way it arrives.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/budget"
	budgetmemory "github.com/llmgate/llmgate/budget/memory"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
)

// Options are the dependencies of an App. Store, Secrets, Providers, Limiter and Audit are
// required (the CLI passes an in-process limiter and its own audit writer), so no operation
// has a mode where a dependency is missing.
type Options struct {
	Store     gateway.Store
	Secrets   gateway.SecretStore
	Providers *provider.Registry
	Limiter   gateway.Limiter
	// Budgets keeps budget usage, shared by replicas when it is Redis (default: in process).
	Budgets budget.Ledger
	Audit   *audit.Writer
	// AuditKeys is the audit chain's keyring, for verifying the trail (VerifyAudit).
	AuditKeys gateway.AuditKeys
	Log       *slog.Logger
	// MaxKeyLifetime bounds the keys non-admin users create for themselves; 0 = no bound.
	MaxKeyLifetime time.Duration
	// Bearers accept identity providers' JWTs in place of keys (none: keys only).
	Bearers []BearerVerifier
}

// App is safe for concurrent use.
type App struct {
	Store     gateway.Store
	Secrets   gateway.SecretStore
	Providers *provider.Registry
	Limiter   gateway.Limiter
	Budgets   budget.Ledger
	Audit     *audit.Writer
	Log       *slog.Logger
	auditKeys gateway.AuditKeys
	// maxKeyLifetime is Options.MaxKeyLifetime.
	maxKeyLifetime time.Duration

	snap     atomic.Pointer[gateway.Snapshot]
	reloadMu sync.Mutex
	// missChecks coalesces this App's concurrent staleness checks into one store read.
	missChecks singleflight.Group
	keyUses    keyUses // when each key was last used (keyuse.go)
	bearers    struct {
		verifiers []BearerVerifier
		cache     bearerCache
	}
}

// New loads the first snapshot.
func New(ctx context.Context, o Options) (*App, error) {
	if o.Store == nil || o.Secrets == nil || o.Providers == nil || o.Limiter == nil || o.Audit == nil || o.AuditKeys == nil {
		return nil, errors.New("app: Store, Secrets, Providers, Limiter, Audit and AuditKeys are required")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Budgets == nil {
		o.Budgets = budgetmemory.New()
	}
	a := &App{Store: o.Store, Secrets: o.Secrets, Providers: o.Providers, Limiter: o.Limiter, Budgets: o.Budgets,
		Audit: o.Audit, Log: o.Log, maxKeyLifetime: o.MaxKeyLifetime, auditKeys: o.AuditKeys}
	a.bearers.verifiers = o.Bearers
	if err := a.Reload(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// Snapshot is the current immutable view; never nil after New.
func (a *App) Snapshot() *gateway.Snapshot { return a.snap.Load() }

// Reload reads the state and swaps the snapshot in, unless a newer one is already live.
func (a *App) Reload(ctx context.Context) error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	st, err := a.Store.LoadState(ctx)
	if err != nil {
		return fmt.Errorf("loading state: %w", err)
	}
	if cur := a.snap.Load(); cur != nil && cur.Version > st.Version {
		return nil
	}
	big := len(st.Users)+len(st.Keys)+len(st.Endpoints) >= bigState
	a.snap.Store(gateway.NewSnapshot(st))
	if big {
		st = nil
		debug.FreeOSMemory()
	}
	return nil
}

// bigState is the size of state (users, keys and endpoints) from which a load returns the
// loader's garbage to the system at once. The rows read are about as large as the snapshot
// built from them; left to the collector's pace, the heap (and RSS) would stay at twice the
// snapshot until the next cycle. A forced cycle costs tens of milliseconds at 100,000 users.
const bigState = 10_000

// ReloadIfStale reloads when the store's version differs from the snapshot's; it is the
// periodic safety net behind change notifications.
func (a *App) ReloadIfStale(ctx context.Context) error {
	v, err := a.Store.StateVersion(ctx)
	if err != nil {
		return fmt.Errorf("reading state version: %w", err)
	}
	if cur := a.snap.Load(); cur != nil && cur.Version == v {
		return nil
	}
	return a.Reload(ctx)
}

// changed is called after every successful mutation: the next request on this replica must
// see it, so reload synchronously. Other replicas learn of it from the store (PostgreSQL
// notifications, the CLI's reload ping, the periodic version check), not from the App.
func (a *App) changed(ctx context.Context) {
	if err := a.Reload(ctx); err != nil {
		a.Log.Error("reload after change failed", "err", err)
	}
}
