package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/llmgate/llmgate/breaker"
	breakermemory "github.com/llmgate/llmgate/breaker/memory"
	breakerredis "github.com/llmgate/llmgate/breaker/redis"
	"github.com/llmgate/llmgate/budget"
	budgetmemory "github.com/llmgate/llmgate/budget/memory"
	budgetredis "github.com/llmgate/llmgate/budget/redis"
	"github.com/llmgate/llmgate/respcache"
	cachememory "github.com/llmgate/llmgate/respcache/memory"
	cacheredis "github.com/llmgate/llmgate/respcache/redis"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/notify"
	"github.com/llmgate/llmgate/ratelimit"
	"github.com/llmgate/llmgate/ratelimit/memory"
	redislimit "github.com/llmgate/llmgate/ratelimit/redis"
	"github.com/llmgate/llmgate/secrets"
	"github.com/llmgate/llmgate/secrets/local"
	"github.com/llmgate/llmgate/secrets/vault"
	"github.com/llmgate/llmgate/store/postgres"
	"github.com/llmgate/llmgate/store/sqlite"
)

// deps are the opened external dependencies shared by serve and the admin commands.
type deps struct {
	store   gateway.Store
	keyring *local.Keyring // nil with --secrets vault
	// auditKeys chain the audit trail (HMAC); held outside the database.
	auditKeys gateway.AuditKeys
	secrets   *secrets.Resolver
	redis     *goredis.Client // nil without --redis-url
}

func (d *deps) close() {
	if d.redis != nil {
		d.redis.Close()
	}
	if d.store != nil {
		d.store.Close()
	}
}

// connect says how openDeps reaches PostgreSQL and Vault: serve retries for a bounded time
// (they may start after it, e.g. in Compose), logging each failed attempt; an admin command
// (log nil) tries once and opens no Redis client.
type connect struct {
	log    *slog.Logger
	budget time.Duration // 0: one attempt
}

// openDeps opens the store and secret store named by s. The data directory must exist when
// s uses it (serve claims it first; admin commands check it).
func openDeps(ctx context.Context, s *settings, c connect) (*deps, error) {
	d := &deps{}
	dbc := c
	if s.DatabaseURL == "" {
		dbc.budget = 0 // a local file: waiting does not help
	}
	err := dbc.retry(ctx, "database", func(ctx context.Context) error {
		var err error
		if s.DatabaseURL != "" {
			d.store, err = postgres.Open(ctx, s.DatabaseURL)
		} else {
			d.store, err = sqlite.Open(ctx, filepath.Join(s.DataDir, dbFileName))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("opening database: %w", err)
	}
	var primary gateway.SecretStore
	var vaultStore *vault.Store
	if addr := os.Getenv("VAULT_ADDR"); addr != "" || s.Secrets == "vault" {
		vaultStore, err = vault.New(vault.Config{Address: addr, Token: os.Getenv("VAULT_TOKEN"), Mount: s.VaultMount, Prefix: s.VaultPrefix})
		if err == nil && s.Secrets == "vault" && c.budget > 0 {
			err = c.retry(ctx, "Vault", vaultStore.Check)
		}
		if err != nil {
			d.close()
			return nil, fmt.Errorf("connecting to Vault: %w", err)
		}
	}
	if s.Secrets == "vault" {
		primary = vaultStore
	} else {
		d.keyring, err = local.LoadKeyring(s.DataDir, os.Getenv("LLMGATE_MASTER_KEY"))
		if err != nil {
			d.close()
			return nil, fmt.Errorf("loading master key: %w", err)
		}
		primary = local.New(d.store, d.keyring)
	}
	d.secrets = secrets.NewResolver(primary, vaultStore)
	if s.Secrets != "vault" {
		vaultStore = nil // the audit keys go to Vault only with --secrets vault
	}
	if err := d.openAuditKeys(ctx, s, vaultStore); err != nil {
		d.close()
		return nil, err
	}
	if s.RedisURL != "" && c.log != nil { // only serve limits rates
		opt, err := goredis.ParseURL(s.RedisURL)
		if err != nil {
			d.close()
			return nil, errors.New("--redis-url is not a valid redis:// URL")
		}
		d.redis = goredis.NewClient(opt)
		// Not waited for: while Redis is down, --redis-fail-open decides every request, and
		// the client reconnects by itself.
		if err := d.redis.Ping(ctx).Err(); err != nil {
			c.log.Warn("Redis unreachable at start-up; rate-limited requests follow --redis-fail-open until it answers", "err", err, "failOpen", s.RedisFailOpen)
		}
	}
	return d, nil
}

// retry runs fn until it succeeds, the budget is spent or fn's error is not worth retrying
// (a bad setting), waiting 0.25s, 0.5s, … up to 5s between attempts.
func (c connect) retry(ctx context.Context, what string, fn func(context.Context) error) error {
	deadline := time.Now().Add(c.budget)
	wait := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			if attempt > 1 {
				c.log.Info(what+" reachable", "attempt", attempt)
			}
			return nil
		}
		if gateway.ErrorCode(err) == gateway.CodeInvalid || time.Now().Add(wait).After(deadline) {
			if attempt > 1 {
				return fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
			}
			return err
		}
		c.log.Warn(what+" unreachable; retrying", "attempt", attempt, "retryIn", wait.String(), "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
}

// budgets is the budget ledger: in Redis when replicas share one, so budgets hold across
// them; in process otherwise.
func (d *deps) budgets() budget.Ledger {
	if d.redis == nil {
		return budgetmemory.New()
	}
	return budgetredis.New(d.redis)
}

// responseCache is the response cache: in Redis when replicas share one, else in process
// within --cache-max-bytes.
func (d *deps) responseCache(s *settings) respcache.Cache {
	if d.redis == nil {
		return cachememory.New(s.CacheMaxBytes)
	}
	return cacheredis.New(d.redis)
}

// breaker keeps targets' health: in Redis when replicas share one, so they probe a dead
// target once per cooldown between them; in process otherwise.
func (d *deps) breaker() breaker.Breaker {
	if d.redis == nil {
		return breakermemory.New()
	}
	return breakerredis.New(d.redis)
}

// limiter builds the rate limiter: Redis-backed when configured, behind the fail policy.
func (d *deps) limiter(s *settings, onError func(error)) gateway.Limiter {
	if d.redis == nil {
		return memory.New()
	}
	return ratelimit.WithPolicy(redislimit.New(d.redis), ratelimit.Policy{
		FailOpen: s.RedisFailOpen,
		Timeout:  250 * time.Millisecond,
		OnError:  onError,
	})
}

// notifyServer tells a running `serve` on the same data directory to reload now. With
// PostgreSQL the store's NOTIFY already reaches every replica; the ping covers SQLite.
func notifyServer(s *settings) {
	if err := notify.PingLocal(notify.SocketPath(s.DataDir), 5*time.Second); err != nil {
		fmt.Fprintln(os.Stderr, "warning: the running server did not confirm the change; it will pick it up within a few seconds:", err)
	}
}
