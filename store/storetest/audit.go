package storetest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/llmgate/llmgate/gateway"
)

// accessEvent is what the query path records for one call.
func accessEvent(ts time.Time, endpointID, endpointName, username, outcome string) *gateway.AuditEvent {
	return &gateway.AuditEvent{
		ID: gateway.NewID(), Kind: gateway.KindAccessEndpoint, Timestamp: ts,
		PerformedBy: gateway.NewID(), EndpointID: endpointID, EndpointType: string(gateway.TypeChat),
		Metadata: map[string]string{
			"accessedByUsername": username, "endpointName": endpointName, "outcome": outcome,
			"promptTokens": "412", "completionTokens": "96", "latencyMs": "842", "requestId": gateway.NewRequestID(),
		},
	}
}

func testAuditAppend(t *testing.T, s gateway.Store) {
	ctx := t.Context()
	noMetadata := event(gateway.KindRotateMasterKey, "")
	noMetadata.Metadata = nil
	unusual := event(gateway.KindUpdateEndpoint, "ops")
	unusual.Metadata["prompt"] = "line one\nline two \"quoted\" \\ naïve 你好 \u2028 <script>"
	unusual.Metadata[""] = "empty key"
	first := []*gateway.AuditEvent{accessEvent(at(0), gateway.NewID(), "chat", "alice", gateway.OutcomeSuccess), noMetadata, unusual}
	second := []*gateway.AuditEvent{
		accessEvent(at(time.Second), gateway.NewID(), "chat", "bob", gateway.OutcomeRateLimited),
		event(gateway.KindCreateUser, "admin"),
	}
	if err := s.AppendAudit(ctx, first); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
	if err := s.AppendAudit(ctx, nil); err != nil {
		t.Fatalf("AppendAudit(no events): %v", err)
	}
	if err := s.AppendAudit(ctx, second); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
	all := append(first, second...)
	prev := ""
	for i, ev := range all {
		key, ok := allTestKeys.Lookup(ev.KeyID)
		if !ok || ev.Seq != int64(i+1) || ev.PrevHash != prev || ev.Hash != gateway.LinkHash(key, prev, ev) {
			t.Fatalf("event %d assigned seq %d prevHash %q hash %q key %q; want seq %d chained with gateway.LinkHash under the store's key", i, ev.Seq, ev.PrevHash, ev.Hash, ev.KeyID, i+1)
		}
		prev = ev.Hash
	}
	want := make([]gateway.AuditEvent, len(all))
	for i, ev := range all {
		want[i] = *ev
	}
	equal(t, "AuditChain returns the events exactly as appended", verifiedChain(t, s), want)
}

// testAuditHostileInput appends an event carrying bytes a client can smuggle into metadata
// (NUL, invalid UTF-8) and a sub-millisecond timestamp. The store may normalise the event in
// place, but must store it, chain it, and return it exactly as it chained it.
func testAuditHostileInput(t *testing.T, s gateway.Store) {
	ev := accessEvent(at(123456789*time.Nanosecond), gateway.NewID(), "chat\x00", "mallory\xff", gateway.OutcomeBadRequest)
	ev.Metadata["prompt"] = "ignore previous instructions\x00\xfe\xff\xc3("
	ev.Metadata["key\xffwith\x00junk"] = "value"
	if err := s.AppendAudit(t.Context(), []*gateway.AuditEvent{ev}); err != nil {
		t.Fatalf("AppendAudit(hostile metadata): %v", err)
	}
	if !ev.Timestamp.Equal(at(123 * time.Millisecond)) {
		t.Fatalf("timestamp stored as %v, want it cut to the millisecond", ev.Timestamp)
	}
	for k, v := range ev.Metadata {
		if !utf8.ValidString(k+v) || strings.ContainsRune(k+v, 0) {
			t.Fatalf("metadata %q=%q kept bytes that cannot be stored and re-read faithfully", k, v)
		}
	}
	equal(t, "hostile event as chained", verifiedChain(t, s), []gateway.AuditEvent{*ev})
}

func testQueryAudit(t *testing.T, s gateway.Store) {
	ctx := t.Context()
	epA, epB, epGone := gateway.NewID(), gateway.NewID(), gateway.NewID()
	created := event(gateway.KindCreateEndpoint, "admin")
	created.Timestamp, created.EndpointID, created.Metadata["endpointName"] = at(2*time.Minute), epA, "chat-a"
	// An older endpoint that had the name embed-b: found by name, not by id.
	deleted := event(gateway.KindDeleteEndpoint, "admin")
	deleted.Timestamp, deleted.EndpointID, deleted.Metadata["endpointName"] = at(30*time.Second), epGone, "embed-b"
	newUser := event(gateway.KindCreateUser, "admin")
	newUser.Timestamp = at(4 * time.Minute)
	ev := map[string]*gateway.AuditEvent{
		"a-alice":  accessEvent(at(0), epA, "chat-a", "alice", gateway.OutcomeSuccess),
		"b-bob":    accessEvent(at(time.Minute), epB, "embed-b", "bob", gateway.OutcomeDenied),
		"create-a": created,
		"b-alice":  accessEvent(at(3*time.Minute), epB, "embed-b", "alice", gateway.OutcomeSuccess),
		// Same instant as b-alice, later seq.
		"a-bob": accessEvent(at(3*time.Minute), epA, "chat-a", "bob", gateway.OutcomeTimeout),
		// Appended after newer events: ordering is by timestamp first.
		"delete": deleted,
		"user":   newUser,
	}
	for _, batch := range [][]string{{"a-alice", "b-bob", "create-a", "b-alice", "a-bob"}, {"delete"}, {"user"}} {
		events := make([]*gateway.AuditEvent, len(batch))
		for i, label := range batch {
			events[i] = ev[label]
		}
		if err := s.AppendAudit(ctx, events); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
	}
	cases := []struct {
		name   string
		filter gateway.AuditFilter
		want   []string
	}{
		{"everything", gateway.AuditFilter{}, []string{"a-alice", "delete", "b-bob", "create-a", "b-alice", "a-bob", "user"}},
		{"endpoint id", gateway.AuditFilter{EndpointIDs: []string{epA}}, []string{"a-alice", "create-a", "a-bob"}},
		{"endpoint name", gateway.AuditFilter{EndpointNames: []string{"embed-b"}}, []string{"delete", "b-bob", "b-alice"}},
		{"endpoint id or name", gateway.AuditFilter{EndpointIDs: []string{epA}, EndpointNames: []string{"embed-b"}},
			[]string{"a-alice", "delete", "b-bob", "create-a", "b-alice", "a-bob"}},
		{"several ids", gateway.AuditFilter{EndpointIDs: []string{epB, epGone}}, []string{"delete", "b-bob", "b-alice"}},
		{"kind", gateway.AuditFilter{Kinds: []string{gateway.KindAccessEndpoint}}, []string{"a-alice", "b-bob", "b-alice", "a-bob"}},
		{"several kinds", gateway.AuditFilter{Kinds: []string{gateway.KindCreateEndpoint, gateway.KindDeleteEndpoint}},
			[]string{"delete", "create-a"}},
		{"accessing user", gateway.AuditFilter{Usernames: []string{"alice"}}, []string{"a-alice", "b-alice"}},
		{"performing user", gateway.AuditFilter{Usernames: []string{"admin"}}, []string{"delete", "create-a", "user"}},
		{"since is inclusive", gateway.AuditFilter{Since: at(time.Minute)}, []string{"b-bob", "create-a", "b-alice", "a-bob", "user"}},
		{"until is inclusive", gateway.AuditFilter{Until: at(3 * time.Minute)},
			[]string{"a-alice", "delete", "b-bob", "create-a", "b-alice", "a-bob"}},
		{"time window", gateway.AuditFilter{Since: at(30 * time.Second), Until: at(2 * time.Minute)}, []string{"delete", "b-bob", "create-a"}},
		{"kind and user", gateway.AuditFilter{Kinds: []string{gateway.KindAccessEndpoint}, Usernames: []string{"bob"}}, []string{"b-bob", "a-bob"}},
		{"offset and limit", gateway.AuditFilter{Offset: 2, Limit: 3}, []string{"b-bob", "create-a", "b-alice"}},
		{"offset only", gateway.AuditFilter{Offset: 5}, []string{"a-bob", "user"}},
		{"limit after filter", gateway.AuditFilter{Kinds: []string{gateway.KindAccessEndpoint}, Limit: 1}, []string{"a-alice"}},
		{"offset past the end", gateway.AuditFilter{Offset: 50}, nil},
		{"unknown endpoint", gateway.AuditFilter{EndpointNames: []string{"nope"}}, nil},
	}
	label := make(map[string]string, len(ev))
	for l, e := range ev {
		label[e.ID] = l
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.QueryAudit(ctx, tc.filter)
			if err != nil {
				t.Fatalf("QueryAudit: %v", err)
			}
			var labels []string
			for _, e := range got {
				if !tc.filter.Match(&e) {
					t.Errorf("event %s does not match the filter by gateway.AuditFilter.Match", label[e.ID])
				}
				if !reflect.DeepEqual(e, *ev[label[e.ID]]) {
					t.Errorf("event %s differs from what was appended", label[e.ID])
				}
				labels = append(labels, label[e.ID])
			}
			equal(t, "events", labels, tc.want)
		})
	}
}

// ConcurrentWriters appends audit events and commits mutations from many goroutines spread
// over stores (one store, or several instances on one database) and checks that the result
// is one valid chain with no gap, holding every event exactly once, and that the state
// version rose at least once per mutation.
func ConcurrentWriters(t *testing.T, stores ...gateway.Store) {
	const workersPerStore, rounds = 4, 6
	before := observe(t, stores[0])
	var (
		mu        sync.Mutex
		written   = map[string]int{}
		mutations int
		wg        sync.WaitGroup
	)
	record := func(events []*gateway.AuditEvent, mutation bool) {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range events {
			written[e.ID]++
		}
		if mutation {
			mutations++
		}
	}
	errs := make(chan error, len(stores)*workersPerStore)
	for si, s := range stores {
		for w := range workersPerStore {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- writeRounds(t.Context(), s, fmt.Sprintf("s%dw%d", si, w), rounds, record)
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	events := verifiedChain(t, stores[0])
	if len(events) != before.events+len(written) {
		t.Fatalf("trail has %d events, want %d before + %d written", len(events), before.events, len(written))
	}
	for _, e := range events[before.events:] {
		if written[e.ID] != 1 {
			t.Fatalf("event %s appears in the trail but was written %d times", e.ID, written[e.ID])
		}
		written[e.ID]++
	}
	for _, s := range stores {
		after := observe(t, s)
		if after.version-before.version < int64(mutations) {
			t.Fatalf("state version rose by %d over %d mutations", after.version-before.version, mutations)
		}
		if after.events != len(events) {
			t.Fatalf("another store instance sees %d events, want %d", after.events, len(events))
		}
	}
}

// writeRounds alternates batched AppendAudit calls with CreateUser mutations.
func writeRounds(ctx context.Context, s gateway.Store, worker string, rounds int, record func([]*gateway.AuditEvent, bool)) error {
	for r := range rounds {
		if r%2 == 0 {
			batch := make([]*gateway.AuditEvent, r%3+1)
			for i := range batch {
				batch[i] = accessEvent(gateway.Now(), gateway.NewID(), "chat", worker, gateway.OutcomeSuccess)
			}
			if err := s.AppendAudit(ctx, batch); err != nil {
				return fmt.Errorf("%s AppendAudit: %w", worker, err)
			}
			record(batch, false)
			continue
		}
		u := user(fmt.Sprintf("%s-r%d", worker, r), 0)
		ev := event(gateway.KindCreateUser, worker)
		if err := s.CreateUser(ctx, u, ev); err != nil {
			return fmt.Errorf("%s CreateUser: %w", worker, err)
		}
		record([]*gateway.AuditEvent{ev}, true)
	}
	return nil
}

// testAuditKeysetPaging pages through a trail whose timestamps tie and arrive out of order
// (the keyset must break ties by seq) and checks that the pages together hold every matching
// event exactly once, in the order of one unpaged read.
func testAuditKeysetPaging(t *testing.T, s gateway.Store) {
	ctx := t.Context()
	var batch []*gateway.AuditEvent
	for i := range 23 {
		// Timestamps 0,0,0,1,1,1,...: three events share each instant; every fourth batch
		// goes back in time.
		ts := at(time.Duration(i/3) * time.Second)
		if i%4 == 3 {
			ts = at(-time.Duration(i) * time.Second)
		}
		user := []string{"ann", "bob"}[i%2]
		batch = append(batch, accessEvent(ts, gateway.NewID(), "chat", user, gateway.OutcomeSuccess))
		if len(batch) == 4 || i == 22 {
			if err := s.AppendAudit(ctx, batch); err != nil {
				t.Fatalf("AppendAudit: %v", err)
			}
			batch = nil
		}
	}
	for _, f := range []gateway.AuditFilter{{}, {Usernames: []string{"bob"}}, {Since: at(time.Second)}} {
		all, err := s.QueryAudit(ctx, f)
		if err != nil {
			t.Fatalf("QueryAudit: %v", err)
		}
		for _, size := range []int{1, 2, 3, 7, 50} {
			var paged []gateway.AuditEvent
			pf := f
			pf.Limit = size
			for {
				page, err := s.QueryAudit(ctx, pf)
				if err != nil {
					t.Fatalf("QueryAudit(page): %v", err)
				}
				if len(page) > size {
					t.Fatalf("page of %d events for limit %d", len(page), size)
				}
				paged = append(paged, page...)
				if len(page) < size {
					break
				}
				pf.After = gateway.CursorOf(&page[len(page)-1])
			}
			equal(t, fmt.Sprintf("%+v paged by %d", f, size), ids(paged), ids(all))
		}
	}
	head, err := s.AuditHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if head.Seq != 23 {
		t.Fatalf("head seq %d, want 23", head.Seq)
	}
	upTo, err := s.QueryAudit(ctx, gateway.AuditFilter{MaxSeq: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(upTo) != 10 {
		t.Fatalf("MaxSeq 10 returned %d events", len(upTo))
	}
	for _, ev := range upTo {
		if ev.Seq > 10 {
			t.Fatalf("MaxSeq 10 returned seq %d", ev.Seq)
		}
	}
}

func ids(events []gateway.AuditEvent) []string {
	out := make([]string, len(events))
	for i := range events {
		out[i] = events[i].ID
	}
	return out
}

// chainKeys is an in-memory chain keyring; every key it ever makes is also in allTestKeys,
// which verification uses the way `audit verify` uses the key file.
type chainKeys struct {
	mu   sync.Mutex
	keys []gateway.AuditKey // newest first
}

var allTestKeys = &chainKeys{}

func newChainKeys() *chainKeys {
	k := &chainKeys{}
	k.rotate()
	return k
}

func (k *chainKeys) rotate() gateway.AuditKey {
	secret := []byte(gateway.NewID() + gateway.NewID()) // unique per key; not for production use
	key := gateway.AuditKey{ID: "test-" + gateway.NewID(), Secret: secret}
	for _, ring := range []*chainKeys{k, allTestKeys} {
		ring.mu.Lock()
		ring.keys = append([]gateway.AuditKey{key}, ring.keys...)
		ring.mu.Unlock()
	}
	return key
}

func (k *chainKeys) Current() (gateway.AuditKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keys[0], nil
}

func (k *chainKeys) Lookup(id string) (gateway.AuditKey, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, key := range k.keys {
		if key.ID == id {
			return key, true
		}
	}
	return gateway.AuditKey{}, false
}

// testUnkeyedThenKeyed is an upgraded trail: events appended before keys were set carry no
// key id and the unkeyed hash; once keyed, every event names its key, rotation continues the
// chain, and the whole trail verifies. Stored hashes and key ids read back as assigned.
func testUnkeyedThenKeyed(t *testing.T, s gateway.Store) {
	ctx := t.Context()
	old := []*gateway.AuditEvent{event(gateway.KindCreateUser, "admin"), event(gateway.KindCreateUser, "admin")}
	if err := s.AppendAudit(ctx, old); err != nil {
		t.Fatal(err)
	}
	for _, ev := range old {
		if ev.KeyID != "" {
			t.Fatalf("unkeyed store assigned key id %q", ev.KeyID)
		}
	}
	keys := newChainKeys()
	s.SetAuditKeys(keys)
	first, _ := keys.Current()
	keyed := []*gateway.AuditEvent{event(gateway.KindCreateUser, "admin")}
	if err := s.AppendAudit(ctx, keyed); err != nil {
		t.Fatal(err)
	}
	second := keys.rotate()
	rotated := event(gateway.KindCreateUser, "admin")
	if err := s.CreateUser(ctx, user("after-rotation", 0), rotated); err != nil {
		t.Fatal(err)
	}
	if keyed[0].KeyID != first.ID || rotated.KeyID != second.ID {
		t.Fatalf("key ids %q, %q; want %q then %q after rotation", keyed[0].KeyID, rotated.KeyID, first.ID, second.ID)
	}
	events := verifiedChain(t, s)
	if len(events) != 4 || events[3].KeyID != second.ID || events[1].KeyID != "" {
		t.Fatalf("stored key ids: %+v", events)
	}
	// The same events recomputed without the key verify no more.
	forged := append([]gateway.AuditEvent(nil), events...)
	forged[2].Metadata = map[string]string{"performedByUsername": "someone else"}
	prev := forged[1].Hash
	for i := 2; i < len(forged); i++ {
		forged[i].PrevHash, forged[i].Hash = prev, gateway.ChainHash(prev, &forged[i])
		prev = forged[i].Hash
	}
	if bad, _ := gateway.VerifyChain(allTestKeys, forged); bad != 2 {
		t.Fatalf("a chain recomputed with plain SHA-256 keeping key ids: first bad %d, want 2", bad)
	}
	for i := 2; i < len(forged); i++ {
		forged[i].KeyID = ""
	}
	v := gateway.ChainVerifier{Keys: allTestKeys}
	for i := range forged {
		if reason := v.Next(&forged[i]); reason != "" {
			t.Fatalf("event %d: %s", i, reason)
		}
	}
	if v.Finish() == "" {
		t.Fatal("a trail recomputed entirely without the key (key ids cleared) must not verify")
	}
}

// testAuditRetention prunes a prefix: the events up to the anchor are gone, the anchor holds
// the last pruned hash under a MAC of the current key, the rest verifies from it, appends and
// later prunes continue, and the anchor never moves back or past the head.
func testAuditRetention(t *testing.T, s gateway.Store) {
	ctx := t.Context()
	var all []*gateway.AuditEvent
	for range 12 {
		all = append(all, event(gateway.KindCreateUser, "admin"))
	}
	if err := s.AppendAudit(ctx, all); err != nil {
		t.Fatal(err)
	}
	anchor, err := s.PruneAudit(ctx, 5)
	if err != nil {
		t.Fatalf("PruneAudit(5): %v", err)
	}
	if anchor.Seq != 5 || anchor.Hash != all[4].Hash || anchor.KeyID != all[4].KeyID || gateway.CheckAnchor(allTestKeys, anchor) != "" {
		t.Fatalf("anchor %+v, want seq 5 with the hash of event 5 under a valid MAC", anchor)
	}
	if stored, err := s.AuditAnchor(ctx); err != nil || stored != anchor {
		t.Fatalf("AuditAnchor = %+v, %v; want %+v", stored, err, anchor)
	}
	if kept := verifiedChain(t, s); len(kept) != 7 || kept[0].ID != all[5].ID {
		t.Fatalf("after pruning to 5: %d events kept starting %+v", len(kept), kept)
	}
	if got, _ := s.QueryAudit(ctx, gateway.AuditFilter{}); len(got) != 7 {
		t.Fatalf("QueryAudit sees %d events after pruning, want 7", len(got))
	}
	for _, upTo := range []int64{3, 5, 99} {
		if _, err := s.PruneAudit(ctx, upTo); gateway.ErrorCode(err) != gateway.CodeInvalid {
			t.Fatalf("PruneAudit(%d) with anchor 5 and head 12: %v, want CodeInvalid", upTo, err)
		}
	}
	if err := s.AppendAudit(ctx, []*gateway.AuditEvent{event(gateway.KindCreateUser, "admin")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PruneAudit(ctx, 13); err != nil { // everything: the head is the anchor
		t.Fatalf("PruneAudit(13): %v", err)
	}
	if kept := verifiedChain(t, s); len(kept) != 0 {
		t.Fatalf("%d events after pruning everything", len(kept))
	}
	forged := anchor
	forged.Seq = 13
	if gateway.CheckAnchor(allTestKeys, forged) == "" {
		t.Fatal("an anchor moved without the key verified")
	}
}
