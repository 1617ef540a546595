package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/llmgate/llmgate/audit"
)

// auditSettings are the audit trail's settings (docs/audit.md).
type auditSettings struct {
	KeyFile string
}

func (a *auditSettings) bind(fs *flag.FlagSet) {
	fs.StringVar(&a.KeyFile, "audit-key-file", envOr("LLMGATE_AUDIT_KEY_FILE", ""),
		"audit chain HMAC keyring file (default: derived from the master key with --secrets local, else <data-dir>/audit.key; LLMGATE_AUDIT_KEY overrides with base64 keys) (env LLMGATE_AUDIT_KEY_FILE)")
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

// auditVerify checks the whole chain against the keyring; exit 1 names the first bad event.
func auditVerify(c *adminCommand) int {
	r, err := audit.Verify(c.ctx, c.deps.store, c.deps.auditKeys)
	if err != nil {
		return c.fail(err)
	}
	if !r.OK {
		fmt.Printf("audit trail TAMPERED: first bad event seq=%d id=%s: %s (%d events checked)\n", r.BadSeq, r.BadID, r.Reason, r.Events)
		return 1
	}
	fmt.Printf("audit trail intact: %d events, hash chain verified (%d keyed, %d from before keying)\n", r.Events, r.Keyed, r.Legacy)
	return 0
}

// cmdAuditRotateKey puts a fresh chain key first; events from now on are chained with it,
// and the older keys stay to verify what came before.
func cmdAuditRotateKey(args []string) int {
	c := newAdminCommand("audit rotate-key")
	if code, ok := c.open(args); !ok {
		return code
	}
	defer c.deps.close()
	if os.Getenv("LLMGATE_AUDIT_KEY") != "" {
		fmt.Fprintln(os.Stderr, "llmgate audit rotate-key: the keys come from LLMGATE_AUDIT_KEY; put a new base64 key first in it on every replica")
		return 1
	}
	kr, ok := c.deps.auditKeys.(*audit.Keyring)
	if !ok {
		fmt.Fprintln(os.Stderr, "llmgate audit rotate-key: the chain key derives from the master key; rotate it with `llmgate secrets rotate-master-key`")
		return 1
	}
	key, err := kr.Rotate()
	if err != nil {
		return c.fail(err)
	}
	fmt.Printf("audit chain key rotated; new key id %s (older keys kept for verification)\n", key.ID)
	return 0
}
