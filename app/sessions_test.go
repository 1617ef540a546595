package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
)

var browser = app.Caller{ClientIP: "192.0.2.7", UserAgent: "test-browser", RequestID: "req-1"}

// A user signs in with their own key, the session resolves to them until sign-out, and both
// the sign-in and the sign-out are audited.
func TestSignInWithKeyOpensASessionUntilSignOut(t *testing.T) {
	e := pipelinetest.New(t, pipelinetest.Options{})
	ctx := context.Background()
	id, key := e.User("dana")
	token, s, err := e.App.SignInWithKey(ctx, browser, " dana ", key)
	if err != nil {
		t.Fatal(err)
	}
	if s.UserID != id || s.CSRF == "" || s.CSRF == token || len(token) < 40 {
		t.Fatalf("session %+v with token %q", s, token)
	}
	p, got, err := e.App.Session(ctx, token)
	if err != nil || p.User.ID != id || string(got.Hash) != string(s.Hash) {
		t.Fatalf("Session = %+v, %v", p, err)
	}
	if err := e.App.SignOut(ctx, browser, token); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.App.Session(ctx, token); gateway.ErrorCode(err) != gateway.CodeUnauthenticated {
		t.Fatalf("after sign-out: err = %v, want unauthenticated", err)
	}
	in, out := events(t, e, gateway.KindSignIn), events(t, e, gateway.KindSignOut)
	if len(in) != 1 || in[0].Metadata["outcome"] != gateway.OutcomeSuccess || in[0].PerformedBy != id ||
		in[0].Metadata["clientIp"] != "192.0.2.7" || len(out) != 1 || out[0].PerformedBy != id {
		t.Fatalf("sign-in events %+v, sign-out events %+v", in, out)
	}
}

// A wrong key, or another user's key, is refused with one message and audited with the reason.
func TestSignInRefusesAWrongOrForeignKey(t *testing.T) {
	e := pipelinetest.New(t, pipelinetest.Options{})
	ctx := context.Background()
	e.User("erin")
	_, frankKey := e.User("frank")
	for _, key := range []string{"not-a-key", frankKey, ""} {
		if _, _, err := e.App.SignInWithKey(ctx, browser, "erin", key); gateway.ErrorCode(err) != gateway.CodeUnauthenticated ||
			err.Error() != "invalid username or API key" {
			t.Fatalf("key %q: err = %v", key, err)
		}
	}
	evs := events(t, e, gateway.KindSignIn)
	if len(evs) != 3 || evs[1].Metadata["reason"] != "key belongs to another user" || evs[0].Metadata["outcome"] != gateway.OutcomeDenied ||
		evs[0].Metadata["userName"] != "erin" {
		t.Fatalf("events %+v", evs)
	}
}

// After SignInAttempts tries from one address, even the right key is refused until the window
// passes, and the refusal is audited as rate limited.
func TestSignInIsRateLimited(t *testing.T) {
	e := pipelinetest.New(t, pipelinetest.Options{})
	ctx := context.Background()
	_, key := e.User("gus")
	for i := 0; i < app.SignInAttempts; i++ {
		e.App.SignInWithKey(ctx, browser, "somebody", "wrong")
	}
	_, _, err := e.App.SignInWithKey(ctx, browser, "gus", key)
	var ge *gateway.Error
	if gateway.ErrorCode(err) != gateway.CodeRateLimited || !asError(err, &ge) || ge.RetryAfter <= 0 {
		t.Fatalf("attempt over the limit: err = %v, want rate limited with Retry-After", err)
	}
	evs := events(t, e, gateway.KindSignIn)
	if last := evs[len(evs)-1]; last.Metadata["reason"] != "rate limited" {
		t.Fatalf("last sign-in event %+v", last)
	}
	other := browser
	other.ClientIP = "192.0.2.8"
	if _, _, err := e.App.SignInWithKey(ctx, other, "gus", key); err != nil {
		t.Fatalf("another address, another user: %v", err)
	}
}

// Deactivating the user or revoking the key they signed in with ends the session on its next use.
func TestSessionEndsWithDeactivationOrItsKey(t *testing.T) {
	e := pipelinetest.New(t, pipelinetest.Options{})
	ctx := context.Background()
	id, key := e.User("hana")
	admin, _ := e.App.Authenticate(e.AdminKey)
	act := app.Actor{Principal: admin, API: "test"}
	token, _, err := e.App.SignInWithKey(ctx, browser, "hana", key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.SetUserActive(ctx, act, id, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.App.Session(ctx, token); gateway.ErrorCode(err) != gateway.CodeUnauthenticated {
		t.Fatalf("deactivated user's session: %v", err)
	}
	if _, err := e.App.SetUserActive(ctx, act, id, true); err != nil {
		t.Fatal(err)
	}
	p, _, err := e.App.Session(ctx, token)
	if err != nil {
		t.Fatalf("reactivated: %v", err)
	}
	if err := e.App.RevokeKey(ctx, act, p.KeyID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.App.Session(ctx, token); gateway.ErrorCode(err) != gateway.CodeUnauthenticated {
		t.Fatalf("session after its key was revoked: %v", err)
	}
}

func asError(err error, target **gateway.Error) bool { return errors.As(err, target) }
