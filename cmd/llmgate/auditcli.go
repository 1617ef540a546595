package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/llmgate/llmgate/audit"
	"github.com/llmgate/llmgate/gateway"
)

// auditSettings are the audit trail's settings (docs/audit.md).
type auditSettings struct {
	KeyFile string
}

func (a *auditSettings) keyFile(dataDir string) string {
	if a.KeyFile != "" {
		return a.KeyFile
	}
	return filepath.Join(dataDir, audit.KeyFileName)
}

// openAuditKeys loads the chain keyring and makes the store chain with it: the keys in
// LLMGATE_AUDIT_KEY, else a key file when one is configured or exists (always with --secrets
// vault), else keys derived from the local master key, which replicas already share.
func (d *deps) openAuditKeys(s *settings) error {
	env, path := os.Getenv("LLMGATE_AUDIT_KEY"), s.Audit.keyFile(s.DataDir)
	_, statErr := os.Stat(path)
	if env != "" || s.Audit.KeyFile != "" || statErr == nil || d.keyring == nil {
		kr, err := audit.LoadKeyring(path, env)
		if err != nil {
			return fmt.Errorf("loading the audit key: %w", err)
		}
		d.auditKeys = kr
	} else {
		d.auditKeys = audit.NewDerivedKeyring(d.keyring)
	}
	d.store.SetAuditKeys(d.auditKeys)
	return nil
}

func auditVerify() *cobra.Command {
	c := &cobra.Command{Use: "verify", Short: "Check the audit trail's hash chain against the keyring (exit 1 if tampered)", Args: cobra.NoArgs}
	return adminCommand(c, adminOpts{}, func(a *admin, _ []string) error {
		r, err := audit.Verify(a.ctx, a.deps.store, a.deps.auditKeys)
		if err != nil {
			return err
		}
		if !r.OK {
			fmt.Fprintf(a.out, "audit trail TAMPERED: first bad event seq=%d id=%s: %s (%d events checked)\n", r.BadSeq, r.BadID, r.Reason, r.Events)
			return errAlreadyReported
		}
		fmt.Fprintf(a.out, "audit trail intact: %d events, hash chain verified (%d keyed, %d from before keying)\n", r.Events, r.Keyed, r.Legacy)
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
