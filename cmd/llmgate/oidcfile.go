package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/identity/oidc"
)

// providersFile is --oidc-providers-file: identity providers beyond the one the --oidc-* flags
// configure, one entry each, with the same meaning as those flags.
type providersFile struct {
	Providers []providerEntry `yaml:"providers"`
}

type providerEntry struct {
	Name          string            `yaml:"name"`
	DisplayName   string            `yaml:"displayName"`
	Issuer        string            `yaml:"issuer"`
	ClientID      string            `yaml:"clientId"`
	ClientSecret  string            `yaml:"clientSecret"` // a value, env:NAME or vault:PATH#FIELD
	Audiences     []string          `yaml:"audiences"`
	Scopes        []string          `yaml:"scopes"`
	UsernameClaim string            `yaml:"usernameClaim"`
	EmailClaim    string            `yaml:"emailClaim"`
	GroupsClaim   string            `yaml:"groupsClaim"`
	AdminGroups   []string          `yaml:"adminGroups"`
	GroupMap      map[string]string `yaml:"groupMap"` // group → "organization[:admin|member]"
}

// readProvidersFile parses and checks the file (unknown keys are refused, names must be unique
// and valid, issuers http(s) URLs, every provider needs a client id).
func readProvidersFile(path string) ([]providerEntry, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var f providersFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	seen := map[string]bool{}
	for i, p := range f.Providers {
		where := fmt.Sprintf("%s: providers[%d]", path, i)
		switch {
		case providerName(p.Name) != nil:
			return nil, fmt.Errorf("%s: name %q: use lower-case letters, digits, '-' and '_'", where, p.Name)
		case seen[p.Name]:
			return nil, fmt.Errorf("%s: name %q is used twice", where, p.Name)
		case httpURL(p.Issuer) != nil:
			return nil, fmt.Errorf("%s: issuer must be an http(s) URL", where)
		case p.ClientID == "":
			return nil, fmt.Errorf("%s: clientId is required", where)
		}
		if _, err := p.mapping(); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		seen[p.Name] = true
	}
	return f.Providers, nil
}

func (p providerEntry) mapping() (app.GroupMapping, error) {
	m := app.GroupMapping{AdminGroups: p.AdminGroups}
	for group, target := range p.GroupMap {
		org, role, _ := strings.Cut(target, ":")
		om := app.OrgMapping{Group: group, Org: strings.TrimSpace(org), Role: gateway.OrgRole(role)}
		if om.Org == "" || (om.Role != "" && om.Role != gateway.OrgRoleAdmin && om.Role != gateway.OrgRoleMember) {
			return m, fmt.Errorf("groupMap %q: %q must be ORGANIZATION[:admin|member]", group, target)
		}
		m.Orgs = append(m.Orgs, om)
	}
	return m, nil
}

func (p providerEntry) provider(ctx context.Context, store gateway.SecretStore) (*oidc.Provider, error) {
	secret, err := resolveSecret(ctx, store, p.ClientSecret)
	if err != nil {
		return nil, fmt.Errorf("provider %s clientSecret: %w", p.Name, err)
	}
	m, _ := p.mapping() // checked when the file was read
	return oidc.New(oidc.Config{Name: p.Name, DisplayName: p.DisplayName, Issuer: p.Issuer, ClientID: p.ClientID,
		ClientSecret: secret, Audiences: p.Audiences, Scopes: p.Scopes, UsernameClaim: p.UsernameClaim,
		EmailClaim: p.EmailClaim, GroupsClaim: p.GroupsClaim, Mapping: m})
}
