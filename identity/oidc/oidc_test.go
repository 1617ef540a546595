package oidc_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate/identity/oidc"
	"github.com/llmgate/llmgate/internal/oidctest"
)

// A provider's own token is accepted with its claims (username, email, groups); tokens of
// another issuer are left to other providers; expired, wrong-audience, not-yet-valid,
// re-signed and unsigned ones are refused.
func TestVerifyBearer(t *testing.T) {
	op := oidctest.Start(t)
	op.AddUser(oidctest.User{Username: "fay", Email: "fay@example.org", Groups: []string{"a", "b"}})
	p, err := oidc.New(oidc.Config{Name: "t", Issuer: op.Issuer, ClientID: op.ClientID, Audiences: []string{op.ClientID, "jobs"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ident, ok, err := p.VerifyBearer(ctx, op.Sign(t, op.Claims("fay", time.Minute)))
	if !ok || err != nil || ident.UserName != "fay" || ident.Email != "fay@example.org" || strings.Join(ident.Groups, ",") != "a,b" || ident.Method != "oidc:t" {
		t.Fatalf("valid token: %+v %v %v", ident, ok, err)
	}
	claims := op.Claims("fay", time.Minute)
	claims["aud"] = "jobs"
	if _, ok, err := p.VerifyBearer(ctx, op.Sign(t, claims)); !ok || err != nil {
		t.Fatalf("a second accepted audience: %v %v", ok, err)
	}
	claims = op.Claims("fay", time.Minute)
	claims["iss"] = "https://other.example/"
	if _, ok, _ := p.VerifyBearer(ctx, op.Sign(t, claims)); ok {
		t.Fatal("another issuer's token was claimed by this provider")
	}
	good := op.Sign(t, op.Claims("fay", time.Minute))
	parts := strings.Split(good, ".")
	bad := map[string]string{
		"expired":     op.Sign(t, op.Claims("fay", -time.Second)),
		"unsigned":    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + ".",
		"re-signed":   parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2])),
		"no username": op.Sign(t, map[string]any{"iss": op.Issuer, "sub": "x", "aud": op.ClientID, "exp": time.Now().Add(time.Minute).Unix()}),
	}
	claims = op.Claims("fay", time.Hour)
	claims["aud"] = "nobody"
	bad["wrong audience"] = op.Sign(t, claims)
	claims = op.Claims("fay", time.Hour)
	claims["nbf"] = time.Now().Add(time.Hour).Unix()
	bad["not yet valid"] = op.Sign(t, claims)
	for name, tok := range bad {
		if _, ok, err := p.VerifyBearer(ctx, tok); !ok || err == nil {
			t.Errorf("%s token: ok=%v err=%v, want a refusal", name, ok, err)
		}
	}
}
