package storetest

import (
	"fmt"
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

// testSCIMLinks: an externalId is set, replaced, looked up both ways per kind, and removed;
// none of it touches the state version or the audit trail.
func testSCIMLinks(t *testing.T, s gateway.Store) {
	ctx := t.Context()
	before := observe(t, s)
	set := func(kind, id, ext string) {
		t.Helper()
		if err := s.SetExternalID(ctx, kind, id, ext); err != nil {
			t.Fatalf("SetExternalID(%s, %s, %q): %v", kind, id, ext, err)
		}
	}
	set("User", "u1", "ext-a")
	set("User", "u2", "ext-b")
	set("User", "u2", "ext-a") // replaced; two resources may share one externalId (two IdPs)
	set("Group", "u1", "ext-g")
	set("User", "u3", "ext-c")
	set("User", "u3", "") // removed
	got, err := s.ExternalIDs(ctx, "User", []string{"u1", "u2", "u3", "u4"})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "ExternalIDs", got, map[string]string{"u1": "ext-a", "u2": "ext-a"})
	ids, err := s.ResourcesByExternalID(ctx, "User", "ext-a")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "ResourcesByExternalID", ids, []string{"u1", "u2"})
	if ids, _ := s.ResourcesByExternalID(ctx, "User", "ext-g"); len(ids) != 0 {
		t.Fatalf("a Group's externalId found a User: %v", ids)
	}
	many := make([]string, 1200)
	for i := range many {
		many[i] = fmt.Sprintf("x%d", i)
	}
	many[1100] = "u1"
	if got, err := s.ExternalIDs(ctx, "User", many); err != nil || len(got) != 1 || got["u1"] != "ext-a" {
		t.Fatalf("ExternalIDs of 1,200 ids: %v, %v", got, err)
	}
	if after := observe(t, s); after != before {
		t.Fatalf("externalIds changed the state version or the trail: %+v -> %+v", before, after)
	}
}
