// Package storetest is the conformance suite every gateway.Store implementation passes.
//
// Run exercises the whole contract of gateway.Store against fresh stores made by the caller;
// ConcurrentWriters is also exported on its own so implementations can point it at several
// Store instances sharing one database (processes on one SQLite file, PostgreSQL replicas).
package storetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// Run runs the conformance suite. open must return a new, empty store and arrange for it to
// be closed when t ends.
func Run(t *testing.T, open func(t *testing.T) gateway.Store) {
	suite := []struct {
		name string
		test func(t *testing.T, s gateway.Store)
	}{
		{"Users", testUsers},
		{"Orgs", testOrgs},
		{"Keys", testKeys},
		{"KeyUses", testKeyUses},
		{"EndpointRoundTrip", testEndpointRoundTrip},
		{"EndpointLifecycle", testEndpointLifecycle},
		{"Secrets", testSecrets},
		{"AuditAppend", testAuditAppend},
		{"AuditHostileInput", testAuditHostileInput},
		{"QueryAudit", testQueryAudit},
		{"AuditKeysetPaging", testAuditKeysetPaging},
		{"AuditRetention", testAuditRetention},
		{"Usage", testUsage},
		{"Budgets", testBudgets},
		{"Sessions", testSessions},
		{"SCIMTokens", testSCIMTokens},
		{"SCIMLinks", testSCIMLinks},
		{"IdentityOps", testIdentityOps},
		{"LastAdminStays", testLastAdminStays},
		{"CommitReceipts", testCommitReceipts},
		{"ConcurrentWriters", func(t *testing.T, s gateway.Store) { ConcurrentWriters(t, s) }},
	}
	for _, tc := range suite {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			s.SetAuditKeys(newChainKeys())
			tc.test(t, s)
		})
	}
	t.Run("UnkeyedThenKeyed", func(t *testing.T) { testUnkeyedThenKeyed(t, open(t)) })
}

// base is a fixed, millisecond-precise instant: every stored timestamp has that precision.
var base = time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

func at(offset time.Duration) time.Time { return base.Add(offset) }

func ptr[T any](v T) *T { return &v }

// event returns a realistic admin event performed by user name.
func event(kind, by string) *gateway.AuditEvent {
	return &gateway.AuditEvent{
		ID:          gateway.NewID(),
		Kind:        kind,
		Timestamp:   gateway.Now(),
		PerformedBy: "000000000000000000000001",
		Metadata:    map[string]string{"performedByUsername": by, "requestId": gateway.NewRequestID()},
	}
}

func user(name string, offset time.Duration) *gateway.User {
	return &gateway.User{
		ID: gateway.NewID(), UserName: name, Email: name + "@example.com",
		FirstName: "First " + name, LastName: "Last", CreatedAt: at(offset),
	}
}

// counts is what every mutation must change: the state version and the audit trail.
type counts struct {
	version int64
	events  int
}

// observe reads the version (checking both ways of reading it agree) and checks the chain.
func observe(t *testing.T, s gateway.Store) counts {
	t.Helper()
	ctx := t.Context()
	v, err := s.StateVersion(ctx)
	if err != nil {
		t.Fatalf("StateVersion: %v", err)
	}
	st, err := s.LoadState(ctx)
	if err != nil {
		t.Fatalf("LoadState: %v", err)
	}
	if st.Version != v {
		t.Fatalf("StateVersion = %d but LoadState().Version = %d", v, st.Version)
	}
	events := verifiedChain(t, s)
	return counts{version: v, events: len(events)}
}

// verifiedChain reads the whole trail (after the retention anchor, if any) and fails t
// unless it verifies from the anchor and the head matches.
func verifiedChain(t *testing.T, s gateway.Store) []gateway.AuditEvent {
	t.Helper()
	anchor, err := s.AuditAnchor(t.Context())
	if err != nil {
		t.Fatalf("AuditAnchor: %v", err)
	}
	if reason := gateway.CheckAnchor(allTestKeys, anchor); reason != "" {
		t.Fatalf("anchor %+v: %s", anchor, reason)
	}
	events, head := readChain(t, s)
	v := gateway.ChainVerifier{Keys: allTestKeys, Prev: anchor.Hash}
	for i := range events {
		if reason := v.Next(&events[i]); reason != "" {
			t.Fatalf("chain broken at index %d (seq %d): %s", i, events[i].Seq, reason)
		}
		if events[i].Seq != anchor.Seq+int64(i+1) {
			t.Fatalf("event %d has seq %d after anchor %d: the chain has a gap", i, events[i].Seq, anchor.Seq)
		}
	}
	if head.Hash != v.Prev {
		t.Fatalf("chain head = %q, last hash = %q", head.Hash, v.Prev)
	}
	return events
}

// mustMutate runs one mutation with a fresh event and checks that it succeeded, raised the
// state version and committed exactly its event at the end of a valid chain.
func mustMutate(t *testing.T, s gateway.Store, what string, mutation func(ev *gateway.AuditEvent) error) {
	t.Helper()
	before := observe(t, s)
	ev := event("Test"+what, "admin")
	if err := mutation(ev); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	after := observe(t, s)
	if after.version <= before.version {
		t.Fatalf("%s: state version went from %d to %d, want an increase", what, before.version, after.version)
	}
	events := verifiedChain(t, s)
	if after.events != before.events+1 || events[len(events)-1].ID != ev.ID {
		t.Fatalf("%s: want exactly its audit event appended; trail went from %d to %d events", what, before.events, after.events)
	}
}

// mustReject runs a mutation that must fail with code and checks it changed nothing visible:
// no version bump, no audit event, the same state.
func mustReject(t *testing.T, s gateway.Store, what string, code gateway.Code, mutation func(ev *gateway.AuditEvent) error) {
	t.Helper()
	before := observe(t, s)
	stateBefore := loadState(t, s)
	err := mutation(event("Test"+what, "admin"))
	if got := gateway.ErrorCode(err); got != code {
		t.Fatalf("%s: error %v has code %q, want %q", what, err, got, code)
	}
	if after := observe(t, s); after != before {
		t.Fatalf("%s failed but changed version/trail from %+v to %+v", what, before, after)
	}
	equal(t, what+": state after the failed mutation", loadState(t, s), stateBefore)
}

func loadState(t *testing.T, s gateway.Store) *gateway.State {
	t.Helper()
	st, err := s.LoadState(t.Context())
	if err != nil {
		t.Fatalf("LoadState: %v", err)
	}
	return st
}

func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %s\n want %s", what, show(got), show(want))
	}
}

// show prints pointers' targets too, so a mismatch in a *time.Time is visible.
func show(v any) string { return fmt.Sprintf("%+v", deref(reflect.ValueOf(v))) }

func deref(v reflect.Value) any {
	for v.IsValid() && v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if !v.IsValid() {
		return nil
	}
	return v.Interface()
}

func wantCode(t *testing.T, what string, err error, code gateway.Code) {
	t.Helper()
	if got := gateway.ErrorCode(err); got != code {
		t.Fatalf("%s: error %v has code %q, want %q", what, err, got, code)
	}
}

// readChain reads the whole trail through AuditChainPage in small pages, so paging itself is
// exercised, and checks each page is the Seq-ordered continuation of the previous one.
func readChain(t *testing.T, s gateway.Store) ([]gateway.AuditEvent, gateway.AuditHead) {
	t.Helper()
	head, err := s.AuditHead(t.Context())
	if err != nil {
		t.Fatalf("AuditHead: %v", err)
	}
	var events []gateway.AuditEvent
	after := int64(0)
	for {
		page, err := s.AuditChainPage(t.Context(), after, 2)
		if err != nil {
			t.Fatalf("AuditChainPage: %v", err)
		}
		for _, ev := range page {
			if ev.Seq <= after {
				t.Fatalf("AuditChainPage(after %d) returned seq %d", after, ev.Seq)
			}
			after = ev.Seq
		}
		events = append(events, page...)
		if len(page) < 2 {
			return events, head
		}
	}
}
