package gateway

import (
	"strings"
	"testing"
	"time"
)

func TestPermit(t *testing.T) {
	alice := &User{ID: "aaaaaaaaaaaaaaaaaaaaaaaa", UserName: "alice"}
	admin := &User{ID: "dddddddddddddddddddddddd", UserName: "root", Admin: true}
	const orgA, orgB = "0a0a0a0a0a0a0a0a0a0a0a0a", "0b0b0b0b0b0b0b0b0b0b0b0b"
	ep := func(p Permissions) *Endpoint {
		return &Endpoint{ID: "eeeeeeeeeeeeeeeeeeeeeeee", Name: "chat", Permissions: p}
	}

	cases := []struct {
		name string
		p    *Principal
		e    *Endpoint
		want bool
	}{
		{"everyone allowed", &Principal{User: alice}, ep(Permissions{IsEveryoneAllowed: true}), true},
		{"nobody listed", &Principal{User: alice}, ep(Permissions{}), false},
		{"user listed in userIds", &Principal{User: alice}, ep(Permissions{UserIDs: []string{alice.ID}}), true},
		{"other user listed", &Principal{User: alice}, ep(Permissions{UserIDs: []string{admin.ID}}), false},
		{"org of user in userIds", &Principal{User: alice, OrgIDs: []string{orgA}}, ep(Permissions{UserIDs: []string{orgA}}), true},
		{"org of user in organizationIds", &Principal{User: alice, OrgIDs: []string{orgB, orgA}}, ep(Permissions{OrganizationIDs: []string{orgA}}), true},
		{"other org listed", &Principal{User: alice, OrgIDs: []string{orgB}}, ep(Permissions{OrganizationIDs: []string{orgA}, UserIDs: []string{orgA}}), false},
		{"removed member (no longer in org)", &Principal{User: alice, OrgIDs: nil}, ep(Permissions{OrganizationIDs: []string{orgA}}), false},
		{"user id in organizationIds does not grant", &Principal{User: alice}, ep(Permissions{OrganizationIDs: []string{alice.ID}}), false},
		{"admin sees everything", &Principal{User: admin}, ep(Permissions{}), true},
		{"deleted endpoint (absent from snapshot)", &Principal{User: admin}, nil, false},
		{"no principal", nil, ep(Permissions{IsEveryoneAllowed: true}), false},
	}
	for _, c := range cases {
		if got := Permit(c.p, c.e); got != c.want {
			t.Errorf("%s: Permit = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestSnapshotAuthenticate(t *testing.T) {
	now := time.Now()
	past := now.Add(-time.Hour)
	future := now.Add(time.Hour)
	keyOf := func(s string) []byte { h := HashKey(s); return h[:] }
	u := User{ID: "aaaaaaaaaaaaaaaaaaaaaaaa", UserName: "alice"}
	gone := User{ID: "bbbbbbbbbbbbbbbbbbbbbbbb", UserName: "gone", DeactivatedAt: &past}
	snap := NewSnapshot(&State{
		Users: []User{u, gone},
		Orgs:  []Org{{ID: "0a0a0a0a0a0a0a0a0a0a0a0a", Name: "team", Members: []OrgMember{{UserID: u.ID, Role: OrgRoleMember}}}},
		Keys: []APIKey{
			{ID: "k1", UserID: u.ID, Hash: keyOf("good-key-0000000000")},
			{ID: "k2", UserID: u.ID, Hash: keyOf("expired-key-00000000"), ExpiresAt: &past},
			{ID: "k3", UserID: u.ID, Hash: keyOf("future-key-000000000"), ExpiresAt: &future},
			{ID: "k4", UserID: u.ID, Hash: keyOf("revoked-key-00000000"), RevokedAt: &past},
			{ID: "k5", UserID: "ffffffffffffffffffffffff", Hash: keyOf("orphan-key-000000000")},
			{ID: "k6", UserID: gone.ID, Hash: keyOf("deactivated-user-key")},
			{ID: "k7", UserID: u.ID, Hash: keyOf("child-of-good-000000"), ParentID: "k1"},
			{ID: "k8", UserID: u.ID, Hash: keyOf("grandchild-of-good-0"), ParentID: "k7"},
			{ID: "k9", UserID: u.ID, Hash: keyOf("child-of-expired-000"), ParentID: "k2"},
			{ID: "ka", UserID: u.ID, Hash: keyOf("child-of-revoked-000"), ParentID: "k4"},
			{ID: "kb", UserID: u.ID, Hash: keyOf("grandchild-revoked-0"), ParentID: "ka"},
			{ID: "kc", UserID: u.ID, Hash: keyOf("cycle-a-000000000000"), ParentID: "kd"},
			{ID: "kd", UserID: u.ID, Hash: keyOf("cycle-b-000000000000"), ParentID: "kc"},
		},
	})
	p, err := snap.Authenticate("good-key-0000000000", now)
	if err != nil || p.User.ID != u.ID || p.KeyID != "k1" || len(p.OrgIDs) != 1 {
		t.Fatalf("good key: %+v, %v", p, err)
	}
	for _, k := range []string{"future-key-000000000", "child-of-good-000000", "grandchild-of-good-0"} {
		if _, err := snap.Authenticate(k, now); err != nil {
			t.Fatalf("key %q refused: %v", k, err)
		}
	}
	for _, k := range []string{"", "wrong", "expired-key-00000000", "revoked-key-00000000", "orphan-key-000000000",
		"deactivated-user-key", "child-of-expired-000", "child-of-revoked-000", "grandchild-revoked-0", "cycle-a-000000000000"} {
		if _, err := snap.Authenticate(k, now); ErrorCode(err) != CodeUnauthenticated {
			t.Errorf("key %q: err %v, want unauthenticated", k, err)
		}
	}
}

func TestNewIDIsHexUniqueAndOrderedWithinAProcess(t *testing.T) {
	prev := ""
	seen := map[string]bool{}
	for i := 0; i < 10000; i++ {
		id := NewID()
		if !ValidID(id) || seen[id] {
			t.Fatalf("id %q invalid or repeated", id)
		}
		// Within one second the counter orders them (a wrap of the 24-bit counter aside).
		if prev != "" && id[:8] == prev[:8] && id < prev && id[18:] != "000000" {
			t.Fatalf("id %s sorts before its predecessor %s", id, prev)
		}
		seen[id], prev = true, id
	}
}

// Without takes an id out of both grant lists, keeps the others in order, and says whether
// the id was there.
func TestPermissionsWithoutDropsTheIDFromBothLists(t *testing.T) {
	p := Permissions{IsEveryoneAllowed: true, UserIDs: []string{"u1", "o1", "u2"}, OrganizationIDs: []string{"o1", "o2"}}
	got, found := p.Without("o1")
	if !found || !got.IsEveryoneAllowed || strings.Join(got.UserIDs, ",") != "u1,u2" || strings.Join(got.OrganizationIDs, ",") != "o2" {
		t.Fatalf("Without(o1) = %+v, %v", got, found)
	}
	if strings.Join(p.UserIDs, ",") != "u1,o1,u2" {
		t.Fatalf("Without changed its receiver's list: %v", p.UserIDs)
	}
	if _, found := p.Without("o3"); found {
		t.Fatal("Without(o3) found an id that is not there")
	}
}
