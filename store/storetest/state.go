package storetest

import (
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

func testUsers(t *testing.T, s gateway.Store) {
	ctx := t.Context()
	alice, bob := user("alice", 0), user("bob@corp", time.Minute)
	bob.Admin = true
	for _, u := range []*gateway.User{bob, alice} {
		mustMutate(t, s, "CreateUser", func(ev *gateway.AuditEvent) error { return s.CreateUser(ctx, u, ev) })
	}
	equal(t, "users ordered by creation", loadState(t, s).Users, []gateway.User{*alice, *bob})

	before := observe(t, s)
	if err := s.CreateUser(ctx, user("no-event", 0), nil); err == nil {
		t.Fatal("CreateUser without an audit event succeeded; a mutation must never land without its event")
	}
	if after := observe(t, s); after != before {
		t.Fatalf("rejected CreateUser changed version/trail from %+v to %+v", before, after)
	}

	clash := user("alice", 2*time.Minute)
	mustReject(t, s, "CreateUser(duplicate userName)", gateway.CodeConflict, func(ev *gateway.AuditEvent) error {
		return s.CreateUser(ctx, clash, ev)
	})

	off := at(time.Hour)
	mustMutate(t, s, "SetUserDeactivated", func(ev *gateway.AuditEvent) error { return s.SetUserDeactivated(ctx, alice.ID, &off, ev) })
	deactivated := *alice
	deactivated.DeactivatedAt = &off
	equal(t, "deactivated user kept, with its time", loadState(t, s).Users, []gateway.User{deactivated, *bob})
	mustMutate(t, s, "SetUserDeactivated(nil)", func(ev *gateway.AuditEvent) error { return s.SetUserDeactivated(ctx, alice.ID, nil, ev) })
	equal(t, "reactivated user", loadState(t, s).Users, []gateway.User{*alice, *bob})
	mustReject(t, s, "SetUserDeactivated(unknown)", gateway.CodeNotFound, func(ev *gateway.AuditEvent) error {
		return s.SetUserDeactivated(ctx, gateway.NewID(), &off, ev)
	})
}

func testOrgs(t *testing.T, s gateway.Store) {
	ctx := t.Context()
	alice, bob := user("alice", 0), user("bob", time.Second)
	for _, u := range []*gateway.User{alice, bob} {
		mustMutate(t, s, "CreateUser", func(ev *gateway.AuditEvent) error { return s.CreateUser(ctx, u, ev) })
	}
	research := &gateway.Org{ID: gateway.NewID(), Name: "research", CreatedAt: at(time.Hour),
		Members: []gateway.OrgMember{{UserID: alice.ID, Role: gateway.OrgRoleAdmin}}}
	empty := &gateway.Org{ID: gateway.NewID(), Name: "ops", CreatedAt: at(2 * time.Hour)}
	for _, o := range []*gateway.Org{research, empty} {
		mustMutate(t, s, "CreateOrg", func(ev *gateway.AuditEvent) error { return s.CreateOrg(ctx, o, ev) })
	}
	equal(t, "orgs ordered by name, members as created", loadState(t, s).Orgs, []gateway.Org{*empty, *research})

	steps := []struct {
		name   string
		change func(ev *gateway.AuditEvent) error
		want   []gateway.OrgMember
	}{
		{"add member", func(ev *gateway.AuditEvent) error {
			return s.SetOrgMember(ctx, research.ID, gateway.OrgMember{UserID: bob.ID, Role: gateway.OrgRoleMember}, ev)
		}, []gateway.OrgMember{{UserID: alice.ID, Role: gateway.OrgRoleAdmin}, {UserID: bob.ID, Role: gateway.OrgRoleMember}}},
		{"change role keeps position", func(ev *gateway.AuditEvent) error {
			return s.SetOrgMember(ctx, research.ID, gateway.OrgMember{UserID: alice.ID, Role: gateway.OrgRoleMember}, ev)
		}, []gateway.OrgMember{{UserID: alice.ID, Role: gateway.OrgRoleMember}, {UserID: bob.ID, Role: gateway.OrgRoleMember}}},
		{"remove member", func(ev *gateway.AuditEvent) error {
			return s.RemoveOrgMember(ctx, research.ID, alice.ID, ev)
		}, []gateway.OrgMember{{UserID: bob.ID, Role: gateway.OrgRoleMember}}},
	}
	for _, step := range steps {
		mustMutate(t, s, step.name, step.change)
		equal(t, step.name, orgNamed(t, s, "research").Members, step.want)
	}

	rejected := []struct {
		name   string
		code   gateway.Code
		change func(ev *gateway.AuditEvent) error
	}{
		{"CreateOrg(duplicate name)", gateway.CodeConflict, func(ev *gateway.AuditEvent) error {
			return s.CreateOrg(ctx, &gateway.Org{ID: gateway.NewID(), Name: "research", CreatedAt: at(3 * time.Hour)}, ev)
		}},
		{"RemoveOrgMember(not a member)", gateway.CodeNotFound, func(ev *gateway.AuditEvent) error {
			return s.RemoveOrgMember(ctx, research.ID, alice.ID, ev)
		}},
		{"SetOrgMember(unknown org)", gateway.CodeNotFound, func(ev *gateway.AuditEvent) error {
			return s.SetOrgMember(ctx, gateway.NewID(), gateway.OrgMember{UserID: bob.ID, Role: gateway.OrgRoleMember}, ev)
		}},
	}
	for _, r := range rejected {
		mustReject(t, s, r.name, r.code, r.change)
	}
}

func orgNamed(t *testing.T, s gateway.Store, name string) gateway.Org {
	t.Helper()
	for _, o := range loadState(t, s).Orgs {
		if o.Name == name {
			return o
		}
	}
	t.Fatalf("organization %q not in LoadState", name)
	return gateway.Org{}
}

func apiKey(userID, name string, offset time.Duration) *gateway.APIKey {
	secret := "llmgate_" + gateway.NewID() + gateway.NewID()
	h := gateway.HashKey(secret)
	return &gateway.APIKey{ID: gateway.NewID(), UserID: userID, Name: name, Hash: h[:], Prefix: secret[:12], CreatedAt: at(offset)}
}

func testKeys(t *testing.T, s gateway.Store) {
	ctx := t.Context()
	alice, bob := user("alice", 0), user("bob", 0)
	for _, u := range []*gateway.User{alice, bob} {
		mustMutate(t, s, "CreateUser", func(ev *gateway.AuditEvent) error { return s.CreateUser(ctx, u, ev) })
	}
	ci, laptop, notebook := apiKey(alice.ID, "ci", time.Hour), apiKey(alice.ID, "laptop", 2*time.Hour), apiKey(alice.ID, "notebook", 3*time.Hour)
	laptop.ExpiresAt = ptr(at(90 * 24 * time.Hour))
	notebook.ParentID = ci.ID // created with the ci key
	bobs := apiKey(bob.ID, "", 90*time.Minute)
	for _, k := range []*gateway.APIKey{laptop, ci, notebook, bobs} { // parent before child
		mustMutate(t, s, "CreateKey", func(ev *gateway.AuditEvent) error { return s.CreateKey(ctx, k, ev) })
	}
	got, err := s.GetKey(ctx, laptop.ID)
	if err != nil {
		t.Fatalf("GetKey: %v", err)
	}
	equal(t, "GetKey", got, laptop)

	revokedAt := at(4 * time.Hour)
	mustMutate(t, s, "RevokeKey", func(ev *gateway.AuditEvent) error { return s.RevokeKey(ctx, laptop.ID, revokedAt, ev) })
	revoked := *laptop
	revoked.RevokedAt = &revokedAt

	list, err := s.ListKeys(ctx, alice.ID)
	if err != nil {
		t.Fatalf("ListKeys: %v", err)
	}
	equal(t, "ListKeys newest first, revoked included", list, []gateway.APIKey{*notebook, revoked, *ci})
	if got, err = s.GetKey(ctx, laptop.ID); err != nil {
		t.Fatalf("GetKey(revoked): %v", err)
	}
	equal(t, "GetKey(revoked)", got, &revoked)
	equal(t, "LoadState keys exclude revoked", loadState(t, s).Keys, []gateway.APIKey{*ci, *bobs, *notebook})
	live, total, err := s.ListLiveKeys(ctx, 0, 0)
	if err != nil || total != 3 {
		t.Fatalf("ListLiveKeys = %d keys of %d, %v; want 3", len(live), total, err)
	}
	equal(t, "ListLiveKeys newest first, revoked excluded", live, []gateway.APIKey{*notebook, *bobs, *ci})
	if live, total, err = s.ListLiveKeys(ctx, 1, 1); err != nil || total != 3 {
		t.Fatalf("ListLiveKeys(offset 1, limit 1) = %d keys of %d, %v; want 1 of 3", len(live), total, err)
	}
	equal(t, "ListLiveKeys(offset 1, limit 1)", live, []gateway.APIKey{*bobs})

	_, err = s.GetKey(ctx, gateway.NewID())
	wantCode(t, "GetKey(unknown)", err, gateway.CodeNotFound)
	if list, err = s.ListKeys(ctx, gateway.NewID()); err != nil || len(list) != 0 {
		t.Fatalf("ListKeys(user without keys) = %v, %v; want none", list, err)
	}
	mustReject(t, s, "RevokeKey(unknown)", gateway.CodeNotFound, func(ev *gateway.AuditEvent) error {
		return s.RevokeKey(ctx, gateway.NewID(), revokedAt, ev)
	})
	mustReject(t, s, "CreateKey(unknown user)", gateway.CodeNotFound, func(ev *gateway.AuditEvent) error {
		return s.CreateKey(ctx, apiKey(gateway.NewID(), "orphan", 0), ev)
	})
}

// fullEndpoint sets every field, with lists in a deliberately unsorted order.
func fullEndpoint(name string, offset time.Duration) *gateway.Endpoint {
	return &gateway.Endpoint{
		ID: gateway.NewID(), Name: name, Type: gateway.TypeChat, Provider: "openai", Model: "gpt-4o-mini",
		Config: map[string]string{"openai_api_base": "https://llm.internal.example/v1", "temperature": "0.2", "note": "naïve ✓"},
		Secrets: map[string]gateway.SecretRef{
			"openai_api_key": {Ref: "local:" + gateway.NewID(), Owned: true},
			"org_token":      {Ref: "vault:kv/llm#token"},
		},
		Permissions: gateway.Permissions{
			UserIDs:         []string{"ffffffffffffffffffffffff", "000000000000000000000001", "7777777777777777777777aa"},
			OrganizationIDs: []string{"bbbbbbbbbbbbbbbbbbbbbbbb", "aaaaaaaaaaaaaaaaaaaaaaaa"},
		},
		RateLimits: gateway.RateLimits{
			CallsPerMinute:  gateway.LimitScopes{Endpoint: 600, PerUser: 60, PerOrganization: 300},
			TokensPerMinute: gateway.LimitScopes{PerUser: 40_000},
		},
		LogPayloads: true, TimeoutSeconds: 45,
		Pricing:   &gateway.Pricing{Currency: "USD", InputPerMillion: ptr(2.5), OutputPerMillion: ptr(10.0), CachedInputPerMillion: ptr(1.25)},
		Routing:   &gateway.Routing{RetryOn: []string{"429", "5xx"}, MaxAttempts: 3},
		Cache:     &gateway.CachePolicy{TTLSeconds: 300},
		CreatedAt: at(offset), UpdatedAt: at(offset + 1500*time.Millisecond),
	}
}

// minimalEndpoint leaves every optional field at its zero value.
func minimalEndpoint(name string, offset time.Duration) *gateway.Endpoint {
	return &gateway.Endpoint{
		ID: gateway.NewID(), Name: name, Type: gateway.TypeEmbeddings, Provider: "cohere", Model: "embed-english-v3.0",
		Permissions: gateway.Permissions{IsEveryoneAllowed: true}, CreatedAt: at(offset), UpdatedAt: at(offset),
	}
}

func testEndpointRoundTrip(t *testing.T, s gateway.Store) {
	ctx := t.Context()
	full, minimal := fullEndpoint("chat-gpt4o", time.Minute), minimalEndpoint("embeddings", 0)
	emptyCollections := minimalEndpoint("empty-collections", 2*time.Minute)
	emptyCollections.Config, emptyCollections.Secrets = map[string]string{}, map[string]gateway.SecretRef{}
	emptyCollections.Permissions.UserIDs = []string{}
	for _, e := range []*gateway.Endpoint{full, minimal, emptyCollections} {
		mustMutate(t, s, "CreateEndpoint", func(ev *gateway.AuditEvent) error { return s.CreateEndpoint(ctx, e, ev) })
	}
	equal(t, "endpoints ordered by creation, every field intact", loadState(t, s).Endpoints,
		[]gateway.Endpoint{*minimal, *full, *emptyCollections})
}

func testEndpointLifecycle(t *testing.T, s gateway.Store) {
	ctx := t.Context()
	chat, embed := fullEndpoint("chat", 0), minimalEndpoint("embed", time.Minute)
	for _, e := range []*gateway.Endpoint{chat, embed} {
		mustMutate(t, s, "CreateEndpoint", func(ev *gateway.AuditEvent) error { return s.CreateEndpoint(ctx, e, ev) })
	}

	renamed := *chat
	renamed.Name, renamed.Model = "chat-v2", "gpt-4o"
	renamed.Config = map[string]string{"temperature": "0.7"}
	renamed.Permissions.UserIDs = []string{"000000000000000000000002", "000000000000000000000001"}
	renamed.RateLimits = gateway.RateLimits{}
	renamed.LogPayloads, renamed.TimeoutSeconds, renamed.UpdatedAt = false, 0, at(time.Hour)
	mustMutate(t, s, "UpdateEndpoint(rename)", func(ev *gateway.AuditEvent) error { return s.UpdateEndpoint(ctx, &renamed, ev) })
	equal(t, "after update", loadState(t, s).Endpoints, []gateway.Endpoint{renamed, *embed})

	mustMutate(t, s, "CreateEndpoint(old name now free)", func(ev *gateway.AuditEvent) error {
		return s.CreateEndpoint(ctx, minimalEndpoint("chat", 2*time.Minute), ev)
	})
	mustMutate(t, s, "DeleteEndpoint", func(ev *gateway.AuditEvent) error { return s.DeleteEndpoint(ctx, embed.ID, at(time.Hour), ev) })
	for _, e := range loadState(t, s).Endpoints {
		if e.ID == embed.ID {
			t.Fatalf("deleted endpoint %q still in LoadState", e.Name)
		}
	}
	reuse := minimalEndpoint("embed", 3*time.Minute)
	mustMutate(t, s, "CreateEndpoint(deleted name reused)", func(ev *gateway.AuditEvent) error { return s.CreateEndpoint(ctx, reuse, ev) })

	ontoTaken := *embed
	ontoTaken.ID = reuse.ID
	ontoTaken.Name = "chat-v2"
	ghost := minimalEndpoint("ghost", 0)
	rejected := []struct {
		name   string
		code   gateway.Code
		change func(ev *gateway.AuditEvent) error
	}{
		{"CreateEndpoint(active name taken)", gateway.CodeConflict, func(ev *gateway.AuditEvent) error {
			return s.CreateEndpoint(ctx, minimalEndpoint("chat-v2", 4*time.Minute), ev)
		}},
		{"UpdateEndpoint(rename onto active name)", gateway.CodeConflict, func(ev *gateway.AuditEvent) error {
			return s.UpdateEndpoint(ctx, &ontoTaken, ev)
		}},
		{"UpdateEndpoint(unknown)", gateway.CodeNotFound, func(ev *gateway.AuditEvent) error { return s.UpdateEndpoint(ctx, ghost, ev) }},
		{"UpdateEndpoint(deleted)", gateway.CodeNotFound, func(ev *gateway.AuditEvent) error { return s.UpdateEndpoint(ctx, embed, ev) }},
		{"DeleteEndpoint(unknown)", gateway.CodeNotFound, func(ev *gateway.AuditEvent) error {
			return s.DeleteEndpoint(ctx, ghost.ID, at(time.Hour), ev)
		}},
		{"DeleteEndpoint(already deleted)", gateway.CodeNotFound, func(ev *gateway.AuditEvent) error {
			return s.DeleteEndpoint(ctx, embed.ID, at(2*time.Hour), ev)
		}},
	}
	for _, r := range rejected {
		mustReject(t, s, r.name, r.code, r.change)
	}
}

func testSecrets(t *testing.T, s gateway.Store) {
	ctx := t.Context()
	a := &gateway.SealedSecret{ID: gateway.NewID(), MasterKeyID: "mk-2025-01", WrappedKey: []byte{0, 1, 2, 0xfe, 0xff},
		Ciphertext: []byte("\x00nonce-and-sealed-bytes\xff"), CreatedAt: at(0)}
	b := &gateway.SealedSecret{ID: gateway.NewID(), MasterKeyID: "mk-2025-01", WrappedKey: []byte{9, 9},
		Ciphertext: []byte{7, 7, 7}, CreatedAt: at(time.Minute)}
	for _, sec := range []*gateway.SealedSecret{a, b} {
		if err := s.PutSecret(ctx, sec); err != nil {
			t.Fatalf("PutSecret: %v", err)
		}
	}
	got, err := s.GetSecret(ctx, a.ID)
	if err != nil {
		t.Fatalf("GetSecret: %v", err)
	}
	equal(t, "GetSecret", got, a)
	list, err := s.ListSecrets(ctx)
	if err != nil {
		t.Fatalf("ListSecrets: %v", err)
	}
	equal(t, "ListSecrets", byID(list), map[string]gateway.SealedSecret{a.ID: *a, b.ID: *b})

	rotated := &gateway.SealedSecret{ID: a.ID, MasterKeyID: "mk-2025-06", WrappedKey: []byte("rewrapped"),
		Ciphertext: []byte("must be ignored"), CreatedAt: at(time.Hour)}
	if err := s.UpdateSecretWrapping(ctx, rotated); err != nil {
		t.Fatalf("UpdateSecretWrapping: %v", err)
	}
	want := *a
	want.MasterKeyID, want.WrappedKey = rotated.MasterKeyID, rotated.WrappedKey
	if got, err = s.GetSecret(ctx, a.ID); err != nil {
		t.Fatalf("GetSecret after rotation: %v", err)
	}
	equal(t, "rotation replaces only the wrapping", got, &want)

	if err := s.DeleteSecret(ctx, a.ID); err != nil {
		t.Fatalf("DeleteSecret: %v", err)
	}
	_, err = s.GetSecret(ctx, a.ID)
	wantCode(t, "GetSecret(deleted)", err, gateway.CodeNotFound)
	wantCode(t, "DeleteSecret(deleted)", s.DeleteSecret(ctx, a.ID), gateway.CodeNotFound)
	wantCode(t, "UpdateSecretWrapping(unknown)", s.UpdateSecretWrapping(ctx, rotated), gateway.CodeNotFound)
	if list, err = s.ListSecrets(ctx); err != nil {
		t.Fatalf("ListSecrets: %v", err)
	}
	equal(t, "ListSecrets after delete", byID(list), map[string]gateway.SealedSecret{b.ID: *b})
}

func byID(list []gateway.SealedSecret) map[string]gateway.SealedSecret {
	m := make(map[string]gateway.SealedSecret, len(list))
	for _, s := range list {
		m[s.ID] = s
	}
	return m
}
