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

// validate checks the combination: an issuer needs a client id.
func (o *oidcSettings) validate() error {
	if o.Issuer != "" && o.ClientID == "" {
		return fmt.Errorf("--oidc-issuer needs --oidc-client-id")
	}
	return nil
}

// providers builds the configured identity providers (none without --oidc-issuer); the client
// secret may be a secret reference, resolved once here.
func (o *oidcSettings) providers(ctx context.Context, store gateway.SecretStore) ([]*oidc.Provider, error) {
	if o.Issuer == "" {
		return nil, nil
	}
	secret := o.ClientSecret
	if strings.HasPrefix(secret, secrets.EnvPrefix) || strings.HasPrefix(secret, secrets.VaultPrefix) {
		v, err := store.Resolve(ctx, secret)
		if err != nil {
			return nil, fmt.Errorf("--oidc-client-secret: %w", err)
		}
		secret = v
	}
	maps, _ := parseGroupMap(o.GroupMap) // validated with the settings
	p, err := oidc.New(oidc.Config{Name: o.Name, DisplayName: o.DisplayName, Issuer: o.Issuer, ClientID: o.ClientID,
		ClientSecret: secret, Audiences: splitList(o.Audience), Scopes: splitList(o.Scopes),
		UsernameClaim: o.UsernameClaim, EmailClaim: o.EmailClaim, GroupsClaim: o.GroupsClaim,
		Mapping: app.GroupMapping{AdminGroups: splitList(o.AdminGroups), Orgs: maps}})
	if err != nil {
		return nil, err
	}
	return []*oidc.Provider{p}, nil
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
