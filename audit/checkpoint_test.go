package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmgate/llmgate/store/sqlite"
)

// trail is a keyed SQLite trail with a checkpointer writing to a file.
type trail struct {
	path   string
	store  *sqlite.Store
	keys   *Keyring
	signer *Signer
	cps    string
	c      *Checkpointer
}

func newTrail(t *testing.T) *trail {
	t.Helper()
	dir := t.TempDir()
	tr := &trail{path: filepath.Join(dir, "llmgate.db"), keys: NewKeyring(GenerateKey()), cps: filepath.Join(dir, "cps.jsonl")}
	var err error
	if tr.store, err = sqlite.Open(t.Context(), tr.path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.store.Close() })
	tr.store.SetAuditKeys(tr.keys)
	if tr.signer, err = LoadSigner(filepath.Join(dir, CheckpointKeyFileName)); err != nil {
		t.Fatal(err)
	}
	tr.c = &Checkpointer{Store: tr.store, Signer: tr.signer, Sinks: []Sink{&FileSink{Path: tr.cps}}, Log: quiet()}
	return tr
}

func (tr *trail) sql(t *testing.T, stmt string) {
	t.Helper()
	db, err := sql.Open("sqlite", tr.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		t.Fatal(err)
	}
}

func (tr *trail) verify(t *testing.T) Report {
	t.Helper()
	var cp *Checkpoint
	if _, err := os.Stat(tr.cps); err == nil {
		if cp, _, err = LatestCheckpoint(tr.cps, tr.signer.PublicKey()); err != nil {
			t.Fatal(err)
		}
	}
	r, err := VerifyWithCheckpoint(t.Context(), tr.store, tr.keys, cp)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// moveHeadBack is what an attacker with database access does after deleting the newest
// events: point audit_head at the new last event, so the chain alone looks whole.
const moveHeadBack = `UPDATE audit_head SET seq = (SELECT max(seq) FROM audit_events),
	hash = (SELECT hash FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events))`

// TestCheckpointRevealsTheNewestEventsRemoved: 300 events, a signed checkpoint, then the
// newest 100 deleted and the head moved back. The chain alone verifies (that is the attack);
// against the checkpoint it is reported truncated, naming how many events are gone. Events
// appended after the checkpoint still verify.
func TestCheckpointRevealsTheNewestEventsRemoved(t *testing.T) {
	tr := newTrail(t)
	fill(t, tr.store, 300)
	if err := tr.c.Checkpoint(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := tr.c.Checkpoint(t.Context()); err != nil { // unchanged head: no second line
		t.Fatal(err)
	}
	fill(t, tr.store, 5)
	if r := tr.verify(t); !r.OK || r.Checkpoint == nil || r.Checkpoint.Seq != 300 || r.Checkpoint.KeyID == "" {
		t.Fatalf("intact trail with newer events than the checkpoint: %+v", r)
	}
	if data, _ := os.ReadFile(tr.cps); strings.Count(string(data), "\n") != 1 {
		t.Fatalf("checkpoint file:\n%s", data)
	}
	tr.sql(t, `DELETE FROM audit_events WHERE seq > 205`)
	tr.sql(t, moveHeadBack)
	if r, _ := Verify(t.Context(), tr.store, tr.keys); !r.OK {
		t.Fatalf("the chain alone should still look whole after a clean truncation: %+v", r)
	}
	r := tr.verify(t)
	if r.OK || !r.Truncated || !strings.Contains(r.Reason, "TRUNCATED") || !strings.Contains(r.Reason, "95 events") {
		t.Fatalf("truncation past the checkpoint: %+v", r)
	}
}

// TestCheckpointRevealsARewrittenCheckpointedEvent: the event at the checkpoint's seq with a
// different hash is reported even when the chain itself is valid — as after the database is
// restored from an older backup (or its tail re-chained by someone holding the key) and new
// events appended over the lost ones.
func TestCheckpointRevealsARewrittenCheckpointedEvent(t *testing.T) {
	tr := newTrail(t)
	fill(t, tr.store, 10)
	if err := tr.c.Checkpoint(t.Context()); err != nil {
		t.Fatal(err)
	}
	tr.sql(t, `DELETE FROM audit_events WHERE seq > 7`)
	tr.sql(t, moveHeadBack)
	fill(t, tr.store, 3) // seq 8..10 again, other events
	if r, _ := Verify(t.Context(), tr.store, tr.keys); !r.OK {
		t.Fatalf("the chain alone is valid here: %+v", r)
	}
	r := tr.verify(t)
	if r.OK || !r.Truncated || r.BadSeq != 10 {
		t.Fatalf("re-chained tail at the checkpoint's seq: %+v", r)
	}
}

// TestCheckpointFileIsTrustedOnlyWhenSigned: an edited line fails as altered, a torn last
// line is skipped, and a checkpoint signed by another key is refused.
func TestCheckpointFileIsTrustedOnlyWhenSigned(t *testing.T) {
	tr := newTrail(t)
	fill(t, tr.store, 2)
	if err := tr.c.Checkpoint(t.Context()); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(tr.cps)
	if err := os.WriteFile(tr.cps, append(data, []byte(`{"kind":"head","seq":9`)...), 0o600); err != nil {
		t.Fatal(err)
	}
	if cp, _, err := LatestCheckpoint(tr.cps, tr.signer.PublicKey()); err != nil || cp == nil || cp.Seq != 2 {
		t.Fatalf("torn last line: %+v, %v", cp, err)
	}
	edited := strings.Replace(string(data), `"seq":2`, `"seq":1`, 1)
	if err := os.WriteFile(tr.cps, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LatestCheckpoint(tr.cps, tr.signer.PublicKey()); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("edited checkpoint accepted: %v", err)
	}
	other, err := LoadSigner(filepath.Join(t.TempDir(), "other.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tr.cps, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LatestCheckpoint(tr.cps, other.PublicKey()); err == nil {
		t.Fatal("checkpoint verified under another key")
	}
}

// TestWebhookSinkRetriesAndDeliversTheSignedCheckpoint: a receiver failing twice gets the
// checkpoint on the third attempt, with a signature that verifies.
func TestWebhookSinkRetriesAndDeliversTheSignedCheckpoint(t *testing.T) {
	tr := newTrail(t)
	fill(t, tr.store, 4)
	var mu sync.Mutex
	var attempts int
	var got Checkpoint
	var sigHeader string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		attempts++
		if attempts < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &got); err != nil || r.Method != http.MethodPost {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		sigHeader = r.Header.Get("X-Llmgate-Checkpoint-Signature")
	}))
	defer srv.Close()
	tr.c.Sinks = append(tr.c.Sinks, &WebhookSink{URL: srv.URL, Client: srv.Client(), Retries: 3, Backoff: time.Millisecond})
	if err := tr.c.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if attempts != 3 || got.Seq != 4 || got.Kind != CheckpointHead || sigHeader != got.Signature ||
		!VerifyCheckpoint(tr.signer.PublicKey(), &got) {
		t.Fatalf("webhook got %+v after %d attempts (signature header %q)", got, attempts, sigHeader)
	}
	head, _ := tr.store.AuditHead(context.Background())
	if got.Hash != head.Hash {
		t.Fatalf("checkpoint hash %s, head %s", got.Hash, head.Hash)
	}
}
