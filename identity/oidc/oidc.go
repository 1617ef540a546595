// Package oidc signs users in with an OpenID Connect provider (authorization-code flow with
// PKCE, state and nonce) and verifies the JWTs such a provider issues when they are presented on
// the API instead of an llmgate key. Discovery, JWKS caching and key rotation, and the iss, aud,
// exp, nbf and algorithm checks come from github.com/coreos/go-oidc; the code exchange from
// golang.org/x/oauth2. What the provider asserts becomes an app.ExternalIdentity; app decides
// what it means (users created just in time, groups mapped to organizations).
package oidc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
)

// Config is one identity provider.
type Config struct {
	// Name identifies the provider in URLs and audit events ("oidc:<Name>").
	Name string
	// DisplayName is what the sign-in button says.
	DisplayName  string
	Issuer       string
	ClientID     string
	ClientSecret string
	// Audiences are the accepted aud values of bearer JWTs (default: ClientID).
	Audiences []string
	// Scopes requested at sign-in (default: openid, profile, email).
	Scopes []string
	// Claims naming the user (default preferred_username), email and groups (default groups).
	UsernameClaim, EmailClaim, GroupsClaim string
	Mapping                                app.GroupMapping
}

// Provider is one configured identity provider. Discovery happens on first use and is retried
// after a failure, so an IdP that is down when the gateway starts does not stop it.
type Provider struct {
	cfg  Config
	mu   sync.Mutex
	disc *gooidc.Provider
}

// New checks cfg and fills its defaults.
func New(cfg Config) (*Provider, error) {
	if cfg.Name == "" || cfg.Issuer == "" || cfg.ClientID == "" {
		return nil, errors.New("oidc: a provider needs a name, an issuer and a client id")
	}
	if cfg.DisplayName == "" {
		cfg.DisplayName = cfg.Name
	}
	if len(cfg.Audiences) == 0 {
		cfg.Audiences = []string{cfg.ClientID}
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{gooidc.ScopeOpenID, "profile", "email"}
	}
	if cfg.UsernameClaim == "" {
		cfg.UsernameClaim = "preferred_username"
	}
	if cfg.EmailClaim == "" {
		cfg.EmailClaim = "email"
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	return &Provider{cfg: cfg}, nil
}

// Name is the provider's short name; DisplayName its label.
func (p *Provider) Name() string        { return p.cfg.Name }
func (p *Provider) DisplayName() string { return p.cfg.DisplayName }

// Method is how sessions and audit events name sign-ins through p.
func (p *Provider) Method() string { return "oidc:" + p.cfg.Name }

// Mapping implements app.BearerVerifier.
func (p *Provider) Mapping() app.GroupMapping { return p.cfg.Mapping }

func (p *Provider) discover(ctx context.Context) (*gooidc.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.disc != nil {
		return p.disc, nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	d, err := gooidc.NewProvider(ctx, p.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discovering %s: %w", p.cfg.Issuer, err)
	}
	p.disc = d
	return d, nil
}

func (p *Provider) oauth(d *gooidc.Provider, redirectURL string) *oauth2.Config {
	return &oauth2.Config{ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, Endpoint: d.Endpoint(),
		RedirectURL: redirectURL, Scopes: p.cfg.Scopes}
}

// Pending is a sign-in in progress: what the browser keeps (in a cookie) between leaving for
// the provider and coming back.
type Pending struct {
	State, Nonce, Verifier, Next string
}

// Start begins a sign-in: the provider URL to send the browser to, and what to keep.
func (p *Provider) Start(ctx context.Context, redirectURL, next string) (string, Pending, error) {
	d, err := p.discover(ctx)
	if err != nil {
		return "", Pending{}, err
	}
	pl := Pending{State: gateway.NewSecret(), Nonce: gateway.NewSecret(), Verifier: oauth2.GenerateVerifier(), Next: next}
	u := p.oauth(d, redirectURL).AuthCodeURL(pl.State, gooidc.Nonce(pl.Nonce), oauth2.S256ChallengeOption(pl.Verifier))
	return u, pl, nil
}

// Finish completes a sign-in: it exchanges the code (with the PKCE verifier), verifies the ID
// token (signature, iss, aud = client id, exp, nonce) and reads the identity from its claims,
// completed from the userinfo endpoint (many providers put groups only there).
func (p *Provider) Finish(ctx context.Context, redirectURL, code string, pl Pending) (app.ExternalIdentity, error) {
	d, err := p.discover(ctx)
	if err != nil {
		return app.ExternalIdentity{}, err
	}
	oc := p.oauth(d, redirectURL)
	tok, err := oc.Exchange(ctx, code, oauth2.VerifierOption(pl.Verifier))
	if err != nil {
		return app.ExternalIdentity{}, fmt.Errorf("exchanging the code: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return app.ExternalIdentity{}, errors.New("the provider returned no ID token")
	}
	idt, err := d.Verifier(&gooidc.Config{ClientID: p.cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		return app.ExternalIdentity{}, fmt.Errorf("ID token: %w", err)
	}
	if idt.Nonce != pl.Nonce {
		return app.ExternalIdentity{}, errors.New("ID token: the nonce does not match this sign-in")
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return app.ExternalIdentity{}, fmt.Errorf("ID token claims: %w", err)
	}
	if info, err := d.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
		extra := map[string]any{}
		if info.Subject == idt.Subject && info.Claims(&extra) == nil {
			for k, v := range extra {
				if _, set := claims[k]; !set {
					claims[k] = v
				}
			}
		}
	}
	return p.identity(idt.Subject, idt.Expiry, claims)
}

// VerifyBearer implements app.BearerVerifier: a JWT this provider issued (its iss) must be
// signed with one of its current keys (JWKS, refreshed when a new key id appears), name one of
// the accepted audiences, and be within exp and nbf (5 minutes of clock skew on nbf). An
// unsigned (alg "none") or otherwise signed token is refused.
func (p *Provider) VerifyBearer(ctx context.Context, raw string) (app.ExternalIdentity, bool, error) {
	if iss, err := unverifiedIssuer(raw); err != nil || iss != p.cfg.Issuer {
		return app.ExternalIdentity{}, false, nil
	}
	d, err := p.discover(ctx)
	if err != nil {
		return app.ExternalIdentity{}, true, err
	}
	var lastErr error
	for _, aud := range p.cfg.Audiences {
		idt, err := d.Verifier(&gooidc.Config{ClientID: aud}).Verify(ctx, raw)
		if err != nil {
			lastErr = err
			continue
		}
		claims := map[string]any{}
		if err := idt.Claims(&claims); err != nil {
			return app.ExternalIdentity{}, true, err
		}
		ident, err := p.identity(idt.Subject, idt.Expiry, claims)
		return ident, true, err
	}
	return app.ExternalIdentity{}, true, lastErr
}

// identity reads the configured claims.
func (p *Provider) identity(subject string, expiry time.Time, claims map[string]any) (app.ExternalIdentity, error) {
	ident := app.ExternalIdentity{Method: p.Method(), Subject: subject, Expiry: expiry,
		UserName: str(claims[p.cfg.UsernameClaim]), Email: str(claims[p.cfg.EmailClaim]),
		FirstName: str(claims["given_name"]), LastName: str(claims["family_name"]), Groups: strs(claims[p.cfg.GroupsClaim])}
	if ident.UserName == "" {
		return ident, fmt.Errorf("the token has no %q claim to name the user", p.cfg.UsernameClaim)
	}
	return ident, nil
}

func str(v any) string {
	s, _ := v.(string)
	return strings.TrimSpace(s)
}

// strs reads a claim that is a list of strings, or one string (some providers send a lone
// group as a string).
func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
