package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/llmgate/llmgate/api/httpkit"
	goredis "github.com/redis/go-redis/v9"
	"github.com/spf13/pflag"
)

// settings are the documented settings (docs/settings.md). Every one is a flag with an
// environment variable; a flag given on the command line wins over the environment. Each
// value is checked when it is read, so a bad value stops the command with the setting's name
// in the message instead of falling back to a default.
type settings struct {
	// onReady, when set, runs once the server answers (llmgate demo seeds itself through it).
	onReady func(url string) error

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
	// BudgetWebhookSecret signs budget alert webhooks (HMAC-SHA256).
	BudgetWebhookSecret string
	CacheMaxBytes       int64
	// HeapFloor is the heap size below which the garbage collector does not run (heapfloor).
	HeapFloor int64
	// AccessLog, AuditSinkURL and AuditSinkSecret send committed events out (outlets.go).
	AccessLog       string
	AuditSinkURL    string
	AuditSinkSecret string
	// maxKeyLifetime bounds the keys non-admin users create for themselves; 0 = no maximum.
	maxKeyLifetime time.Duration
	Audit          auditSettings
	MetricsAddr    string
	ConnectTimeout time.Duration
	MetricsToken   string
	// MaxConcurrentPerUser and MaxInflightRequestBytes bound what queries hold at once.
	MaxConcurrentPerUser    int
	MaxInflightRequestBytes int64
	// MaxConnections caps open client connections; IdleTimeout closes idle keep-alive ones.
	MaxConnections int
	IdleTimeout    time.Duration
	// ReadTimeout bounds reading one request, body included.
	ReadTimeout time.Duration
	// TrustedProxies are the peers whose X-Forwarded-For / Forwarded headers name the client.
	TrustedProxies string
	// PublicURL is the gateway's external address (console snippets, SSO callback).
	PublicURL string
	// OIDC configures single sign-on (oidc.go).
	OIDC oidcSettings

	// MaxResponseBytes and MaxInflightResponseBytes bound non-streamed upstream answers.
	MaxResponseBytes, MaxInflightResponseBytes int64

	envErrs []error // bad environment values, reported by validate
}

// scope says which commands a setting applies to; a command shows only its settings in -h.
type scope int

const (
	// scopeStore settings locate the database and secrets: serve and every admin command.
	scopeStore scope = iota
	// scopeServe settings shape the running server: serve (and demo) only.
	scopeServe
	// scopeServeQuiet applies to serve; admin commands accept it without listing it, so one
	// set of settings (e.g. from a script or the environment) works for every command.
	scopeServeQuiet
)

// setting is one row of the settings table.
type setting struct {
	flag, env string
	scope     scope
	def       string
	usage     string
	value     pflag.Value // bound to a field of settings; Set validates
}

// table is THE list of settings. Add a setting here (and to docs/settings.md): the flag, its
// environment variable, help text and validation all come from this row.
func (s *settings) table() []setting {
	return append([]setting{
		{"addr", "LLMGATE_ADDR", scopeServe, "127.0.0.1:8080", "listen address (host:port)", hostPortValue(&s.Addr)},
		{"data-dir", "LLMGATE_DATA_DIR", scopeStore, "./llmgate-data", "embedded SQLite database, master key and admin key files", stringValue(&s.DataDir, nonEmpty)},
		{"database-url", "LLMGATE_DATABASE_URL", scopeStore, "", "postgres://… selects PostgreSQL; empty = embedded SQLite in --data-dir", stringValue(&s.DatabaseURL, postgresURL)},
		{"redis-url", "LLMGATE_REDIS_URL", scopeServeQuiet, "", "redis://… for shared rate-limit counters; empty = in-process", stringValue(&s.RedisURL, redisURL)},
		{"secrets", "LLMGATE_SECRETS", scopeStore, "local", "secret store for endpoint credentials", enumValue(&s.Secrets, "local", "vault")},
		{"vault-mount", "LLMGATE_VAULT_MOUNT", scopeStore, "secret", "Vault KV v2 mount", stringValue(&s.VaultMount, nonEmpty)},
		{"vault-prefix", "LLMGATE_VAULT_PREFIX", scopeStore, "llmgate", "path prefix for secrets llmgate stores in Vault", stringValue(&s.VaultPrefix, nil)},
		{"tls-cert", "LLMGATE_TLS_CERT", scopeServe, "", "TLS certificate file (serve HTTPS; needs --tls-key)", stringValue(&s.TLSCert, nil)},
		{"tls-key", "LLMGATE_TLS_KEY", scopeServe, "", "TLS private key file", stringValue(&s.TLSKey, nil)},
		{"log-format", "LLMGATE_LOG_FORMAT", scopeServe, "", "text or json (default: text on a terminal, else json)", enumValue(&s.LogFormat, "", "text", "json")},
		{"max-body-bytes", "LLMGATE_MAX_BODY_BYTES", scopeServe, "10MiB", "largest accepted request body (bytes or with a unit: 512KB, 10MiB, 1GiB)", sizeValue(&s.MaxBodyBytes)},
		{"max-response-bytes", "LLMGATE_MAX_RESPONSE_BYTES", scopeServe, "8MiB", "largest non-streamed upstream answer relayed; a larger one is a 502", sizeValue(&s.MaxResponseBytes)},
		{"max-inflight-response-bytes", "LLMGATE_MAX_INFLIGHT_RESPONSE_BYTES", scopeServe, "64MiB", "buffer shared by all non-streamed upstream answers being relayed; a call that cannot get its share within 10s is a 503", sizeValue(&s.MaxInflightResponseBytes)},
		{"mlflow-base-path", "LLMGATE_MLFLOW_BASE_PATH", scopeServe, "", "extra path prefix for the MLflow routes, e.g. /mlflow-deployments", stringValue(&s.MLflowPrefix, basePath)},
		{"mlflow-page-size", "LLMGATE_MLFLOW_PAGE_SIZE", scopeServe, "3000", "endpoints per MLflow list page", intValue(&s.ListPageSize, 1, 1<<20)},
		{"redis-fail-open", "LLMGATE_REDIS_FAIL_OPEN", scopeServe, "false", "admit requests when Redis is unreachable (default: refuse with 503)", boolValue(&s.RedisFailOpen)},
		{"max-key-lifetime", "LLMGATE_MAX_KEY_LIFETIME", scopeServe, "365d", "longest expiry of a key a non-admin user creates; their keys without expiry get it (0 = no maximum)", keyLifetimeValue(&s.maxKeyLifetime)},
		{"metrics-addr", "LLMGATE_METRICS_ADDR", scopeServe, "", "serve /metrics on this separate address instead of the API address; series then name endpoints", stringValue(&s.MetricsAddr, optionalHostPort)},
		{"metrics-token", "LLMGATE_METRICS_TOKEN", scopeServe, "", "require 'Authorization: Bearer <token>' on /metrics; series then name endpoints", stringValue(&s.MetricsToken, nil)},
		{"connect-timeout", "LLMGATE_CONNECT_TIMEOUT", scopeServe, "60s", "at start-up, keep retrying PostgreSQL, Vault and Redis this long before giving up (0: one attempt)", durationValue(&s.ConnectTimeout, 0)},
		{"max-concurrent-per-user", "LLMGATE_MAX_CONCURRENT_PER_USER", scopeServe, "64", "queries one user may have in flight on this replica; one more is a 429 with Retry-After", intValue(&s.MaxConcurrentPerUser, 1, 1<<20)},
		{"max-inflight-request-bytes", "LLMGATE_MAX_INFLIGHT_REQUEST_BYTES", scopeServe, "64MiB", "bodies over 64 KiB of all queries in flight share this; a query that cannot get its share within 10s is a 503", sizeValue(&s.MaxInflightRequestBytes)},
		{"max-connections", "LLMGATE_MAX_CONNECTIONS", scopeServe, "4096", "most client connections held open; beyond it new ones wait and the longest-idle one is closed", intValue(&s.MaxConnections, 1, 1<<20)},
		{"read-timeout", "LLMGATE_READ_TIMEOUT", scopeServe, "30s", "most time a client may take to send one request, body included; a slower body is a 400 and the connection closes", durationValue(&s.ReadTimeout, time.Second)},
		{"idle-timeout", "LLMGATE_IDLE_TIMEOUT", scopeServe, "60s", "close a keep-alive connection idle this long", durationValue(&s.IdleTimeout, time.Second)},
		{"trusted-proxies", "LLMGATE_TRUSTED_PROXIES", scopeServe, "", "comma-separated CIDRs or addresses of load balancers whose X-Forwarded-For/Forwarded headers name the client (for clientIp in audit events and logs); empty = the peer is the client", stringValue(&s.TrustedProxies, trustedProxies)},
		{"debug-addr", "LLMGATE_DEBUG_ADDR", scopeServe, "", "serve Go pprof profiles on this loopback address (off when empty)", stringValue(&s.DebugAddr, loopbackAddr)},
		{"heap-floor", "LLMGATE_HEAP_FLOOR", scopeServe, "32MiB", "let a small heap grow to this size between garbage collections instead of twice its live size: less CPU per query and a steadier tail latency for this much memory (0: Go's default; GOGC or GOMEMLIMIT in the environment take precedence)", sizeOrOffValue(&s.HeapFloor)},
		{"cache-max-bytes", "LLMGATE_CACHE_MAX_BYTES", scopeServe, "64MiB", "memory the in-process response cache may hold (endpoints with a cache policy; with --redis-url the cache is in Redis)", sizeValue(&s.CacheMaxBytes)},
		{"access-log", "LLMGATE_ACCESS_LOG", scopeServe, "", "write one JSON line per query (the access event's fields) to stdout, stderr or this file (off when empty)", stringValue(&s.AccessLog, nil)},
		{"audit-sink-url", "LLMGATE_AUDIT_SINK_URL", scopeServe, "", "POST every committed audit event batch (a JSON array) to this URL, signed with --audit-sink-secret, retried, in commit order (off when empty)", stringValue(&s.AuditSinkURL, httpURL)},
		{"audit-sink-secret", "LLMGATE_AUDIT_SINK_SECRET", scopeServe, "", "key that signs the audit sink's deliveries (HMAC-SHA256, header X-Llmgate-Signature); required with --audit-sink-url", stringValue(&s.AuditSinkSecret, nil)},
		{"budget-webhook-secret", "LLMGATE_BUDGET_WEBHOOK_SECRET", scopeServe, "", "key that signs budget alert webhooks (HMAC-SHA256, header X-Llmgate-Signature); without it alerts are audited but not sent", stringValue(&s.BudgetWebhookSecret, nil)},
		{"public-url", "LLMGATE_PUBLIC_URL", scopeServe, "", "the gateway's address as users reach it (e.g. https://llm.example.com), for the console's code snippets and the single sign-on callback; empty = the address the browser used", stringValue(&s.PublicURL, publicURL)},
	}, append(s.Audit.rows(), s.OIDC.rows()...)...)
}

// bind registers the settings that apply to sc on fs: defaults first, then the environment.
// serve passes scopeServe and gets every setting.
func (s *settings) bind(fs *pflag.FlagSet, sc scope) {
	for _, st := range s.table() {
		if sc == scopeStore && st.scope == scopeServe {
			continue
		}
		if err := st.value.Set(st.def); err != nil {
			panic("settings table: bad default for --" + st.flag + ": " + err.Error())
		}
		if v, ok := os.LookupEnv(st.env); ok {
			if err := st.value.Set(v); err != nil {
				s.envErrs = append(s.envErrs, fmt.Errorf("%s=%q: %w", st.env, v, err))
			}
		}
		f := fs.VarPF(st.value, st.flag, "", st.usage+" (env "+st.env+")")
		f.DefValue = st.def
		if _, ok := st.value.(*boolFlag); ok {
			f.NoOptDefVal = "true"
		}
		f.Hidden = sc == scopeStore && st.scope == scopeServeQuiet
	}
}

// validate reports bad environment values and combinations a single value cannot show.
func (s *settings) validate() error {
	if len(s.envErrs) > 0 {
		return errors.Join(s.envErrs...)
	}
	if err := s.OIDC.validate(); err != nil {
		return err
	}
	if (s.TLSCert == "") != (s.TLSKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together (one of them is empty)")
	}
	if s.MetricsAddr != "" && s.MetricsAddr == s.Addr && !strings.HasSuffix(s.Addr, ":0") {
		return fmt.Errorf("--metrics-addr must differ from --addr")
	}
	if s.AuditSinkURL != "" && s.AuditSinkSecret == "" {
		return fmt.Errorf("--audit-sink-url needs --audit-sink-secret (LLMGATE_AUDIT_SINK_SECRET) to sign what it sends")
	}
	return nil
}

// httpURL checks an http(s) URL without credentials in it.
func httpURL(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return errors.New("must be an http(s) URL without credentials")
	}
	return nil
}

func nonEmpty(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("must not be empty")
	}
	return nil
}

// postgresURL checks the URL's form; the parser's own message is left out because it may
// quote the URL, password included.
func postgresURL(v string) error {
	if v == "" {
		return nil
	}
	if !strings.HasPrefix(v, "postgres://") && !strings.HasPrefix(v, "postgresql://") {
		return errors.New("must be a postgres:// URL (or empty for embedded SQLite)")
	}
	if _, err := pgxpool.ParseConfig(v); err != nil {
		return errors.New("is not a valid postgres:// URL")
	}
	return nil
}

func trustedProxies(v string) error {
	_, err := httpkit.ParseTrustedProxies(v)
	return err
}

func redisURL(v string) error {
	if v == "" {
		return nil
	}
	if _, err := goredis.ParseURL(v); err != nil {
		return errors.New("must be a valid redis://, rediss:// or unix:// URL (or empty)")
	}
	return nil
}

func basePath(v string) error {
	if v != "" && (!strings.HasPrefix(v, "/") || strings.HasSuffix(v, "/")) {
		return errors.New("must start with / and not end with / (e.g. /mlflow-deployments)")
	}
	return nil
}

func hostPort(v string) error {
	if _, _, err := net.SplitHostPort(v); err != nil {
		return fmt.Errorf("must be host:port (e.g. 127.0.0.1:8080 or :8080)")
	}
	return nil
}

func optionalHostPort(v string) error {
	if v == "" {
		return nil
	}
	return hostPort(v)
}

func loopbackAddr(v string) error {
	if v == "" {
		return nil
	}
	if err := hostPort(v); err != nil {
		return err
	}
	if !isLoopback(v) {
		return errors.New("must be a loopback address: profiles reveal memory contents")
	}
	return nil
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}
