package storetest

import (
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// testSCIMTokens: a SCIM token round-trips by its hash, is listed newest first, revoking
// keeps the first time, and each change commits its audit event; unknown ids and a reused
// hash change nothing.
func testSCIMTokens(t *testing.T, s gateway.Store) {
	ctx := t.Context()
	token := func(name string, offset time.Duration) *gateway.SCIMToken {
		return &gateway.SCIMToken{ID: gateway.NewID(), Name: name, Hash: gateway.HashSCIMToken("secret-" + name),
			Prefix: "lgs_" + name[:1], CreatedAt: at(offset)}
	}
	okta, entra := token("okta", 0), token("entra", time.Second)
	for _, tk := range []*gateway.SCIMToken{okta, entra} {
		mustMutate(t, s, "CreateSCIMToken", func(ev *gateway.AuditEvent) error { return s.CreateSCIMToken(ctx, tk, ev) })
	}
	got, err := s.SCIMTokenByHash(ctx, gateway.HashSCIMToken("secret-okta"))
	if err != nil {
		t.Fatalf("SCIMTokenByHash: %v", err)
	}
	equal(t, "SCIMTokenByHash", got, okta)
	if _, err := s.SCIMTokenByHash(ctx, gateway.HashSCIMToken("nope")); gateway.ErrorCode(err) != gateway.CodeNotFound {
		t.Fatalf("unknown token: err = %v, want CodeNotFound", err)
	}
	dup := token("okta", 2*time.Second)
	before := observe(t, s)
	if err := s.CreateSCIMToken(ctx, dup, event("TestCreateSCIMToken", "admin")); err == nil {
		t.Fatal("a second token with the same hash was stored")
	}
	if after := observe(t, s); after != before {
		t.Fatalf("a refused token changed version/trail from %+v to %+v", before, after)
	}

	mustMutate(t, s, "RevokeSCIMToken", func(ev *gateway.AuditEvent) error { return s.RevokeSCIMToken(ctx, okta.ID, at(time.Hour), ev) })
	mustMutate(t, s, "RevokeSCIMToken(again)", func(ev *gateway.AuditEvent) error {
		return s.RevokeSCIMToken(ctx, okta.ID, at(2*time.Hour), ev)
	})
	mustReject(t, s, "RevokeSCIMToken(unknown)", gateway.CodeNotFound, func(ev *gateway.AuditEvent) error {
		return s.RevokeSCIMToken(ctx, gateway.NewID(), at(0), ev)
	})
	list, err := s.ListSCIMTokens(ctx)
	if err != nil {
		t.Fatalf("ListSCIMTokens: %v", err)
	}
	okta.RevokedAt = ptr(at(time.Hour))
	equal(t, "ListSCIMTokens", list, []gateway.SCIMToken{*entra, *okta})
}
