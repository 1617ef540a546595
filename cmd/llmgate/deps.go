package main

import (
	"context"
	"errors"
	"fmt"
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

// openDeps opens the store and secret store named by s, creating the data directory.
func openDeps(ctx context.Context, s *settings) (*deps, error) {
	if err := os.MkdirAll(s.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	d := &deps{}
	var err error
	if s.DatabaseURL != "" {
		d.store, err = postgres.Open(ctx, s.DatabaseURL)
	} else {
		d.store, err = sqlite.Open(ctx, filepath.Join(s.DataDir, "llmgate.db"))
	}
	if err != nil {
		return nil, fmt.Errorf("opening database: %w", err)
	}
	var primary gateway.SecretStore
	var vaultStore *vault.Store
	if addr := os.Getenv("VAULT_ADDR"); addr != "" || s.Secrets == "vault" {
		vaultStore, err = vault.New(vault.Config{Address: addr, Token: os.Getenv("VAULT_TOKEN"), Mount: s.VaultMount, Prefix: s.VaultPrefix})
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
	if err := d.openAuditKeys(s); err != nil {
		d.close()
		return nil, err
	}
	if s.RedisURL != "" {
		opt, err := goredis.ParseURL(s.RedisURL)
		if err != nil {
			d.close()
			return nil, errors.New("--redis-url is not a valid redis:// URL")
		}
		d.redis = goredis.NewClient(opt)
	}
	return d, nil
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
