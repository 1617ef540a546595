package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/llmgate/llmgate/internal/heapfloor"
	"github.com/llmgate/llmgate/telemetry"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/llmgate/llmgate/api/httpkit"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/internal/connlimit"
	"github.com/llmgate/llmgate/metrics"
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

Start-up order: check every setting; load the TLS certificate; take the port and the data
directory's lock (one serve per data directory); answer /health (200) and /ready (503) while
opening the database, Vault and Redis (retried for --connect-timeout); create the bootstrap
admin; then /ready answers 200 and "llmgate ready" is logged.

Environment only (no flag): LLMGATE_ADMIN_API_KEY (key of the bootstrap admin on a fresh
database), LLMGATE_MASTER_KEY (local secret store master key instead of the key file),
LLMGATE_AUDIT_KEY (audit chain keys), VAULT_ADDR and VAULT_TOKEN (with --secrets vault or
vault: secret references).`,
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
			log.Info("llmgate stopped")
			return nil
		},
	}
	c.Flags().SortFlags = false
	s.bind(c.Flags(), scopeServe)
	return c
}

// Readiness states reported by /ready.
const (
	stateStarting int32 = iota
	stateReady
	stateStopping
)

// phases is the server's handler: a start-up handler (/health, /ready, 503 elsewhere) until
// the stores are open, then the full API.
type phases struct {
	h     atomic.Pointer[http.Handler]
	state atomic.Int32
}

func (p *phases) ServeHTTP(w http.ResponseWriter, r *http.Request) { (*p.h.Load()).ServeHTTP(w, r) }

func (p *phases) set(h http.Handler) { p.h.Store(&h) }

// health answers liveness: the process runs and serves HTTP.
func health(w http.ResponseWriter, _ *http.Request) {
	httpkit.WriteJSON(w, http.StatusOK, map[string]string{"status": "OK"})
}

// ready answers readiness: 200 only between start-up and shutdown, so a load balancer sends
// traffic only to a replica that can serve it.
func (p *phases) ready(w http.ResponseWriter, _ *http.Request) {
	switch p.state.Load() {
	case stateReady:
		httpkit.WriteJSON(w, http.StatusOK, map[string]string{"status": "READY"})
	case stateStopping:
		httpkit.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "STOPPING"})
	default:
		httpkit.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "STARTING"})
	}
}

func (p *phases) startupMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", health)
	mux.HandleFunc("GET /ready", p.ready)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "1")
		httpkit.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "llmgate is starting"})
	})
	return mux
}

// loadTLS reads the certificate before anything else, so a missing file fails the start
// before the port is taken or "ready" is logged.
func loadTLS(s *settings) (*tls.Config, error) {
	if s.TLSCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(s.TLSCert, s.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("loading --tls-cert/--tls-key: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

func serve(s *settings, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	shutdownTraces, err := telemetry.Setup(ctx, version)
	if err != nil {
		return fmt.Errorf("OpenTelemetry (OTEL_* settings): %w", err)
	}
	defer func() {
		flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdownTraces(flush); err != nil {
			log.Warn("flushing traces", "err", err)
		}
	}()

	if !heapfloor.Overridden() {
		defer heapfloor.Start(s.HeapFloor).Stop()
	}
	tlsConf, err := loadTLS(s)
	if err != nil {
		return err
	}
	inner, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.Addr, err)
	}
	ln := connlimit.New(inner, s.MaxConnections)
	defer ln.Close()
	own, err := claimDataDir(s)
	if err != nil {
		return err
	}
	defer own.release()
	m := newMetrics(s)
	if s.MetricsAddr != "" {
		if err := listenMetrics(s, m, log); err != nil {
			return err
		}
	}

	trusted, _ := httpkit.ParseTrustedProxies(s.TrustedProxies) // validated with the settings
	p := &phases{}
	p.set(p.startupMux())
	srv := &http.Server{
		Handler:           httpkit.ForwardedFor(trusted, httpkit.Middleware(log, p)),
		TLSConfig:         tlsConf,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.ReadTimeout,
		IdleTimeout:       s.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ConnState:         ln.ConnState,
	}
	serveErr := make(chan error, 1)
	go func() {
		if tlsConf != nil {
			serveErr <- srv.ServeTLS(ln, "", "")
		} else {
			serveErr <- srv.Serve(ln)
		}
	}()
	scheme := map[bool]string{true: "https", false: "http"}[tlsConf != nil]
	log.Info("llmgate starting: /health answers, /ready waits for the stores", "url", scheme+"://"+ln.Addr().String())

	closeStores, err := start(ctx, s, log, p, m)
	if err == nil {
		defer closeStores() // after Shutdown: every queued audit event is committed before we exit
		p.state.Store(stateReady)
		log.Info("llmgate ready", "url", scheme+"://"+ln.Addr().String(), "version", version,
			"database", map[bool]string{true: "postgres", false: "sqlite"}[s.DatabaseURL != ""], "secrets", s.Secrets)
		if s.onReady != nil {
			err = s.onReady(scheme + "://" + ln.Addr().String())
		}
		if err == nil {
			select {
			case err = <-serveErr:
			case <-ctx.Done():
			}
		}
	}
	p.state.Store(stateStopping)
	if ctx.Err() != nil && err == nil {
		log.Info("shutting down: finishing in-flight requests")
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	if serr := srv.Shutdown(shutdownCtx); err == nil {
		err = serr
	}
	cancel()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// start opens the stores (retrying), creates the bootstrap admin, mounts every route and
// switches the handler to the full API. The returned function flushes the audit writer and
// closes the stores.
func start(ctx context.Context, s *settings, log *slog.Logger, p *phases, m *metrics.Metrics) (func(), error) {
	d, err := openDeps(ctx, s, connect{log: log, budget: s.ConnectTimeout})
	if err != nil {
		return nil, err
	}
	writer := audit.NewWriter(d.store, log)
	writer.SetCommitObserver(m.ObserveAuditCommit)
	closeOutlets, err := auditOutlets(writer, s, log)
	if err != nil {
		writer.Close()
		d.close()
		return nil, err
	}
	finalAudit, err := startAuditMaintenance(ctx, d, s, log)
	if err != nil {
		writer.Close()
		closeOutlets()
		d.close()
		return nil, err
	}
	closeStores := func() {
		writer.Close() // every queued audit event is committed before we exit
		closeOutlets()
		finalAudit()
		d.close()
	}
	fail := func(err error) (func(), error) {
		closeStores()
		return nil, err
	}
	sso, err := s.OIDC.providers(ctx, d.secrets)
	if err != nil {
		return fail(err)
	}
	a, err := app.New(ctx, app.Options{
		Store: d.store, Secrets: d.secrets, Providers: registry.Default(), Audit: writer, AuditKeys: d.auditKeys, Log: log,
		MaxKeyLifetime: s.maxKeyLifetime, Bearers: bearers(sso),
		Budgets: d.budgets(),
		Limiter: d.limiter(s, func(err error) {
			m.LimiterError()
			log.Warn("rate limiter unavailable", "err", err, "failOpen", s.RedisFailOpen)
		}),
	})
	if err != nil {
		return fail(err)
	}
	if err := bootstrapAdmin(ctx, a, s, log); err != nil {
		return fail(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ready", p.ready)
	if err := mountRoutes(mux, a, s, m, d.responseCache(s), d.breaker(), sso); err != nil {
		return fail(err)
	}
	keepFresh(ctx, a, s, log)
	finalKeyUses := keepKeyUses(ctx, a, log)
	closeAll := closeStores
	closeStores = func() {
		finalKeyUses()
		closeAll()
	}
	if s.DebugAddr != "" {
		go serveDebug(s.DebugAddr, log)
	}
	p.set(mux)
	return closeStores, nil
}

// keepFresh keeps the snapshot current: pings from the local CLI, database change
// notifications from other replicas, and a periodic version check as the safety net.
func keepFresh(ctx context.Context, a *app.App, s *settings, log *slog.Logger) {
	reload := func(ctx context.Context) {
		if err := a.Reload(ctx); err != nil {
			log.Error("reloading state", "err", err)
		}
	}
	// Without a data directory, admin commands reach this server through the database's
	// change notifications (PostgreSQL) alone.
	if exists(s.DataDir) {
		if err := notify.ListenLocal(ctx, notify.SocketPath(s.DataDir), reload); err != nil {
			log.Warn("local change notifications unavailable; relying on the periodic check", "err", err)
		}
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
	go every(ctx, stateCheckInterval, func(ctx context.Context) {
		if err := a.ReloadIfStale(ctx); err != nil && ctx.Err() == nil {
			log.Warn("periodic state check failed", "err", err)
		}
	})
}

// bootstrapAdmin creates the first admin on a fresh database (docs/contract/product.md): with
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
	if err := os.MkdirAll(s.DataDir, 0o700); err != nil {
		return fmt.Errorf("creating the data directory for the generated admin key (or set LLMGATE_ADMIN_API_KEY): %w", err)
	}
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
