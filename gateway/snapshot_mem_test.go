package gateway

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// scaleState is a State shaped like the configuration-scale benchmark's (issue 13 target 5):
// 10,000 endpoints, 100,000 users each with one key, built with fresh strings per field as a
// store loader would.
func scaleState(users, endpoints int) *State {
	st := &State{Version: 1}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st.Users = make([]User, 0, users)
	st.Keys = make([]APIKey, 0, users)
	for i := range users {
		id := fmt.Sprintf("%024x", i)
		st.Users = append(st.Users, User{ID: id, UserName: fmt.Sprintf("user-%06d", i), Email: fmt.Sprintf("user-%06d@example.org", i), CreatedAt: now})
		h := HashKey("key-" + id)
		st.Keys = append(st.Keys, APIKey{ID: fmt.Sprintf("%024x", i+1<<40), UserID: fmt.Sprintf("%024x", i), Name: "k",
			Hash: append([]byte(nil), h[:]...), Prefix: fmt.Sprintf("lg-%08x", i), CreatedAt: now})
	}
	st.Endpoints = make([]Endpoint, 0, endpoints)
	for i := range endpoints {
		st.Endpoints = append(st.Endpoints, Endpoint{ID: fmt.Sprintf("%024x", i+1<<50), Name: fmt.Sprintf("scale-%05d", i),
			Type: TypeChat, Provider: "openai", Model: "gpt-4o-mini", Config: map[string]string{},
			Secrets:     map[string]SecretRef{"openai_api_key": {Ref: "env:SCALE_KEY"}},
			Permissions: Permissions{IsEveryoneAllowed: true}, CreatedAt: now, UpdatedAt: now})
	}
	return st
}

func heapInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// snapshotHeapBudget is what a snapshot at configuration scale may keep: 43 MiB measured when
// users and keys moved to compact tables (70 MiB before), plus room for noise.
const snapshotHeapBudget = 48

// A snapshot of 10,000 endpoints and 100,000 users and keys keeps at most snapshotHeapBudget
// MiB of heap once the State it was built from is garbage.
func TestSnapshotMemoryAtConfigurationScale(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 100,000 users")
	}
	before := heapInuse()
	s := NewSnapshot(scaleState(100_000, 10_000))
	kept := float64(heapInuse()-before) / (1 << 20)
	runtime.KeepAlive(s)
	t.Logf("snapshot of 10,000 endpoints, 100,000 users and keys keeps %.1f MiB of heap", kept)
	if kept > snapshotHeapBudget {
		t.Fatalf("the snapshot keeps %.1f MiB, more than its budget of %d MiB", kept, snapshotHeapBudget)
	}
}
