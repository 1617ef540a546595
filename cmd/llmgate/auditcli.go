package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/secrets/vault"
)

// auditSettings are the audit trail's settings (docs/audit.md).
type auditSettings struct {
	KeyFile            string
	CheckpointInterval time.Duration
	CheckpointFile     string
	CheckpointKey      string
	CheckpointWebhook  string
	RetentionAge       time.Duration
	RetentionEvents    int
}

// auditSettingRows are the audit rows of the settings table (serve writes checkpoints; every
// command may verify against them, so the file and key locate like the store does).
func (a *auditSettings) rows() []setting {
	return []setting{
		{"audit-key-file", "LLMGATE_AUDIT_KEY_FILE", scopeStore, "", "audit chain HMAC keyring file (default: derived from the master key with --secrets local, else <data-dir>/audit.key; LLMGATE_AUDIT_KEY overrides with base64 keys)", stringValue(&a.KeyFile, nil)},
		{"audit-checkpoint-interval", "LLMGATE_AUDIT_CHECKPOINT_INTERVAL", scopeServe, "1m", "sign the audit chain head this often, and at shutdown (0s = never)", durationValue(&a.CheckpointInterval, 0)},
		{"audit-checkpoint-file", "LLMGATE_AUDIT_CHECKPOINT_FILE", scopeStore, "", "append-only JSONL file of signed audit checkpoints; put it where the database admin cannot write (default <data-dir>/audit-checkpoints.jsonl)", stringValue(&a.CheckpointFile, nil)},
		{"audit-checkpoint-key", "LLMGATE_AUDIT_CHECKPOINT_KEY", scopeStore, "", "Ed25519 signing key file for audit checkpoints, created 0600 when missing (default <data-dir>/audit-checkpoint.key)", stringValue(&a.CheckpointKey, nil)},
		{"audit-checkpoint-webhook", "LLMGATE_AUDIT_CHECKPOINT_WEBHOOK", scopeServe, "", "also POST each signed audit checkpoint to this URL (retried)", stringValue(&a.CheckpointWebhook, nil)},
		{"audit-retention", "LLMGATE_AUDIT_RETENTION", scopeServe, "0s", "delete audit events older than this, e.g. 365d (0s = keep forever); verification continues from a MACed anchor", durationValue(&a.RetentionAge, 0)},
		{"audit-retention-events", "LLMGATE_AUDIT_RETENTION_EVENTS", scopeServe, "0", "keep at most this many newest audit events (~1 KiB each; 0 = no limit)", intValue(&a.RetentionEvents, 0, 1<<40)},
	}
}

func orDefault(v, dataDir, name string) string {
	if v != "" {
		return v
	}
	return filepath.Join(dataDir, name)
}

func (a *auditSettings) keyFile(dataDir string) string {
	return orDefault(a.KeyFile, dataDir, audit.KeyFileName)
}

func (a *auditSettings) checkpointFile(dataDir string) string {
	return orDefault(a.CheckpointFile, dataDir, "audit-checkpoints.jsonl")
}

func (a *auditSettings) checkpointKey(dataDir string) string {
	return orDefault(a.CheckpointKey, dataDir, audit.CheckpointKeyFileName)
}

// auditPruneInterval is how often serve applies audit retention.
const auditPruneInterval = 10 * time.Minute

// startAuditMaintenance signs the chain head every checkpoint interval and applies retention
// at start and every auditPruneInterval (each prune's anchor is signed to the sinks too). The
// returned function prunes and checkpoints a last time; call it after the writer has closed.
func startAuditMaintenance(ctx context.Context, d *deps, s *settings, log *slog.Logger) (final func(), err error) {
	var c *audit.Checkpointer
	if s.Audit.CheckpointInterval > 0 {
		signer, err := audit.LoadSigner(s.Audit.checkpointKey(s.DataDir))
		if err != nil {
			return nil, err
		}
		sinks := []audit.Sink{&audit.FileSink{Path: s.Audit.checkpointFile(s.DataDir)}}
		if s.Audit.CheckpointWebhook != "" {
			sinks = append(sinks, &audit.WebhookSink{URL: s.Audit.CheckpointWebhook, Client: &http.Client{Timeout: 10 * time.Second},
				Retries: 4, Backoff: time.Second})
		}
		c = &audit.Checkpointer{Store: d.store, Signer: signer, Sinks: sinks, Log: log}
		go c.Run(ctx, s.Audit.CheckpointInterval)
	}
	retention := audit.Retention{MaxAge: s.Audit.RetentionAge, MaxEvents: int64(s.Audit.RetentionEvents)}
	prune := func(ctx context.Context) {
		if !retention.Enabled() {
			return
		}
		n, anchor, err := audit.Prune(ctx, d.store, retention, gateway.Now())
		if err != nil {
			log.Error("audit retention failed", "err", err)
		}
		if n == 0 {
			return
		}
		log.Info("audit retention pruned events", "events", n, "anchorSeq", anchor.Seq)
		if c != nil {
			if err := c.Anchor(ctx, anchor); err != nil {
				log.Error("signing the audit retention anchor failed", "err", err)
			}
		}
	}
	if retention.Enabled() {
		prune(ctx)
		go every(ctx, auditPruneInterval, prune)
	}
	return func() {
		fctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		prune(fctx)
		if c == nil {
			return
		}
		if err := c.Checkpoint(fctx); err != nil {
			log.Error("final audit checkpoint failed", "err", err)
		}
	}, nil
}

// every runs fn each interval until ctx ends.
func every(ctx context.Context, interval time.Duration, fn func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn(ctx)
		}
	}
}

// latestCheckpoint reads the checkpoint file, if there is one, under the signing key.
func latestCheckpoint(s *settings) (*audit.Checkpoint, string, error) {
	path := s.Audit.checkpointFile(s.DataDir)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, "no checkpoint file " + path + ": removal of the newest events cannot be detected", nil
	}
	signer, err := audit.LoadSigner(s.Audit.checkpointKey(s.DataDir))
	if err != nil {
		return nil, "", err
	}
	cp, lines, err := audit.LatestCheckpoint(path, signer.PublicKey())
	if err != nil {
		return nil, "", err
	}
	if cp == nil {
		return nil, fmt.Sprintf("no head checkpoint among %d lines of %s", lines, path), nil
	}
	return cp, fmt.Sprintf("checked against the signed checkpoint seq %d of %s (%d checkpoints in %s)", cp.Seq, cp.Time, lines, path), nil
}

// openAuditKeys loads the chain keyring and makes the store chain with it: the keys in
// LLMGATE_AUDIT_KEY, else --audit-key-file, else (with --secrets vault) keys kept in Vault,
// which every replica shares, else keys derived from the local master key, which replicas
// already share.
func (d *deps) openAuditKeys(ctx context.Context, s *settings, v *vault.Store) error {
	env := os.Getenv("LLMGATE_AUDIT_KEY")
	var err error
	switch {
	case env != "" || s.Audit.KeyFile != "" || (d.keyring == nil && v == nil):
		d.auditKeys, err = audit.LoadKeyring(s.Audit.keyFile(s.DataDir), env)
	case v != nil:
		d.auditKeys, err = audit.LoadRemoteKeyring(ctx, vaultKeys{v})
	default:
		d.auditKeys = audit.NewDerivedKeyring(d.keyring)
	}
	if err != nil {
		return fmt.Errorf("loading the audit key: %w", err)
	}
	d.store.SetAuditKeys(d.auditKeys)
	return nil
}

// vaultKeys keeps the audit chain keys at <vault-prefix>/audit-chain-keys.
type vaultKeys struct{ v *vault.Store }

const vaultAuditKeysName = "audit-chain-keys"

func (k vaultKeys) Load(ctx context.Context) (string, int, error) {
	return k.v.OwnedValue(ctx, vaultAuditKeysName)
}

func (k vaultKeys) Store(ctx context.Context, encoded string, version int) error {
	return k.v.PutOwnedValue(ctx, vaultAuditKeysName, encoded, version)
}

func auditVerify() *cobra.Command {
	c := &cobra.Command{Use: "verify", Short: "Check the audit trail's hash chain against the keyring (exit 1 if tampered)", Args: cobra.NoArgs}
	return adminCommand(c, adminOpts{}, func(a *admin, _ []string) error {
		cp, note, err := latestCheckpoint(&a.s)
		if err != nil {
			return err
		}
		r, err := audit.VerifyWithCheckpoint(a.ctx, a.deps.store, a.deps.auditKeys, cp)
		if err != nil {
			return err
		}
		if !r.OK {
			fmt.Fprintf(a.out, "audit trail TAMPERED: first bad event seq=%d id=%s: %s (%d events checked)\n", r.BadSeq, r.BadID, r.Reason, r.Events)
			return errAlreadyReported
		}
		if r.PrunedUpTo > 0 {
			note = fmt.Sprintf("verified from the retention anchor at seq %d; %s", r.PrunedUpTo, note)
		}
		fmt.Fprintf(a.out, "audit trail intact: %d events, hash chain verified (%d keyed, %d from before keying); %s\n", r.Events, r.Keyed, r.Legacy, note)
		return nil
	})
}

// auditRotateKey puts a fresh chain key first; events from now on are chained with it, and
// the older keys stay to verify what came before.
func auditRotateKey() *cobra.Command {
	c := &cobra.Command{Use: "rotate-key", Short: "Start chaining audit events with a new key (older keys kept for verification)", Args: cobra.NoArgs}
	return adminCommand(c, adminOpts{}, func(a *admin, _ []string) error {
		if os.Getenv("LLMGATE_AUDIT_KEY") != "" {
			return gateway.Errorf(gateway.CodeInvalid, "the keys come from LLMGATE_AUDIT_KEY; put a new base64 key first in it on every replica")
		}
		kr, ok := a.deps.auditKeys.(*audit.Keyring)
		if !ok {
			return gateway.Errorf(gateway.CodeInvalid, "the chain key derives from the master key; rotate it with `llmgate secrets rotate-master-key`")
		}
		key, err := kr.Rotate()
		if err != nil {
			return err
		}
		fmt.Fprintf(a.out, "audit chain key rotated; new key id %s (older keys kept for verification)\n", key.ID)
		return nil
	})
}
