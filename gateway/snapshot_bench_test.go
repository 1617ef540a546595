package gateway

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkSnapshotLookups is what the snapshot costs a query at configuration scale (10,000
// endpoints, 100,000 users and keys): authenticating the key and finding the endpoint.
func BenchmarkSnapshotLookups(b *testing.B) {
	st := &State{Version: 1}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 100_000 {
		id := fmt.Sprintf("%024x", i)
		st.Users = append(st.Users, User{ID: id, UserName: "user-" + id, CreatedAt: now})
		h := HashKey("key-" + id)
		st.Keys = append(st.Keys, APIKey{ID: fmt.Sprintf("%024x", i+1<<40), UserID: id, Hash: h[:], CreatedAt: now})
	}
	for i := range 10_000 {
		st.Endpoints = append(st.Endpoints, Endpoint{ID: fmt.Sprintf("%024x", i+1<<50), Name: fmt.Sprintf("endpoint-%05d", i), CreatedAt: now})
	}
	s := NewSnapshot(st)
	key, name := "key-"+fmt.Sprintf("%024x", 4242), "endpoint-04242"
	b.ReportAllocs()
	for b.Loop() {
		p, err := s.Authenticate(key, now)
		if err != nil || s.Endpoint(name) == nil || p.User == nil {
			b.Fatal("lookup failed")
		}
	}
}
