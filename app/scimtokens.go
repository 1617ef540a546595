package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"

	"github.com/llmgate/llmgate/gateway"
)

// SCIM tokens: the bearer credential an identity provider's provisioning client presents on
// /scim/v2. Only the operator (the CLI, with database access) creates and revokes them; the
// plaintext is shown once and only its SHA-256 is stored.

// SCIMTokenPrefix starts every SCIM token, so a leaked one is recognisable.
const SCIMTokenPrefix = "lgs_"

// SCIMAPI names the SCIM surface in audit events (performedByUsername "llmgate-scim").
const SCIMAPI = "scim"

// CreateSCIMToken issues a SCIM token named name and returns its plaintext, once.
func (a *App) CreateSCIMToken(ctx context.Context, act Actor, name string) (string, *gateway.SCIMToken, error) {
	if act.Principal != nil {
		return "", nil, gateway.Errorf(gateway.CodeForbidden, "SCIM tokens are created with the CLI")
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 256 || strings.ContainsRune(name, 0) {
		return "", nil, gateway.Errorf(gateway.CodeInvalid, "SCIM token name must be 1-256 characters")
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, gateway.Wrap(gateway.CodeInternal, err, "no randomness")
	}
	token := SCIMTokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	t := &gateway.SCIMToken{ID: gateway.NewID(), Name: name, Hash: gateway.HashSCIMToken(token), Prefix: token[:8], CreatedAt: gateway.Now()}
	ev := act.event(gateway.KindCreateSCIMToken)
	ev.Metadata["scimTokenId"] = t.ID
	ev.Metadata["scimTokenName"] = name
	if err := a.Store.CreateSCIMToken(ctx, t, ev); err != nil {
		return "", nil, err
	}
	return token, t, nil
}

// RevokeSCIMToken revokes a SCIM token: the next SCIM request with it is refused. Revoking a
// revoked token records nothing.
func (a *App) RevokeSCIMToken(ctx context.Context, act Actor, id string) error {
	if act.Principal != nil {
		return gateway.Errorf(gateway.CodeForbidden, "SCIM tokens are revoked with the CLI")
	}
	list, err := a.Store.ListSCIMTokens(ctx)
	if err != nil {
		return err
	}
	for _, t := range list {
		if t.ID != id {
			continue
		}
		if t.RevokedAt != nil {
			return nil
		}
		ev := act.event(gateway.KindRevokeSCIMToken)
		ev.Metadata["scimTokenId"] = t.ID
		ev.Metadata["scimTokenName"] = t.Name
		return a.Store.RevokeSCIMToken(ctx, id, gateway.Now(), ev)
	}
	return gateway.Errorf(gateway.CodeNotFound, "SCIM token %q not found", truncate(id, 64))
}

// ListSCIMTokens lists every SCIM token, revoked ones included, newest first.
func (a *App) ListSCIMTokens(ctx context.Context, act Actor) ([]gateway.SCIMToken, error) {
	if act.Principal != nil {
		return nil, gateway.Errorf(gateway.CodeForbidden, "SCIM tokens are listed with the CLI")
	}
	return a.Store.ListSCIMTokens(ctx)
}

// AuthenticateSCIM checks a SCIM bearer token (looked up by its hash, like API keys) and
// returns the actor SCIM operations run as. An API key, a revoked or an unknown token is
// CodeUnauthenticated: a SCIM token is the only credential /scim/v2 takes.
func (a *App) AuthenticateSCIM(ctx context.Context, c Caller, token string) (Actor, error) {
	if !strings.HasPrefix(token, SCIMTokenPrefix) {
		return Actor{}, gateway.Errorf(gateway.CodeUnauthenticated, "a SCIM token (llmgate scim token create) is required")
	}
	t, err := a.Store.SCIMTokenByHash(ctx, gateway.HashSCIMToken(token))
	if gateway.ErrorCode(err) == gateway.CodeNotFound || err == nil && t.RevokedAt != nil {
		return Actor{}, gateway.Errorf(gateway.CodeUnauthenticated, "unknown or revoked SCIM token")
	}
	if err != nil {
		return Actor{}, err
	}
	return c.Actor(nil, SCIMAPI), nil
}
