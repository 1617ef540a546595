package app

import (
	"context"
	"strings"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// Console sessions. A browser signs in once (today with a username and one of the user's API
// keys; single sign-on adds a second method through StartSession) and then carries a random
// session token in a cookie. The token's hash lives in the store so every replica honours it
// and a sign-out or deactivation ends it everywhere on the next page.

const (
	// SessionLifetime bounds a console session; a key that expires sooner ends it sooner.
	SessionLifetime = 12 * time.Hour
	// SignInAttempts is how many sign-in attempts one client address, and separately one
	// username, may make per SignInWindow; more are refused before the key is even checked.
	SignInAttempts = 10
	SignInWindow   = time.Minute
	// SessionMethodKey marks a session opened with an API key.
	SessionMethodKey = "apikey"
)

// SignInWithKey opens a session for userName when key is one of that user's live keys. Every
// attempt is rate limited (per client address and per username) and audited with its outcome;
// a failure says only "invalid username or API key", whichever part was wrong.
func (a *App) SignInWithKey(ctx context.Context, c Caller, userName, key string) (string, *gateway.Session, error) {
	userName = strings.TrimSpace(userName)
	if err := a.takeSignIn(ctx, c, userName); err != nil {
		a.auditSignIn(c, nil, userName, SessionMethodKey, "rate limited")
		return "", nil, err
	}
	p, err := a.AuthenticateFresh(ctx, key)
	if err != nil || p.User.UserName != userName {
		reason := "invalid key"
		if err == nil {
			reason = "key belongs to another user"
		} else if gateway.ErrorCode(err) != gateway.CodeUnauthenticated {
			return "", nil, err
		}
		a.auditSignIn(c, nil, userName, SessionMethodKey, reason)
		return "", nil, gateway.Errorf(gateway.CodeUnauthenticated, "invalid username or API key")
	}
	expires := gateway.Now().Add(SessionLifetime)
	if k := a.Snapshot().Key(p.KeyID); k != nil && k.ExpiresAt != nil && k.ExpiresAt.Before(expires) {
		expires = *k.ExpiresAt
	}
	return a.StartSession(ctx, c, p.User, p.KeyID, SessionMethodKey, expires)
}

// StartSession opens a session for u that ends at expires (at most SessionLifetime from now)
// and audits the successful sign-in; the event is durable before the token is returned.
func (a *App) StartSession(ctx context.Context, c Caller, u *gateway.User, keyID, method string, expires time.Time) (string, *gateway.Session, error) {
	now := gateway.Now()
	expires = minTime(expires, now.Add(SessionLifetime))
	token := gateway.NewSecret()
	s := &gateway.Session{Hash: gateway.HashSessionToken(token), UserID: u.ID, KeyID: keyID, Method: method,
		CSRF: gateway.NewSecret(), CreatedAt: now, ExpiresAt: expires}
	if err := a.auditSignIn(c, u, u.UserName, method, ""); err != nil {
		return "", nil, err
	}
	if err := a.Store.CreateSession(ctx, s); err != nil {
		return "", nil, err
	}
	return token, s, nil
}

// Session resolves a session token to its principal against the current snapshot: an
// unknown, expired or signed-out session, a deactivated user, or a revoked sign-in key is
// CodeUnauthenticated.
func (a *App) Session(ctx context.Context, token string) (*gateway.Principal, *gateway.Session, error) {
	if token == "" {
		return nil, nil, gateway.Errorf(gateway.CodeUnauthenticated, "not signed in")
	}
	s, err := a.Store.GetSession(ctx, gateway.HashSessionToken(token))
	if gateway.ErrorCode(err) == gateway.CodeNotFound {
		return nil, nil, gateway.Errorf(gateway.CodeUnauthenticated, "session ended; sign in again")
	}
	if err != nil {
		return nil, nil, err
	}
	if !s.Live(gateway.Now()) {
		return nil, nil, gateway.Errorf(gateway.CodeUnauthenticated, "session expired; sign in again")
	}
	snap := a.Snapshot()
	u := snap.User(s.UserID)
	if u == nil && a.RefreshOnMiss(ctx) {
		snap = a.Snapshot()
		u = snap.User(s.UserID)
	}
	if u == nil || !u.Active() {
		return nil, nil, gateway.Errorf(gateway.CodeUnauthenticated, "the user is deactivated")
	}
	if s.KeyID != "" {
		if k := snap.Key(s.KeyID); k == nil || !snap.KeyUsable(k, gateway.Now()) {
			return nil, nil, gateway.Errorf(gateway.CodeUnauthenticated, "the API key this session signed in with is no longer valid")
		}
	}
	return &gateway.Principal{User: u, OrgIDs: snap.OrgsOf(u.ID), KeyID: s.KeyID}, s, nil
}

// SignOut ends the session with token everywhere and audits it; an unknown token is a no-op.
func (a *App) SignOut(ctx context.Context, c Caller, token string) error {
	p, _, err := a.Session(ctx, token)
	if err := a.Store.DeleteSession(ctx, gateway.HashSessionToken(token)); err != nil {
		return err
	}
	if err != nil {
		return nil
	}
	ev := c.Actor(p, "console").event(gateway.KindSignOut)
	return a.Audit.Write(ev)
}

func (a *App) takeSignIn(ctx context.Context, c Caller, userName string) error {
	rules := []gateway.LimitRule{
		{Key: "signin:ip:" + c.ClientIP, Limit: SignInAttempts, Window: SignInWindow, Need: 1, Add: 1},
		{Key: "signin:user:" + strings.ToLower(truncate(userName, 128)), Limit: SignInAttempts, Window: SignInWindow, Need: 1, Add: 1},
	}
	d, err := a.Limiter.Take(ctx, rules)
	if err != nil {
		return gateway.Wrap(gateway.CodeUnavailable, err, "rate limiter unavailable")
	}
	if !d.Allowed {
		e := gateway.Errorf(gateway.CodeRateLimited, "too many sign-in attempts; try again in %d s", int(d.RetryAfter.Seconds()+0.999))
		e.RetryAfter = d.RetryAfter
		return e
	}
	return nil
}

// auditSignIn records a sign-in attempt: reason empty is a success by u.
func (a *App) auditSignIn(c Caller, u *gateway.User, userName, method, reason string) error {
	var p *gateway.Principal
	if u != nil {
		p = &gateway.Principal{User: u}
	}
	ev := c.Actor(p, "console").event(gateway.KindSignIn)
	ev.Metadata["userName"] = truncate(userName, 128)
	ev.Metadata["method"] = method
	ev.Metadata["outcome"] = gateway.OutcomeSuccess
	if reason != "" {
		ev.Metadata["outcome"] = gateway.OutcomeDenied
		ev.Metadata["reason"] = reason
	}
	err := a.Audit.Write(ev)
	if err != nil {
		a.Log.Error("writing sign-in audit event", "err", err)
	}
	return err
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
