// Package vault keeps llmgate's credentials in HashiCorp Vault or OpenBao (KV version 2
// secrets engine), for deployments where secrets must never reach llmgate's database.
//
// Values llmgate stores ("owned" secrets) live under
// `<mount>/data/<prefix>/endpoints/<endpointID>/<key>/<put id>` in a field named `value`,
// and are referred to as `vault-kv:<prefix>/endpoints/<endpointID>/<key>/<put id>` (the path
// relative to the mount). Every Put writes a new path rather than a new version of the same
// path: an endpoint update stores the new value and then deletes the old reference, and
// Delete removes the path's metadata (all versions), which must not take the new value with
// it.
//
// ReadField serves the `vault:PATH#FIELD` references users give; see its documentation.
package vault

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/llmgate/llmgate/gateway"
)

// RefPrefix starts every reference this store issues.
const RefPrefix = "vault-kv:"

const (
	defaultMount   = "secret"
	defaultPrefix  = "llmgate"
	defaultTimeout = 10 * time.Second
	valueField     = "value"
)

// Config selects the Vault server and where llmgate keeps its secrets in it.
type Config struct {
	Address string // VAULT_ADDR; empty uses the client's environment defaults
	Token   string // VAULT_TOKEN; required
	Mount   string // KV v2 mount, default "secret"
	Prefix  string // path under the mount for owned secrets, default "llmgate"
	// Timeout bounds each Vault request, retries included; default 10s.
	Timeout time.Duration
}

// Store implements gateway.SecretStore on a Vault KV v2 mount.
type Store struct {
	client *vaultapi.Client
	mount  string
	prefix string
}

var _ gateway.SecretStore = (*Store)(nil)

// New returns a Store. It does not contact Vault: a server that is briefly unreachable at
// start-up must not keep llmgate from serving endpoints whose secrets are elsewhere.
func New(cfg Config) (*Store, error) {
	if cfg.Token == "" {
		return nil, gateway.Errorf(gateway.CodeInvalid, "VAULT_TOKEN is required to use Vault")
	}
	mount, prefix := withDefault(cfg.Mount, defaultMount), withDefault(cfg.Prefix, defaultPrefix)
	if !ValidPath(mount) || !ValidPath(prefix) {
		return nil, gateway.Errorf(gateway.CodeInvalid, "invalid Vault mount %q or prefix %q", mount, prefix)
	}
	conf := vaultapi.DefaultConfig() // also reads VAULT_CACERT, VAULT_SKIP_VERIFY, ...
	if conf.Error != nil {
		return nil, gateway.Wrap(gateway.CodeInvalid, conf.Error, "invalid Vault client settings")
	}
	if cfg.Address != "" {
		conf.Address = cfg.Address
	}
	conf.Timeout = withDefault(cfg.Timeout, defaultTimeout)
	client, err := vaultapi.NewClient(conf)
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeInvalid, err, "cannot create the Vault client")
	}
	client.SetToken(cfg.Token)
	return &Store{client: client, mount: mount, prefix: prefix}, nil
}

func withDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Put writes value to a new path under the prefix and returns its reference.
func (s *Store) Put(ctx context.Context, endpointID, key, value string) (string, error) {
	if !validSegment(endpointID) || !validSegment(key) {
		return "", gateway.Errorf(gateway.CodeInvalid, "endpoint id and credential name must be plain path segments to be stored in Vault")
	}
	path := s.prefix + "/endpoints/" + endpointID + "/" + key + "/" + gateway.NewID()
	if _, err := s.client.KVv2(s.mount).Put(ctx, path, map[string]any{valueField: value}); err != nil {
		return "", mapError(err, s.mount+"/"+path)
	}
	return RefPrefix + path, nil
}

// Resolve reads the value behind a `vault-kv:` reference.
func (s *Store) Resolve(ctx context.Context, ref string) (string, error) {
	path, err := parseRef(ref)
	if err != nil {
		return "", err
	}
	return s.read(ctx, s.mount, path, valueField)
}

// Delete removes every version of the secret behind ref; a missing secret is not an error.
func (s *Store) Delete(ctx context.Context, ref string) error {
	path, err := parseRef(ref)
	if err != nil {
		return err
	}
	if err := s.client.KVv2(s.mount).DeleteMetadata(ctx, path); err != nil {
		return mapError(err, s.mount+"/"+path)
	}
	return nil
}

// ReadField reads field of the latest version of a KV v2 secret, for user-given
// `vault:PATH#FIELD` references. PATH starts with the mount, the way `vault kv get
// secret/team/openai` names it: `secret/team/openai` reads GET /v1/secret/data/team/openai.
// When PATH starts with the configured mount (which may span several segments, e.g.
// `kv/prod`) that mount is used; otherwise the first segment is the mount. PATH does not
// contain the API's `data/` segment.
func (s *Store) ReadField(ctx context.Context, path, field string) (string, error) {
	if !ValidPath(path) || field == "" {
		return "", gateway.Errorf(gateway.CodeInvalid, "invalid Vault reference path or field")
	}
	mount, rel := s.splitMount(path)
	if rel == "" {
		return "", gateway.Errorf(gateway.CodeInvalid, "Vault reference %q names a mount but no secret", path)
	}
	return s.read(ctx, mount, rel, field)
}

func (s *Store) splitMount(path string) (mount, rel string) {
	if rel, ok := strings.CutPrefix(path, s.mount+"/"); ok {
		return s.mount, rel
	}
	mount, rel, _ = strings.Cut(path, "/")
	return mount, rel
}

func (s *Store) read(ctx context.Context, mount, path, field string) (string, error) {
	where := mount + "/" + path
	secret, err := s.client.KVv2(mount).Get(ctx, path)
	if err != nil {
		return "", mapError(err, where)
	}
	if secret.Data == nil { // latest version soft-deleted
		return "", gateway.Errorf(gateway.CodeNotFound, "Vault secret %s not found", where)
	}
	raw, ok := secret.Data[field]
	if !ok {
		return "", gateway.Errorf(gateway.CodeNotFound, "Vault secret %s has no field %q", where, field)
	}
	value, ok := raw.(string)
	if !ok {
		return "", gateway.Errorf(gateway.CodeInvalid, "field %q of Vault secret %s is not a string", field, where)
	}
	return value, nil
}

// mapError turns a client error into a *gateway.Error naming the path (never the token;
// the client's own error text carries the URL and Vault's message, not the token).
func mapError(err error, where string) error {
	var resp *vaultapi.ResponseError
	switch {
	case errors.Is(err, vaultapi.ErrSecretNotFound):
		return gateway.Wrap(gateway.CodeNotFound, err, "Vault secret "+where+" not found")
	case errors.As(err, &resp) && resp.StatusCode == http.StatusForbidden:
		return gateway.Wrap(gateway.CodeForbidden, err, "vault denied access to "+where+" (check VAULT_TOKEN and its policy)")
	case errors.As(err, &resp) && resp.StatusCode == http.StatusNotFound:
		return gateway.Wrap(gateway.CodeNotFound, err, "Vault secret "+where+" not found")
	case errors.Is(err, context.DeadlineExceeded):
		return gateway.Wrap(gateway.CodeUnavailable, err, "vault did not answer in time")
	default:
		return gateway.Wrap(gateway.CodeUnavailable, err, "vault request for "+where+" failed")
	}
}

func parseRef(ref string) (string, error) {
	path, ok := strings.CutPrefix(ref, RefPrefix)
	if !ok || !ValidPath(path) {
		return "", gateway.Errorf(gateway.CodeInvalid, "not a Vault secret reference")
	}
	return path, nil
}

var segmentPattern = regexp.MustCompile(`^[A-Za-z0-9._~@+=-]+$`)

// validSegment accepts one path segment that needs no URL escaping and cannot climb.
func validSegment(s string) bool {
	return s != "." && s != ".." && len(s) <= 256 && segmentPattern.MatchString(s)
}

// ValidPath reports whether p is a slash-separated Vault path of valid segments, without
// leading, trailing or doubled slashes.
func ValidPath(p string) bool {
	if p == "" || len(p) > 1024 {
		return false
	}
	for seg := range strings.SplitSeq(p, "/") {
		if !validSegment(seg) {
			return false
		}
	}
	return true
}
