package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/identity/oidc"
	"github.com/llmgate/llmgate/secrets"
)

// oidcSettings configure single sign-on with one OpenID Connect provider.
type oidcSettings struct {
	Issuer, ClientID, ClientSecret, Audience string
	UsernameClaim, GroupsClaim, EmailClaim   string
	Name, DisplayName, Scopes                string
	AdminGroups, GroupMap                    string
	// ProvidersFile lists further providers (oidcfile.go); fileEntries is what it held when
	// the setting was read.
	ProvidersFile string
	fileEntries   []providerEntry
}

func (o *oidcSettings) rows() []setting {
	return []setting{
		{"oidc-issuer", "LLMGATE_OIDC_ISSUER", scopeServe, "", "OpenID Connect issuer URL; turns on single sign-on in the console and IdP-issued bearer JWTs on the API (off when empty)", stringValue(&o.Issuer, httpURLOrEmpty)},
		{"oidc-client-id", "LLMGATE_OIDC_CLIENT_ID", scopeServe, "", "client id registered at the issuer (required with --oidc-issuer)", stringValue(&o.ClientID, nil)},
		{"oidc-client-secret", "LLMGATE_OIDC_CLIENT_SECRET", scopeServe, "", "client secret, or a reference to it: env:NAME or vault:PATH#FIELD", stringValue(&o.ClientSecret, nil)},
		{"oidc-audience", "LLMGATE_OIDC_AUDIENCE", scopeServe, "", "comma-separated aud values accepted in bearer JWTs (default: the client id)", stringValue(&o.Audience, nil)},
		{"oidc-username-claim", "LLMGATE_OIDC_USERNAME_CLAIM", scopeServe, "preferred_username", "claim that names the llmgate user", stringValue(&o.UsernameClaim, nonEmpty)},
		{"oidc-groups-claim", "LLMGATE_OIDC_GROUPS_CLAIM", scopeServe, "groups", "claim that lists the user's groups", stringValue(&o.GroupsClaim, nonEmpty)},
		{"oidc-email-claim", "LLMGATE_OIDC_EMAIL_CLAIM", scopeServe, "email", "claim that holds the user's email", stringValue(&o.EmailClaim, nonEmpty)},
		{"oidc-scopes", "LLMGATE_OIDC_SCOPES", scopeServe, "openid,profile,email", "comma-separated scopes requested at sign-in (add groups if the provider needs it)", stringValue(&o.Scopes, nonEmpty)},
		{"oidc-name", "LLMGATE_OIDC_NAME", scopeServe, "sso", "short name of the provider in URLs and audit events (oidc:NAME)", stringValue(&o.Name, providerName)},
		{"oidc-display-name", "LLMGATE_OIDC_DISPLAY_NAME", scopeServe, "single sign-on", "what the console's sign-in button says", stringValue(&o.DisplayName, nil)},
		{"oidc-admin-groups", "LLMGATE_OIDC_ADMIN_GROUPS", scopeServe, "", "comma-separated groups whose members are administrators (empty: sign-in never changes who is one)", stringValue(&o.AdminGroups, nil)},
		{"oidc-providers-file", "LLMGATE_OIDC_PROVIDERS_FILE", scopeServe, "", "YAML file listing further identity providers (see docs/sso.md); each gets its own sign-in button and accepted tokens", stringValue(&o.ProvidersFile, o.loadProvidersFile)},
		{"oidc-group-map", "LLMGATE_OIDC_GROUP_MAP", scopeServe, "", "comma-separated GROUP=ORGANIZATION[:admin|member]: members of the IdP group are members of the organization, kept in step at every sign-in", stringValue(&o.GroupMap, groupMap)},
	}
}

func httpURLOrEmpty(s string) error {
	if s == "" {
		return nil
	}
	return httpURL(s)
}

func providerName(s string) error {
	if s == "" || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		return fmt.Errorf("use lower-case letters, digits, '-' and '_'")
	}
	return nil
}

func groupMap(s string) error {
	_, err := parseGroupMap(s)
	return err
}

func parseGroupMap(s string) ([]app.OrgMapping, error) {
	var out []app.OrgMapping
	for _, item := range splitList(s) {
		group, target, ok := strings.Cut(item, "=")
		org, role, _ := strings.Cut(target, ":")
		if !ok || strings.TrimSpace(group) == "" || strings.TrimSpace(org) == "" {
			return nil, fmt.Errorf("%q: want GROUP=ORGANIZATION[:admin|member]", item)
		}
		m := app.OrgMapping{Group: strings.TrimSpace(group), Org: strings.TrimSpace(org), Role: gateway.OrgRole(strings.TrimSpace(role))}
		if m.Role != "" && m.Role != gateway.OrgRoleAdmin && m.Role != gateway.OrgRoleMember {
			return nil, fmt.Errorf("%q: the role must be admin or member", item)
		}
		out = append(out, m)
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// loadProvidersFile reads and checks the file when the setting is given, once: validate and
// providers use what it kept.
func (o *oidcSettings) loadProvidersFile(s string) error {
	o.fileEntries = nil
	if s == "" {
		return nil
	}
	entries, err := readProvidersFile(s)
	o.fileEntries = entries
	return err
}

// validate checks the combination: an issuer needs a client id, and the flags' provider and
// the file's must have different names.
func (o *oidcSettings) validate() error {
	if o.Issuer != "" && o.ClientID == "" {
		return fmt.Errorf("--oidc-issuer needs --oidc-client-id")
	}
	if o.ProvidersFile == "" || o.Issuer == "" {
		return nil
	}
	for _, e := range o.fileEntries {
		if e.Name == o.Name {
			return fmt.Errorf("--oidc-providers-file: provider %q has the name of the --oidc-issuer provider (--oidc-name)", e.Name)
		}
	}
	return nil
}

// providers builds the configured identity providers (none without --oidc-issuer); the client
// secret may be a secret reference, resolved once here.
func (o *oidcSettings) providers(ctx context.Context, store gateway.SecretStore) ([]*oidc.Provider, error) {
	var out []*oidc.Provider
	for _, e := range o.fileEntries {
		p, err := e.provider(ctx, store)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if o.Issuer == "" {
		return out, nil
	}
	secret, err := resolveSecret(ctx, store, o.ClientSecret)
	if err != nil {
		return nil, fmt.Errorf("--oidc-client-secret: %w", err)
	}
	maps, _ := parseGroupMap(o.GroupMap) // validated with the settings
	p, err := oidc.New(oidc.Config{Name: o.Name, DisplayName: o.DisplayName, Issuer: o.Issuer, ClientID: o.ClientID,
		ClientSecret: secret, Audiences: splitList(o.Audience), Scopes: splitList(o.Scopes),
		UsernameClaim: o.UsernameClaim, EmailClaim: o.EmailClaim, GroupsClaim: o.GroupsClaim,
		Mapping: app.GroupMapping{AdminGroups: splitList(o.AdminGroups), Orgs: maps}})
	if err != nil {
		return nil, err
	}
	return append([]*oidc.Provider{p}, out...), nil
}

// resolveSecret reads an env: or vault: reference; anything else is the value itself.
func resolveSecret(ctx context.Context, store gateway.SecretStore, s string) (string, error) {
	if strings.HasPrefix(s, secrets.EnvPrefix) || strings.HasPrefix(s, secrets.VaultPrefix) {
		return store.Resolve(ctx, s)
	}
	return s, nil
}

// publicURL checks --public-url.
func publicURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("want http(s)://host[:port] with no path")
	}
	return nil
}

// bearers are the providers whose JWTs the API accepts in place of keys.
func bearers(sso []*oidc.Provider) []app.BearerVerifier {
	out := make([]app.BearerVerifier, len(sso))
	for i, p := range sso {
		out[i] = p
	}
	return out
}
