package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/notify"
	"github.com/llmgate/llmgate/provider/registry"
	"github.com/spf13/cobra"
)

// stateCheckInterval is the safety net behind change notifications: however a change was
// missed, every replica converges within this interval.
const stateCheckInterval = time.Second

func serveCommand() *cobra.Command {
	var s settings
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway",
		Long: `Run the gateway: the Domino admin API, the MLflow Deployments and OpenAI-compatible
query surfaces, /health, /ready and /metrics on --addr.

Environment only (no flag): LLMGATE_ADMIN_API_KEY (key of the bootstrap admin on a fresh
database), LLMGATE_MASTER_KEY (local secret store master key instead of the key file),
VAULT_ADDR and VAULT_TOKEN (with --secrets vault or vault: secret references).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := s.validate(); err != nil {
				return usageError(c, err)
			}
			log := newLogger(s.LogFormat)
			if err := serve(&s, log); err != nil {
				log.Error("llmgate stopped", "err", err)
				return exitError{1}
			}
			return nil
		},
	}
	c.Flags().SortFlags = false
	s.bind(c.Flags(), scopeServe)
	return c
}

func serve(s *settings, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	d, err := openDeps(ctx, s)
	if err != nil {
		return err
	}
	defer d.close()
	writer := audit.NewWriter(d.store, log)
	finalAudit, err := startAuditMaintenance(ctx, d, s, log)
	if err != nil {
		writer.Close()
		return err
	}
	m := newMetrics(s)
	a, err := app.New(ctx, app.Options{
		Store: d.store, Secrets: d.secrets, Providers: registry.Default(), Audit: writer, Log: log,
		MaxKeyLifetime: s.maxKeyLifetime,
		Limiter: d.limiter(s, func(err error) {
			m.LimiterError()
			log.Warn("rate limiter unavailable", "err", err, "failOpen", s.RedisFailOpen)
		}),
	})
	if err != nil {
		writer.Close()
		return err
	}
	if err := bootstrapAdmin(ctx, a, s, log); err != nil {
		writer.Close()
		return err
	}

	mux := http.NewServeMux()
	if err := mountRoutes(mux, a, s, m); err != nil {
		writer.Close()
		return err
	}
	srv := &http.Server{
		Handler:           httpkit.Middleware(log, mux),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		writer.Close()
		return fmt.Errorf("listening on %s: %w", s.Addr, err)
	}
	keepFresh(ctx, a, s, log)
	if s.MetricsAddr != "" {
		if err := listenMetrics(s, m, log); err != nil {
			ln.Close()
			writer.Close()
			return err
		}
	}
	if s.DebugAddr != "" {
		go serveDebug(s.DebugAddr, log)
	}

	scheme := "http"
	serveErr := make(chan error, 1)
	go func() {
		if s.TLSCert != "" {
			serveErr <- srv.ServeTLS(ln, s.TLSCert, s.TLSKey)
		} else {
			serveErr <- srv.Serve(ln)
		}
	}()
	if s.TLSCert != "" {
		scheme = "https"
	}
	log.Info("llmgate ready", "url", scheme+"://"+ln.Addr().String(), "version", version,
		"database", map[bool]string{true: "postgres", false: "sqlite"}[s.DatabaseURL != ""], "secrets", s.Secrets)

	select {
	case err = <-serveErr:
	case <-ctx.Done():
		log.Info("shutting down: finishing in-flight requests")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = srv.Shutdown(shutdownCtx)
		cancel()
	}
	writer.Close() // every queued audit event is committed before we exit
	finalAudit()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	log.Info("llmgate stopped")
	return err
}

// keepFresh keeps the snapshot current: pings from the local CLI, database change
// notifications from other replicas, and a periodic version check as the safety net.
func keepFresh(ctx context.Context, a *app.App, s *settings, log *slog.Logger) {
	reload := func(ctx context.Context) {
		if err := a.Reload(ctx); err != nil {
			log.Error("reloading state", "err", err)
		}
	}
	if err := notify.ListenLocal(ctx, notify.SocketPath(s.DataDir), reload); err != nil {
		log.Warn("local change notifications unavailable; relying on the periodic check", "err", err)
	}
	if w, ok := a.Store.(gateway.ChangeWatcher); ok {
		go func() {
			err := w.WatchChanges(ctx, func(version int64) {
				if version > a.Snapshot().Version {
					reload(ctx)
				}
			})
			if err != nil && ctx.Err() == nil {
				log.Error("database change notifications stopped", "err", err)
			}
		}()
	}
	go func() {
		t := time.NewTicker(stateCheckInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := a.ReloadIfStale(ctx); err != nil && ctx.Err() == nil {
					log.Warn("periodic state check failed", "err", err)
				}
			}
		}
	}()
}

// bootstrapAdmin creates the first admin on a fresh database (PRODUCT.md): with
// LLMGATE_ADMIN_API_KEY as its key, or a generated key written only to a 0600 file. The key is
// never printed: stderr ends up in log files and log shippers, the file does not.
func bootstrapAdmin(ctx context.Context, a *app.App, s *settings, log *slog.Logger) error {
	preset := os.Getenv("LLMGATE_ADMIN_API_KEY")
	key, created, err := a.Bootstrap(ctx, preset)
	if err != nil || !created {
		return err
	}
	if preset != "" {
		log.Info("created admin user from LLMGATE_ADMIN_API_KEY", "userName", "admin")
		return nil
	}
	path := filepath.Join(s.DataDir, "admin-api-key")
	if err := writePrivateFile(path, key+"\n"); err != nil {
		return fmt.Errorf("saving generated admin key: %w", err)
	}
	log.Warn("created admin user with a generated API key, saved only to the key file (mode 0600); read it from there",
		"userName", "admin", "keyFile", path)
	return nil
}

// writePrivateFile writes data readable by the owner only, also when the file already exists
// with wider permissions.
func writePrivateFile(path, data string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func newLogger(format string) *slog.Logger {
	if format == "" {
		format = "json"
		if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			format = "text"
		}
	}
	var h slog.Handler
	if format == "text" {
		h = slog.NewTextHandler(os.Stderr, nil)
	} else {
		h = slog.NewJSONHandler(os.Stderr, nil)
	}
	return slog.New(h)
}
