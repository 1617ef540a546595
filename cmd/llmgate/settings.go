package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/llmgate/llmgate/app"
)

// settings are the PRODUCT.md settings table plus a few extensions. Every flag has an
// environment variable; a flag given on the command line wins over the environment.
type settings struct {
	Addr          string
	DataDir       string
	DatabaseURL   string
	RedisURL      string
	Secrets       string
	VaultMount    string
	VaultPrefix   string
	TLSCert       string
	TLSKey        string
	LogFormat     string
	MaxBodyBytes  int64
	MLflowPrefix  string
	RedisFailOpen bool
	ListPageSize  int
	DebugAddr     string
	// MaxKeyLifetime is --max-key-lifetime as given ("365d", "720h", "0" = no maximum);
	// validate parses it into maxKeyLifetime.
	MaxKeyLifetime string
	maxKeyLifetime time.Duration
	Audit          auditSettings
	MetricsAddr    string
	MetricsToken   string
}

// bind registers the settings flags on fs with defaults taken from the environment.
func (s *settings) bind(fs *flag.FlagSet) {
	str := func(p *string, name, env, def, usage string) {
		fs.StringVar(p, name, envOr(env, def), usage+" (env "+env+")")
	}
	str(&s.Addr, "addr", "LLMGATE_ADDR", "127.0.0.1:8080", "listen address")
	str(&s.DataDir, "data-dir", "LLMGATE_DATA_DIR", "./llmgate-data", "embedded SQLite database and generated key files")
	str(&s.DatabaseURL, "database-url", "LLMGATE_DATABASE_URL", "", "postgres://… selects PostgreSQL; empty = embedded SQLite")
	str(&s.RedisURL, "redis-url", "LLMGATE_REDIS_URL", "", "shared rate-limit counters and change notifications; empty = in-process")
	str(&s.Secrets, "secrets", "LLMGATE_SECRETS", "local", "secret store: local or vault")
	str(&s.VaultMount, "vault-mount", "LLMGATE_VAULT_MOUNT", "secret", "Vault KV v2 mount")
	str(&s.VaultPrefix, "vault-prefix", "LLMGATE_VAULT_PREFIX", "llmgate", "path prefix for secrets llmgate stores in Vault")
	str(&s.TLSCert, "tls-cert", "LLMGATE_TLS_CERT", "", "TLS certificate file (serve HTTPS)")
	str(&s.TLSKey, "tls-key", "LLMGATE_TLS_KEY", "", "TLS key file")
	str(&s.LogFormat, "log-format", "LLMGATE_LOG_FORMAT", "", "text or json (default: text on a terminal, else json)")
	str(&s.DebugAddr, "debug-addr", "LLMGATE_DEBUG_ADDR", "", "serve Go pprof profiles on this separate address (loopback only; off when empty)")
	str(&s.MaxKeyLifetime, "max-key-lifetime", "LLMGATE_MAX_KEY_LIFETIME", "365d", "longest expiry of a key a non-admin user creates; their keys without expiry get it (0 = no maximum)")
	str(&s.MetricsAddr, "metrics-addr", "LLMGATE_METRICS_ADDR", "", "serve /metrics on this separate address instead of the API address; series then name endpoints")
	str(&s.MetricsToken, "metrics-token", "LLMGATE_METRICS_TOKEN", "", "require 'Authorization: Bearer <token>' on /metrics; series then name endpoints")
	str(&s.MLflowPrefix, "mlflow-base-path", "LLMGATE_MLFLOW_BASE_PATH", "", "extra path prefix for the MLflow routes, e.g. /mlflow-deployments")
	s.Audit.bind(fs)
	fs.Int64Var(&s.MaxBodyBytes, "max-body-bytes", envInt("LLMGATE_MAX_BODY_BYTES", 10<<20), "largest accepted request body (env LLMGATE_MAX_BODY_BYTES)")
	fs.BoolVar(&s.RedisFailOpen, "redis-fail-open", envBool("LLMGATE_REDIS_FAIL_OPEN", false), "admit requests when Redis is unreachable (default: refuse with 503) (env LLMGATE_REDIS_FAIL_OPEN)")
	fs.IntVar(&s.ListPageSize, "mlflow-page-size", int(envInt("LLMGATE_MLFLOW_PAGE_SIZE", 3000)), "endpoints per MLflow list page (env LLMGATE_MLFLOW_PAGE_SIZE)")
}

func (s *settings) validate() error {
	switch s.Secrets {
	case "local", "vault":
	default:
		return fmt.Errorf("--secrets must be local or vault, not %q", s.Secrets)
	}
	if (s.TLSCert == "") != (s.TLSKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together")
	}
	if s.DebugAddr != "" && !isLoopback(s.DebugAddr) {
		return fmt.Errorf("--debug-addr must be a loopback address: profiles reveal memory contents")
	}
	if s.MetricsAddr != "" && s.MetricsAddr == s.Addr && !strings.HasSuffix(s.Addr, ":0") {
		return fmt.Errorf("--metrics-addr must differ from --addr")
	}
	var err error
	if s.maxKeyLifetime, err = parseMaxKeyLifetime(s.MaxKeyLifetime); err != nil {
		return err
	}
	if s.MaxBodyBytes <= 0 {
		return fmt.Errorf("--max-body-bytes must be positive")
	}
	if s.DatabaseURL != "" && !strings.HasPrefix(s.DatabaseURL, "postgres://") && !strings.HasPrefix(s.DatabaseURL, "postgresql://") {
		return fmt.Errorf("--database-url must be a postgres:// URL")
	}
	return nil
}

// parseMaxKeyLifetime reads --max-key-lifetime: "0" (no maximum) or a lifetime such as 365d.
func parseMaxKeyLifetime(v string) (time.Duration, error) {
	if strings.TrimSpace(v) == "0" {
		return 0, nil
	}
	d, err := app.ParseExpiry(v)
	if err != nil || d < app.MinKeyLifetime {
		return 0, fmt.Errorf("--max-key-lifetime must be 0 (no maximum) or a lifetime of at least %s such as 365d or 720h, not %q",
			app.MinKeyLifetime, v)
	}
	return d, nil
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envInt(name string, def int64) int64 {
	if v, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil {
		return v
	}
	return def
}

func envBool(name string, def bool) bool {
	if v, err := strconv.ParseBool(os.Getenv(name)); err == nil {
		return v
	}
	return def
}
