package gateway

import (
	"fmt"
	"testing"
	"time"
)

func bigSnapshot(n int) *Snapshot {
	st := &State{Version: 7}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		st.Endpoints = append(st.Endpoints, Endpoint{ID: fmt.Sprintf("%024d", i), Name: fmt.Sprintf("ep-%d", i),
			CreatedAt: base.Add(time.Duration(i) * time.Millisecond)})
	}
	return NewSnapshot(st)
}

// A derived snapshot changes what it answers; the one it came from, which requests may still
// be reading, answers exactly what it did.
func TestDerivedSnapshotsLeaveTheirSourceUnchanged(t *testing.T) {
	s := bigSnapshot(1000)
	renamed := *s.Endpoint("ep-10")
	renamed.Name = "renamed"
	added := &Endpoint{ID: "a00000000000000000000000", Name: "added", CreatedAt: s.Endpoint("ep-500").CreatedAt}
	next := s.WithEndpoint(&renamed).WithEndpoint(added).WithoutEndpoint(s.Endpoint("ep-20").ID)

	if s.Endpoint("ep-10") == nil || s.Endpoint("renamed") != nil || s.Endpoint("added") != nil || s.Endpoint("ep-20") == nil || len(s.Endpoints()) != 1000 {
		t.Fatal("deriving a snapshot changed its source")
	}
	if next.Endpoint("ep-10") != nil || next.Endpoint("renamed") != &renamed || next.EndpointByID(renamed.ID) != &renamed {
		t.Fatal("a renamed endpoint is not found by its new name only")
	}
	if next.Endpoint("ep-20") != nil || len(next.Endpoints()) != 1000 {
		t.Fatalf("after one add and one delete: %d endpoints, ep-20 %v", len(next.Endpoints()), next.Endpoint("ep-20"))
	}
	list := next.Endpoints()
	for i := 1; i < len(list); i++ {
		if !endpointBefore(list[i-1], list[i]) {
			t.Fatalf("Endpoints out of order at %d: %s before %s", i, list[i-1].Name, list[i].Name)
		}
	}
	if list[499].Name != "ep-500" || list[500] != added { // ep-20 is gone; same time as ep-500, larger id
		t.Fatalf("the added endpoint is not placed by creation time then id: %s, %s", list[499].Name, list[500].Name)
	}
}

// Looking up an endpoint, a user (by id or name) or a key (by hash or id) costs no
// allocation, however the snapshot was made, and authenticating costs one: the Principal.
func TestSnapshotLookupsDoNotAllocate(t *testing.T) {
	s := bigSnapshot(1000).WithUser(&User{ID: "u", UserName: "bob"})
	h := HashKey("secret-key-of-bob")
	s = s.WithKey(&APIKey{ID: "k", UserID: "u", Hash: h[:]})
	allocs := testing.AllocsPerRun(100, func() {
		if s.Endpoint("ep-999") == nil || s.User("u") == nil || s.UserByName("bob") == nil || s.keyRec("k") == nil || s.keys.get(h) == nil {
			t.Fatal("lookup missed")
		}
	})
	if allocs != 0 {
		t.Fatalf("lookups allocate %v times", allocs)
	}
	now := time.Now()
	allocs = testing.AllocsPerRun(100, func() {
		if p, err := s.Authenticate("secret-key-of-bob", now); err != nil || p.User.UserName != "bob" || p.KeyID != "k" {
			t.Fatalf("Authenticate = %+v, %v", p, err)
		}
	})
	if allocs != 1 {
		t.Fatalf("Authenticate allocates %v times, want 1", allocs)
	}
}

// Organization changes keep each user's organizations in name order, as a load does.
func TestWithOrgKeepsMembershipsByName(t *testing.T) {
	s := NewSnapshot(&State{Users: []User{{ID: "u"}}})
	s = s.WithOrg(&Org{ID: "1", Name: "m", Members: []OrgMember{{UserID: "u"}}})
	s = s.WithOrg(&Org{ID: "2", Name: "z", Members: []OrgMember{{UserID: "u"}}})
	s = s.WithOrg(&Org{ID: "2", Name: "a", Members: []OrgMember{{UserID: "u"}}})
	if got := fmt.Sprint(s.OrgsOf("u")); got != "[2 1]" {
		t.Fatalf("OrgsOf after a rename = %s, want [2 1]", got)
	}
	if s.OrgByName("z") != nil || s.OrgByName("a").ID != "2" {
		t.Fatal("the renamed organization is still found by its old name")
	}
	s = s.WithoutOrg("1")
	if got := fmt.Sprint(s.OrgsOf("u")); got != "[2]" {
		t.Fatalf("OrgsOf after a delete = %s, want [2]", got)
	}
}
