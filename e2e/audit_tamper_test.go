package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/internal/e2e"
	"github.com/llmgate/llmgate/secrets/vaulttest"
	"github.com/llmgate/llmgate/store/postgres"
	"github.com/llmgate/llmgate/store/sqlite"
)

// TestAuditVerifyDetectsAChainRecomputedWithoutTheKey is the attack an unkeyed chain cannot
// stop: with write access to the database, change an event and recompute every hash after it
// with plain SHA-256, moving the head. The HMAC chain key lives outside the database, so
// verify fails — whether the forger keeps the key ids (MAC mismatch) or clears them to pass
// as events from before keying (a trail with no keyed event is refused).
func TestAuditVerifyDetectsAChainRecomputedWithoutTheKey(t *testing.T) {
	for _, clearKeyIDs := range []bool{false, true} {
		name := map[bool]string{false: "key ids kept", true: "key ids cleared"}[clearKeyIDs]
		t.Run(name, func(t *testing.T) {
			onEveryBackend(t, func(t *testing.T, b e2e.Backend) {
				opts := b.Options()
				opts.DataDir = t.TempDir()
				g := e2e.Start(t, opts)
				for _, u := range []string{"ann", "bob", "cid"} {
					g.CreateUser(t, u, false)
				}
				if out := g.CLI(t, "audit", "verify"); !strings.Contains(out, "intact") {
					t.Fatalf("verify on an untouched trail: %s", out)
				}
				g.Stop(t)
				events := readTrail(t, b, opts.DataDir)
				if len(events) < 3 {
					t.Fatalf("trail of %d events", len(events))
				}
				events[1].Metadata["performedByUsername"] = "someone-else"
				prev := ""
				for i := range events {
					if clearKeyIDs {
						events[i].KeyID = ""
					}
					events[i].PrevHash, events[i].Hash = prev, gateway.ChainHash(prev, &events[i])
					prev = events[i].Hash
				}
				rewriteTrail(t, b, opts.DataDir, events)
				out, _, code := g.RunCLI(t, "audit", "verify")
				if code != 1 || !strings.Contains(out, "TAMPERED") {
					t.Fatalf("verify after recomputing the chain with SHA-256 (%s): exit %d, %s", name, code, out)
				}
			})
		})
	}
}

// readTrail reads every event with the store's own code, as an attacker with the database
// (but not the key file) could.
func readTrail(t *testing.T, b e2e.Backend, dataDir string) []gateway.AuditEvent {
	t.Helper()
	var s gateway.Store
	var err error
	if b.DatabaseURL != "" {
		s, err = postgres.Open(t.Context(), b.DatabaseURL)
	} else {
		s, err = sqlite.Open(t.Context(), filepath.Join(dataDir, "llmgate.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	events, err := s.AuditChainPage(t.Context(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// rewriteTrail overwrites each event's metadata, hashes and key id by seq, and moves the head.
func rewriteTrail(t *testing.T, b e2e.Backend, dataDir string, events []gateway.AuditEvent) {
	t.Helper()
	last := events[len(events)-1]
	if b.DatabaseURL != "" {
		conn, err := pgx.Connect(t.Context(), b.DatabaseURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		for _, ev := range events {
			md, _ := json.Marshal(ev.Metadata)
			if _, err := conn.Exec(t.Context(), `UPDATE audit_events SET metadata = $1, prev_hash = $2, hash = $3, key_id = $4 WHERE seq = $5`,
				string(md), ev.PrevHash, ev.Hash, ev.KeyID, ev.Seq); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := conn.Exec(t.Context(), `UPDATE audit_head SET seq = $1, hash = $2`, last.Seq, last.Hash); err != nil {
			t.Fatal(err)
		}
		return
	}
	db, err := sql.Open("sqlite", filepath.Join(dataDir, "llmgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, ev := range events {
		md, _ := json.Marshal(ev.Metadata)
		if _, err := db.Exec(`UPDATE audit_events SET metadata = ?, prev_hash = ?, hash = ?, key_id = ? WHERE seq = ?`,
			string(md), ev.PrevHash, ev.Hash, ev.KeyID, ev.Seq); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`UPDATE audit_head SET seq = ?, hash = ?`, last.Seq, last.Hash); err != nil {
		t.Fatal(err)
	}
}

// TestAuditChainContinuesAcrossMasterKeyRotation: the chain key derives from the master
// key, so `secrets rotate-master-key` rotates it; events before and after name different
// keys and the whole trail still verifies.
func TestAuditChainContinuesAcrossMasterKeyRotation(t *testing.T) {
	g := e2e.Start(t, e2e.Options{})
	g.CreateUser(t, "before", false)
	g.CLI(t, "secrets", "rotate-master-key")
	g.CreateUser(t, "after", false)
	keyIDs := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(g.CLI(t, "audit", "export", "--kind", "CreateUser")), "\n") {
		var rec struct {
			KeyID    string            `json:"keyId"`
			Metadata map[string]string `json:"metadata"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		keyIDs[rec.Metadata["userName"]] = rec.KeyID
	}
	if keyIDs["before"] == "" || keyIDs["after"] == "" || keyIDs["before"] == keyIDs["after"] {
		t.Fatalf("key ids around a master key rotation: %v", keyIDs)
	}
	g.VerifyAudit(t)
}

// TestAuditVerifyReportsTruncationAgainstTheSignedCheckpoint: the attack finding 4 names —
// delete the newest 100 events and move audit_head back — leaves a chain that links and ends
// at its head. The checkpoint serve signed at shutdown (outside the database) still names the
// old head, so verify exits 1 reporting truncation, on SQLite and PostgreSQL.
func TestAuditVerifyReportsTruncationAgainstTheSignedCheckpoint(t *testing.T) {
	onEveryBackend(t, func(t *testing.T, b e2e.Backend) {
		opts := b.Options()
		opts.DataDir = t.TempDir()
		opts.ExtraArgs = append(opts.ExtraArgs, "--audit-checkpoint-interval", "1h") // only the one at shutdown
		g := e2e.Start(t, opts)
		_, key := g.CreateUser(t, "mallory", false)
		for range 120 { // each refused admin attempt is one event
			r := e2e.Do(t, g.URL, "DELETE", "/api/aigateway/v1/endpoints/x", map[string]string{"X-Domino-Api-Key": key}, nil)
			if r.Status != 403 {
				t.Fatalf("non-admin delete: %d", r.Status)
			}
		}
		g.Stop(t)
		if out := g.CLI(t, "audit", "verify"); !strings.Contains(out, "intact") || !strings.Contains(out, "signed checkpoint") {
			t.Fatalf("verify before tampering: %s", out)
		}
		execOnDatabase(t, b, opts.DataDir, `DELETE FROM audit_events WHERE seq > (SELECT max(seq) - 100 FROM audit_events)`)
		execOnDatabase(t, b, opts.DataDir, `UPDATE audit_head SET seq = (SELECT max(seq) FROM audit_events),
			hash = (SELECT hash FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events))`)
		out, _, code := g.RunCLI(t, "audit", "verify")
		if code != 1 || !strings.Contains(out, "TRUNCATED") || !strings.Contains(out, "newest 100 events") {
			t.Fatalf("verify after deleting the newest 100 events and moving the head: exit %d, %s", code, out)
		}
	})
}

// TestAuditRetentionPrunesAndVerificationContinuesFromTheAnchor: with
// --audit-retention-events 50, serve keeps the newest 50 events (pruned at shutdown here);
// verify passes from the MACed anchor; deleting the first kept event is still detected.
func TestAuditRetentionPrunesAndVerificationContinuesFromTheAnchor(t *testing.T) {
	onEveryBackend(t, func(t *testing.T, b e2e.Backend) {
		opts := b.Options()
		opts.DataDir = t.TempDir()
		opts.ExtraArgs = append(opts.ExtraArgs, "--audit-retention-events", "50", "--audit-checkpoint-interval", "1h")
		g := e2e.Start(t, opts)
		_, key := g.CreateUser(t, "mallory", false)
		for range 80 {
			e2e.Do(t, g.URL, "DELETE", "/api/aigateway/v1/endpoints/x", map[string]string{"X-Domino-Api-Key": key}, nil)
		}
		g.Stop(t)
		out := g.CLI(t, "audit", "verify")
		if !strings.Contains(out, "intact: 50 events") || !strings.Contains(out, "retention anchor") {
			t.Fatalf("verify after retention: %s", out)
		}
		if n := len(strings.Split(strings.TrimSpace(g.CLI(t, "audit", "export", "--kind", "DeniedAdminAction")), "\n")); n != 50 {
			t.Fatalf("export holds %d events after retention, want 50", n)
		}
		execOnDatabase(t, b, opts.DataDir, `DELETE FROM audit_events WHERE seq = (SELECT min(seq) FROM audit_events)`)
		if out, _, code := g.RunCLI(t, "audit", "verify"); code != 1 || !strings.Contains(out, "TAMPERED") {
			t.Fatalf("verify after deleting the first kept event: exit %d, %s", code, out)
		}
	})
}

// TestReplicasWithVaultShareOneAuditKey: with --secrets vault the chain keys live in Vault
// (created by whichever replica starts first), so replicas with separate data directories
// extend one chain that verifies from either; audit rotate-key stores the new key there too.
func TestReplicasWithVaultShareOneAuditKey(t *testing.T) {
	const token = "vault-e2e-token"
	vault := vaulttest.NewServer(token)
	t.Cleanup(vault.Close)
	opts := e2e.Options{DatabaseURL: e2e.PostgresURL(t), AdminKey: "lgk_admin_" + randomHex(16),
		Env: []string{"LLMGATE_SECRETS=vault", "VAULT_ADDR=" + vault.URL, "VAULT_TOKEN=" + token}}
	first := e2e.Start(t, opts)
	second := e2e.Start(t, opts)
	first.CreateUser(t, "ann", false)
	second.CreateUser(t, "bob", false)
	for _, g := range []*e2e.Gateway{first, second} {
		for range 3 {
			e2e.Do(t, g.URL, "GET", "/api/aigateway/v1/audit", map[string]string{"X-Domino-Api-Key": opts.AdminKey}, nil)
		}
	}
	if got := e2e.Do(t, vault.URL, "GET", "/v1/secret/data/llmgate/audit-chain-keys", map[string]string{"X-Vault-Token": token}, nil); got.Status != 200 {
		t.Fatalf("the audit chain keys are not in Vault: %d", got.Status)
	}
	first.VerifyAudit(t)
	second.VerifyAudit(t)
	if out := second.CLI(t, "audit", "rotate-key"); !strings.Contains(out, "rotated") {
		t.Fatalf("rotate-key: %s", out)
	}
	first.CreateUser(t, "cid", false)
	second.CreateUser(t, "dee", false)
	first.VerifyAudit(t)
	if vault.Versions("secret", "llmgate/audit-chain-keys") != 2 {
		t.Fatalf("rotation did not store a new version of the keys in Vault")
	}
}
